from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Benchmark client churn risk on held-out weeks of the demo generator with planted "
        "whole-client churn: this model (with and without the twins' p_active), the twins' "
        "p_active alone and a recency rule (AUC, Brier, recall at precision 0.7, lead time); "
        "the segmentation against RFM quintiles (silhouette, week-to-week stability); and the "
        "next-quarter value forecast (boosting, twins sum, two naive baselines: MAE, MAPE, "
        "interval coverage)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=1000)
        parser.add_argument("--weeks", type=int, default=156)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--end", default="2026-11-22", help="last day of the history")
        parser.add_argument("--test-weeks", type=int, default=12)
        parser.add_argument(
            "--speed",
            action="store_true",
            help="only time the pure part of a refit on --clients clients",
        )
        parser.add_argument(
            "--no-twins", action="store_true", help="skip the twins' p_active (faster)"
        )
        parser.add_argument(
            "--value-only",
            action="store_true",
            help="only the next-quarter value forecast on held-out quarters",
        )
        parser.add_argument("--quarters", type=int, default=4, help="held-out quarters (value)")

    def handle(self, *args, **options):
        from bench import value_forecast
        from bench.insights import run, speed

        value_args = {
            "clients": options["clients"],
            "weeks": options["weeks"],
            "seed": options["seed"],
            "end": options["end"],
            "quarters": options["quarters"],
            "twins": not options["no_twins"],
            "out": self.stdout.write,
        }
        if options["value_only"]:
            value_forecast.run(**value_args)
            return
        if options["speed"]:
            speed(
                clients=options["clients"],
                weeks=options["weeks"],
                seed=options["seed"],
                end=options["end"],
                out=self.stdout.write,
            )
            return
        run(
            clients=options["clients"],
            weeks=options["weeks"],
            seed=options["seed"],
            end=options["end"],
            test_weeks=options["test_weeks"],
            twins=not options["no_twins"],
            out=self.stdout.write,
        )
        self.stdout.write("")
        value_forecast.run(**value_args)
