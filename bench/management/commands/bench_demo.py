"""``manage.py bench_demo``: live alerts of the current database against the planted truth."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from crm.models import Alert
from seeds.models import GroundTruth
from twins.kinds import Kind as TwinKind

#: Planted scenario(s) that an alert of each kind should find.
MATCHES = {
    "full_churn": {"full_churn"},
    "partial_churn": {"partial_churn"},
    "technical_deterioration": {"technical_silence"},
    "suspicious_pause": {"technical_pause"},
    "uncaptured_potential": {"uncaptured_potential"},
    "campaign_no_response": {"campaign_no_response"},
    "cross_sell": {"cross_sell"},
}
#: Scenarios whose recall is reported, with the alert kinds that count as finding them.
FOUND_BY = {
    "full_churn": {"full_churn"},
    "partial_churn": {"partial_churn"},
    "partial_churn (drop >= 50%)": {"partial_churn"},
    "technical_silence": {"technical_deterioration", "suspicious_pause"},
    "technical_pause": {"suspicious_pause"},
    "campaign_no_response": {"campaign_no_response"},
    "uncaptured_potential": {"uncaptured_potential"},
    "cross_sell": {"cross_sell"},
}
LOSSES = {"partial_churn", "full_churn", "technical_silence"}


def evaluate():
    """``(kind_rows, scenario_rows, crosstab, alerts_per_rep)`` of the live alerts."""
    truth, drop, losses_of = _truth()
    alerts = list(
        Alert.objects.filter(status__in=Alert.LIVE_STATUSES).values_list(
            "client_id", "family_id", "kind", "client__rep_id"
        )
    )
    return _tables(truth, drop, losses_of, alerts)


def within_capacity():
    """The live alerts each rep sees in "this week": their top ``weekly_capacity`` by euros at
    stake (the queue's order); alerts of clients without a rep are left out."""
    rows = Alert.objects.filter(
        status__in=Alert.LIVE_STATUSES, client__rep__isnull=False
    ).values_list(
        "client_id", "family_id", "kind", "client__rep_id", "client__rep__weekly_capacity"
    )
    kept, seen = [], Counter()
    for *alert, capacity in rows.order_by("client__rep_id", "-priority", "-created_at", "pk"):
        rep = alert[3]
        if seen[rep] < capacity:
            seen[rep] += 1
            kept.append(tuple(alert))
    return kept


def evaluate_capacity():
    """``evaluate()``'s tables over the alerts within each rep's weekly capacity."""
    truth, drop, losses_of = _truth()
    return _tables(truth, drop, losses_of, within_capacity())


def _truth():
    truth, drop = {}, {}
    for client, family, scenario, params in GroundTruth.objects.values_list(
        "client_id", "family_id", "scenario", "params"
    ):
        truth[(client, family)] = scenario
        drop[(client, family)] = (params or {}).get("drop", 0.0)
    if not truth:
        raise CommandError("No planted truth: run `manage.py seed_demo` first.")
    losses_of = Counter(c for (c, _f), s in truth.items() if s in LOSSES)
    return truth, drop, losses_of


def _tables(truth, drop, losses_of, alerts):
    crosstab = Counter()
    per_kind = Counter()
    true_kind = Counter()
    found = {}
    for client, family, kind, _rep in alerts:
        if family is None:  # cross-family decline: right when the client has >= 2 planted losses
            scenario = "2+ losses" if losses_of[client] >= 2 else "other"
            ok = scenario == "2+ losses"
        else:
            scenario = truth.get((client, family), "none")
            ok = scenario in MATCHES.get(kind, ())
        crosstab[(kind, scenario)] += 1
        per_kind[kind] += 1
        true_kind[kind] += ok
        found.setdefault((client, family), set()).add(kind)
    kind_rows = []
    for kind in TwinKind.values:
        if kind == "cross_family_decline":
            planted = sum(1 for n in losses_of.values() if n >= 2)
        else:
            planted = sum(1 for s in truth.values() if s in MATCHES.get(kind, ()))
        n = per_kind[kind]
        kind_rows.append((kind, planted, n, true_kind[kind], true_kind[kind] / n if n else 0.0))
    scenario_rows = []
    for name, kinds in FOUND_BY.items():
        base = name.split(" ")[0]
        pairs = [
            p for p, s in truth.items() if s == base and (not name.endswith(")") or drop[p] >= 0.5)
        ]
        hit = sum(1 for p in pairs if found.get(p, set()) & kinds)
        scenario_rows.append((name, len(pairs), hit, hit / len(pairs) if pairs else 0.0))
    reps = Counter(rep for *_x, rep in alerts)
    return kind_rows, scenario_rows, crosstab, reps


class Command(BaseCommand):
    help = (
        "Compare the live alerts (open, acting, snoozed) with the planted truth of seed_demo: "
        "per alert kind planted, alerts, precision; per scenario recall; kind x scenario table."
    )

    def handle(self, *args, **options):
        kind_rows, scenario_rows, crosstab, reps = evaluate()
        cap_kinds, cap_scenarios, _cross, cap_reps = evaluate_capacity()
        w = self.stdout.write
        w(f"{'alert kind':<26}{'planted':>8}{'alerts':>8}{'right':>7}{'precision':>10}")
        for kind, planted, n, ok, prec in kind_rows:
            w(f"{kind:<26}{planted:>8}{n:>8}{ok:>7}{prec:>10.2f}")
        w("")
        w(f"{'planted scenario':<30}{'pairs':>7}{'found':>7}{'recall':>8}")
        for name, n, hit, rec in scenario_rows:
            w(f"{name:<30}{n:>7}{hit:>7}{rec:>8.2f}")
        w("")
        scenarios = sorted({s for _k, s in crosstab})
        w("alerts by kind x planted scenario")
        w(f"{'':<26}" + "".join(f"{s[:12]:>13}" for s in scenarios))
        for kind in sorted({k for k, _s in crosstab}):
            w(f"{kind:<26}" + "".join(f"{crosstab[(kind, s)]:>13}" for s in scenarios))
        counts = sorted(reps.values())
        if counts:
            w("")
            w(
                f"live alerts per rep: {len(counts)} reps, min {counts[0]}, "
                f"median {counts[len(counts) // 2]}, max {counts[-1]}, total {sum(counts)}"
            )
        if cap_reps:
            w("")
            w(
                f"within each rep's weekly capacity ({sum(cap_reps.values())} alerts in 'this "
                f"week' across {len(cap_reps)} reps) vs overall"
            )
            w(f"{'alert kind':<26}{'alerts':>8}{'right':>7}{'precision':>10}{'overall':>9}")
            for (kind, _p, n, ok, prec), (*_x, prec_all) in zip(cap_kinds, kind_rows, strict=True):
                w(f"{kind:<26}{n:>8}{ok:>7}{prec:>10.2f}{prec_all:>9.2f}")
            w(f"{'planted scenario':<30}{'found':>7}{'recall':>8}{'overall':>9}")
            for (name, _n, hit, rec), (*_y, rec_all) in zip(
                cap_scenarios, scenario_rows, strict=True
            ):
                w(f"{name:<30}{hit:>7}{rec:>8.2f}{rec_all:>9.2f}")
