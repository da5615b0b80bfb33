from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Benchmark the twins: detection on planted truth, band calibration and speed."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="small run (about a minute)")
        parser.add_argument("--workers", type=int, default=1, help="processes for the speed runs")

    def handle(self, *args, **options):
        from bench.twins import run

        run(quick=options["quick"], out=self.stdout.write, workers=options["workers"])
