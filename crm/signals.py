"""Signals by which the CRM layer tells the engines above it what happened.

``crm`` imports no engine: an engine that must react to a CRM event connects a receiver in
its ``AppConfig.ready()``. Receivers run synchronously, inside the sender's transaction.
"""

from django.dispatch import Signal

#: Sent by :func:`crm.services.answer_alert` inside its transaction, once per stored answer.
#: Keyword argument: ``feedback`` (a :class:`crm.models.Feedback`).
feedback_recorded = Signal()

#: Sent by an engine after it published new or refreshed alerts (outside any transaction).
#: Keyword argument: ``alert_ids`` (a list of :class:`crm.models.Alert` primary keys).
alerts_published = Signal()

#: Sent by an engine when one of its runs failed (outside any transaction). Keyword
#: arguments: ``engine`` (e.g. "twins"), ``run_id`` and ``error`` (a short text).
run_failed = Signal()
