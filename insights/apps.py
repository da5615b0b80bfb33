from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Client insights")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import alert_kinds

        alert_kinds.register_all()
