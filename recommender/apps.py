from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommender"

    def ready(self):
        from crm import schedules, signals

        from . import receivers
        from .launch.kinds import register_all as register_launch_kinds
        from .propensity import kinds as propensity_kinds

        register_launch_kinds()
        propensity_kinds.register_all()
        from .propensity.schedules import SCHEDULES

        for name, (task, crontab, description) in SCHEDULES.items():
            schedules.register(name, task, crontab, description)

        signals.feedback_recorded.connect(
            receivers.on_feedback_recorded, dispatch_uid="recommender.feedback"
        )
        signals.alerts_published.connect(
            receivers.on_alerts_published, dispatch_uid="recommender.alerts"
        )
