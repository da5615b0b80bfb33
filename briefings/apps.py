from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefingsConfig(AppConfig):
    name = "briefings"
    verbose_name = _("Briefings")

    def ready(self):
        from crm import schedules

        from . import receivers
        from .schedules import SCHEDULES

        receivers.connect()
        for name, (task, crontab, description) in SCHEDULES.items():
            schedules.register(name, task, crontab, description)
