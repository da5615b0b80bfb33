from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    name = "voice"
    verbose_name = _("Voice of the client")

    def ready(self):
        from crm.importing import registry

        from . import alert_kinds, importing, receivers

        alert_kinds.register_all()
        receivers.connect()
        registry.register(
            registry.SheetReader(
                engine="voice",
                recognise=importing.recognise,
                import_sheets=importing.import_erp_sheets,
            )
        )
