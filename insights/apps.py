from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Client insights")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import schedules

        from . import alert_kinds
        from .schedules import SCHEDULES

        alert_kinds.register_all()
        for name, (task, crontab, description) in SCHEDULES.items():
            schedules.register(name, task, crontab, description)
