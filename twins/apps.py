from django.apps import AppConfig


class TwinsConfig(AppConfig):
    name = "twins"
    verbose_name = "Twins"

    def ready(self):
        from .kinds import register_all

        register_all()
