from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Benchmark the cross-sell propensity on one time split: (a) soft-voting LR+kNN+tree+SVM "
        "with grid search, with and without SMOTE, (b) calibrated gradient boosting with class "
        "weights, (c) today's co-occurrence rule, (d) most popular family not yet bought. "
        "Prints AUC, PR-AUC, F1 at the chosen threshold, precision@20 per rep queue and Brier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            choices=("planted", "db"),
            default="planted",
            help="planted: the synthetic world with planted adoptions (default); db: the crm "
            "orders in the database",
        )
        parser.add_argument("--clients", type=int, default=1500)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--quick", action="store_true", help="only (b), (c) and (d): no voting ensembles"
        )

    def handle(self, *args, **options):
        from bench import propensity as bench

        if options["source"] == "planted":
            from bench.propensity_world import generate

            world = generate(n_clients=options["clients"], seed=options["seed"])
            history = world.history
            name = f"planted world, {options['clients']} clients, seed {options['seed']}"
        else:
            from recommender.propensity.selectors import load_history

            history = load_history().history
            name = f"database, {history.n_clients} clients, {history.n_families} families"
        models = ("b_hgb",) if options["quick"] else ("a_voting", "a_voting_smote", "b_hgb")
        self.stdout.write(f"bench_propensity: {name}")
        try:
            result = bench.run(history, models=models, log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        pos = result.rows["c_cooccurrence"]
        self.stdout.write(
            f"train: {len(result.train_dates)} as-of dates {result.train_dates[0]}..."
            f"{result.train_dates[-1]}, {result.n_train} pairs; test as of {result.test_as_of}: "
            f"{pos['n']} pairs, {pos['positives']} started within 26 weeks"
        )
        for line in bench.table(result):
            self.stdout.write(line)
        self.stdout.write(
            "* production choice (lowest val log-loss: mean over the validation dates, never "
            "the test date); thr: F1-best threshold on the validation dates"
        )
        for line in bench.verdict(result):
            self.stdout.write(line)
