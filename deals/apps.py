from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("Deals")

    def ready(self):
        from crm import schedules

        from . import alert_kinds
        from .schedules import SCHEDULES

        alert_kinds.register_all()
        for name, (task, crontab, description) in SCHEDULES.items():
            schedules.register(name, task, crontab, description)
