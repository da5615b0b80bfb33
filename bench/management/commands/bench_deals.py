from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Benchmark the deal-risk model on a time split of a planted-truth pipeline: AUC, Brier, "
        "log loss, accuracy and calibration deciles against the base rate, a default random "
        "forest and a logistic regression on amount and cycle length."
    )

    def add_arguments(self, parser):
        parser.add_argument("--deals", type=int, default=4000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--end", default="2026-11-29", help="last day of the history")
        parser.add_argument(
            "--cutoff-days", type=int, default=180, help="test on deals closed in the last N days"
        )

    def handle(self, *args, **options):
        from bench.deals import run

        run(
            deals_n=options["deals"],
            seed=options["seed"],
            end=options["end"],
            cutoff_days=options["cutoff_days"],
            out=self.stdout.write,
        )
