"""The recommender's reactions to CRM events (connected in ``RecommenderConfig.ready``)."""

from . import services


def on_feedback_recorded(sender, feedback, **kwargs):
    """A rep's answer becomes a reward event for the bandit."""
    services.record_feedback(feedback)


def on_alerts_published(sender, alert_ids, **kwargs):
    """New and refreshed alerts get a next-best action."""
    if alert_ids:
        services.recommend_for_alerts(alert_ids)
