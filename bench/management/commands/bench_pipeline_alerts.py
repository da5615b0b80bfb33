from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Benchmark the pipeline-level win-rate drop alert on planted-truth pipelines: how often "
        "it finds the planted segment and how many other segments it flags, against uncorrected "
        "and per-dimension tests."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=int, default=10, help="pipelines per size")
        parser.add_argument("--sizes", default="1000,2000,4000", help="deals per pipeline")
        parser.add_argument("--end", default="2026-11-29", help="last day of the history")

    def handle(self, *args, **options):
        from bench.pipeline_alerts import run

        run(
            sizes=[int(s) for s in options["sizes"].split(",") if s.strip()],
            seeds=range(1, options["seeds"] + 1),
            end=options["end"],
            out=self.stdout.write,
        )
