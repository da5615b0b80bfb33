from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Backtest launch targeting over the past launches in the database: hide each launch, "
        "target it with the history before it, check who bought in the next 12 weeks. Top-k "
        "conversion, lift and recall of the combined score against random clients, top "
        "spenders and the early-adopter rules alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--k", type=float, default=0.10, help="share of clients targeted")
        parser.add_argument("--seed", type=int, default=0, help="random tie-breaking")
        parser.add_argument(
            "--min-before-weeks",
            type=int,
            default=26,
            help="history a launch needs before it to be backtested",
        )

    def handle(self, *args, **options):
        from bench.launch import run

        if not 0 < options["k"] <= 1:
            self.stderr.write("--k must be a share of clients in (0, 1].")
            return
        run(
            k_frac=options["k"],
            seed=options["seed"],
            min_before_weeks=options["min_before_weeks"],
            out=self.stdout.write,
        )
