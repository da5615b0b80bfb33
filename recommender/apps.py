from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommender"

    def ready(self):
        from crm import signals

        from . import receivers
        from .propensity import kinds as propensity_kinds

        propensity_kinds.register_all()

        signals.feedback_recorded.connect(
            receivers.on_feedback_recorded, dispatch_uid="recommender.feedback"
        )
        signals.alerts_published.connect(
            receivers.on_alerts_published, dispatch_uid="recommender.alerts"
        )
