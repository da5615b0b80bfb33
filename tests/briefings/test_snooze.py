"""A snooze that ended puts the alert back at the top of the queue, marked."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from crm.models import Alert

from ..e2e.world import PASSWORD


def test_an_alert_back_from_snooze_tops_the_queue_with_a_marker(world, client):
    stopped = world.alerts["stopped"]  # 310 €, last of Ana's three by euros
    stopped.status = Alert.Status.SNOOZED
    stopped.snoozed_until = timezone.localdate() - dt.timedelta(days=2)
    stopped.save()
    waiting = world.alerts["technical"]
    waiting.status = Alert.Status.SNOOZED
    waiting.snoozed_until = timezone.localdate() + dt.timedelta(days=5)
    waiting.save()
    assert client.login(username="ana", password=PASSWORD)
    page = client.get(reverse("web:queue")).content.decode()
    rows = [page.index(f'id="alert-row-{world.alerts[n].pk}"') for n in ("stopped", "churn")]
    assert rows[0] < rows[1]
    assert 'class="badge status status-back">Back from snooze<' in page
    assert f'id="alert-row-{waiting.pk}"' not in page  # still snoozed
