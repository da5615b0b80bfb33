from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Benchmark the voice engine: sentiment (accuracy, macro-F1) on the shipped evaluation "
        "set against a plain lexicon, TF-IDF + logistic regression trained on the disjoint "
        "training set, VADER (if installed) and the majority label; NPS category from text "
        "on a time split of synthetic surveys against a majority baseline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=600)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--end", default="2026-11-29")

    def handle(self, *args, **options):
        from bench.voice import run

        run(
            out=self.stdout.write,
            clients=options["clients"],
            seed=options["seed"],
            end=options["end"],
        )
