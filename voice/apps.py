from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    name = "voice"
    verbose_name = _("Voice of the client")

    def ready(self):
        from . import alert_kinds, receivers

        alert_kinds.register_all()
        receivers.connect()
