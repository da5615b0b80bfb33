"""bench_demo: the live alerts of the database against seed_demo's planted truth."""

import io

import pytest
from django.core.management import CommandError, call_command

from crm.models import Alert
from seeds.models import GroundTruth
from twins.kinds import Kind as TwinKind

END = "2026-03-29"  # a Sunday


def run(name, *args):
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def tables(text):
    """The output's blocks (separated by blank lines) as {first column: other columns}."""
    return [
        {line.split()[0]: line.split()[1:] for line in block.splitlines()[1:]}
        for block in text.split("\n\n")
    ]


@pytest.mark.django_db
def test_bench_demo_counts_alerts_against_the_planted_truth():
    run("seed_demo", "--clients", "60", "--weeks", "104", "--seed", "3", "--end", END)
    run("score", "--as-of", END, "--shards", "1", "--no-progress", "--inline")
    kinds, scenarios = tables(run("bench_demo"))[:2]
    live = Alert.objects.filter(status__in=Alert.LIVE_STATUSES)
    full = GroundTruth.objects.filter(scenario="full_churn")
    planted, alerts, right, precision = kinds["full_churn"]
    assert int(planted) == full.count()
    assert int(alerts) == live.filter(kind="full_churn").count()
    truth = set(full.values_list("client_id", "family_id"))
    found = set(live.filter(kind="full_churn").values_list("client_id", "family_id"))
    assert int(right) == len(found & truth)
    assert float(precision) == pytest.approx(len(found & truth) / max(len(found), 1), abs=0.01)
    # Recall per scenario: the full churn pairs found by a full churn alert.
    pairs, hit, recall = scenarios["full_churn"]
    assert (int(pairs), int(hit)) == (full.count(), len(found & truth))
    assert float(recall) == pytest.approx(len(found & truth) / full.count(), abs=0.01)
    assert set(kinds) == set(TwinKind.values)
    # The rule-based kinds are judged on their own planted scenarios.
    for kind, scenario in (
        ("suspicious_pause", "technical_pause"),
        ("campaign_no_response", "campaign_no_response"),
    ):
        planted = GroundTruth.objects.filter(scenario=scenario)
        pairs = set(planted.values_list("client_id", "family_id"))
        raised = set(live.filter(kind=kind).values_list("client_id", "family_id"))
        assert int(kinds[kind][0]) == len(pairs) > 0
        assert int(kinds[kind][2]) == len(raised & pairs)
        assert int(scenarios[scenario][0]) == len(pairs)


@pytest.mark.django_db
def test_bench_demo_needs_planted_truth():
    with pytest.raises(CommandError, match="seed_demo"):
        run("bench_demo")
