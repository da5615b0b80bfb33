from django.core.management.base import BaseCommand
from django.db import connection


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
            help="time the refit: on PostgreSQL (DATABASE_URL) the whole refit on the database "
            "beside the twins' scoring run; elsewhere the pure part on --clients generated clients",
        )
        parser.add_argument(
            "--refits", type=int, default=2, help="--speed on PostgreSQL: refits in a row"
        )
        parser.add_argument(
            "--shards", type=int, default=8, help="--speed on PostgreSQL: the twins' shards"
        )
        parser.add_argument(
            "--plant-churn",
            action="store_true",
            help="--speed on PostgreSQL: first delete the order lines of a planted whole-client "
            "churn (as on the generated lines) from the seeded demo. Destructive: once, on a "
            "benchmark database.",
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
        from bench.insights import plant_client_churn_in_db, run, speed, speed_db

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
        if options["speed"] and connection.vendor == "postgresql":
            if options["plant_churn"]:
                gone, churners = plant_client_churn_in_db(options["end"], options["seed"])
                self.stdout.write(f"planted churn: {churners} clients, {gone:,} lines deleted")
            speed_db(
                end=options["end"],
                refits=options["refits"],
                shards=options["shards"],
                twins=not options["no_twins"],
                out=self.stdout.write,
            )
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
