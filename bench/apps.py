from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmarks, simulators and oracles; nothing in the product imports this app."""

    name = "bench"
    verbose_name = "Benchmarks"
