from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Forecasts on the public CDNOW transaction logs (39/39-week split): the twin, through "
        "python -m twins score's code path, against BG/NBD and Pareto/NBD (needs the 'bench' "
        "extra: pip install -e '.[bench]')."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sample-only", action="store_true", help="only the 2,357-customer sample"
        )

    def handle(self, *args, **options):
        from bench.forecast import run

        run(
            out=self.stdout.write,
            datasets=["CDNOW_sample.txt"] if options["sample_only"] else None,
        )
