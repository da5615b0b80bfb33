from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("Deals")

    def ready(self):
        from . import alert_kinds

        alert_kinds.register_all()
