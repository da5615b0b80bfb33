from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    name = "voice"
    verbose_name = _("Voice of the client")

    def ready(self):
        from crm import schedules
        from crm.importing import registry

        from . import alert_kinds, importing, receivers

        alert_kinds.register_all()
        receivers.connect()
        # Nightly, after the twins' scoring (02:00) and before the insights refit (03:30).
        schedules.register(
            "Nightly voice-of-the-client analysis",
            "voice.tasks.run_voice",
            {
                "minute": "0",
                "hour": "3",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
            },
            "Analyse new survey answers and visit notes; raise or refresh Detractor alerts.",
        )
        registry.register(
            registry.SheetReader(
                engine="voice",
                recognise=importing.recognise,
                import_sheets=importing.import_erp_sheets,
            )
        )
