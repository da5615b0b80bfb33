from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("Deals")

    def ready(self):
        from crm import schedules
        from crm.importing import registry

        from . import alert_kinds, importing
        from .schedules import SCHEDULES

        alert_kinds.register_all()
        for name, (task, crontab, description) in SCHEDULES.items():
            schedules.register(name, task, crontab, description)
        registry.register(
            registry.SheetReader(
                engine="deals",
                recognise=importing.recognise,
                import_sheets=importing.import_erp_sheets,
            )
        )
