"""The refit: segments with their date, churn tiers, HIGH-risk alerts merged with the twins'."""

import datetime as dt
import struct

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from crm.models import Alert
from insights import services
from insights.models import ChurnScore, ChurnTier, InsightsRun, Segment, SegmentMembership

from .conftest import AS_OF


def test_refit_segments_every_client_and_flags_the_ones_that_stopped(world):
    run = services.refit(AS_OF)
    assert run.status == InsightsRun.Status.SUCCEEDED
    assert run.clients == 31
    assert run.segmentation["k"] in (4, 5, 6)
    assert SegmentMembership.objects.filter(as_of=AS_OF).count() == 31
    stopped = world["clients"][:3]
    scores = {s.client_id: s for s in ChurnScore.objects.all()}
    for c in stopped:
        assert scores[c.pk].tier == "high"
        assert scores[c.pk].reasons  # top reasons stored
        assert SegmentMembership.objects.get(client=c, as_of=AS_OF).segment.code in (
            "at_risk",
            "lapsed",
        )
    assert sum(s.tier == "high" for s in scores.values()) == 3
    # Without 90-day silences in the history there is nothing to learn: the rule is used.
    assert run.model_info["has_signal"] is False
    alerts = Alert.objects.filter(kind="client_churn_risk")
    assert sorted(a.client_id for a in alerts) == sorted(c.pk for c in stopped)
    assert all(a.priority > 0 and a.family_id is None for a in alerts)


def test_refit_twice_keeps_one_membership_per_day_and_one_alert_per_client(world):
    services.refit(AS_OF)
    run = services.refit(AS_OF)
    assert SegmentMembership.objects.count() == 31
    assert Alert.objects.filter(kind="client_churn_risk").count() == 3
    assert run.alerts_created == 0 and run.alerts_updated == 3


def test_a_later_refit_keeps_the_history_of_segments(world):
    services.refit(AS_OF - dt.timedelta(days=70))  # before the three stopped
    services.refit(AS_OF)
    first = world["clients"][0]
    days = list(
        SegmentMembership.objects.filter(client=first)
        .order_by("as_of")
        .values_list("segment__code", flat=True)
    )
    assert len(days) == 2 and days[0] != days[1]


def test_admin_thresholds_change_the_tiers_and_the_alerts(world):
    ChurnTier.objects.filter(code="high").update(min_probability=0.999)
    services.refit(AS_OF)
    assert not ChurnScore.objects.filter(tier="high").exists()
    assert not Alert.objects.filter(kind="client_churn_risk").exists()
    ChurnTier.objects.filter(code="high").update(min_probability=0.7, alert_min_at_stake=10**9)
    services.refit(AS_OF)
    assert ChurnScore.objects.filter(tier="high").count() == 3
    assert not Alert.objects.filter(kind="client_churn_risk").exists()  # too little at stake


def test_high_risk_merges_into_the_twins_stop_buying_alert(world):
    c = world["clients"][0]
    services.refit(AS_OF)
    own = Alert.objects.get(kind="client_churn_risk", client=c)
    twin = Alert.objects.create(
        client=c,
        family=world["families"][0],
        kind="full_churn",
        as_of=AS_OF,
        dedup_key=Alert.make_dedup_key(c.pk, world["families"][0].pk, "full_churn"),
        priority=100,
        evidence={"kind": "full_churn"},
    )
    run = services.refit(AS_OF)
    assert run.alerts_merged == 1
    # One live alert for the client: the twins' one, carrying the client-level risk.
    live = Alert.objects.filter(client=c, status__in=Alert.LIVE_STATUSES)
    assert list(live) == [twin]
    own.refresh_from_db()
    assert own.status == Alert.Status.EXPIRED
    twin.refresh_from_db()
    assert twin.evidence["client_churn"]["tier"] == "high"
    assert twin.evidence["kind"] == "full_churn"
    assert ChurnScore.objects.get(client=c).merged_into_id == twin.pk
    assert Alert.objects.filter(kind="client_churn_risk", status="open").count() == 2


def test_failed_refit_keeps_the_previous_results(world, monkeypatch):
    services.refit(AS_OF)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.C, "fit", boom)
    try:
        services.refit(AS_OF + dt.timedelta(days=7))
    except RuntimeError:
        pass
    assert InsightsRun.objects.first().status == InsightsRun.Status.FAILED
    assert ChurnScore.objects.count() == 31
    assert Alert.objects.filter(kind="client_churn_risk", status="open").count() == 3


def test_command_task_and_schedule(world):
    from insights.tasks import refit_insights

    out = refit_insights.delay(AS_OF.isoformat()).get()
    assert out["status"] == "succeeded" and out["alerts_created"] == 3
    call_command("install_insights_schedule")
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(name="Nightly client insights refit").task == (
        "insights.tasks.refit_insights"
    )
    assert Segment.objects.filter(playbook__gt="").exists()


def test_postgresql_binary_arrays_are_decoded():
    # array_send('{3, -1, 1099511627776}'::int8[]): dimensions, NULL flag, element type
    # (20: int8), length and lower bound, then (byte length, big-endian value) per element.
    values = [3, -1, 2**40]
    buf = struct.pack(">iiiii", 1, 0, 20, len(values), 1)
    buf += b"".join(struct.pack(">iq", 8, v) for v in values)
    assert services._unsend(buf, ">i8").tolist() == values
    doubles = struct.pack(">iiiii", 1, 0, 701, 2, 1) + struct.pack(">idid", 8, 1.5, 8, -2.25)
    assert services._unsend(doubles, ">f8").tolist() == [1.5, -2.25]
    empty = struct.pack(">iii", 0, 0, 20)  # array_send of an empty array
    assert len(services._unsend(empty, ">i8")) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL read path")
def test_postgresql_read_matches_the_orm_sums(world, monkeypatch):
    fast = services.read_lines(AS_OF)
    monkeypatch.setattr(services.connection, "vendor", "sqlite")
    slow = services.read_lines(AS_OF)
    key = ["client", "family", "date"]
    fast, slow = (d.sort_values(key).reset_index(drop=True) for d in (fast, slow))
    assert len(fast) == len(slow) > 0
    assert (fast[key].to_numpy() == slow[key].to_numpy()).all()
    assert np.allclose(fast["value"], slow["value"])


def test_lines_read_are_summed_per_client_family_and_day_in_cents():
    # Client 2 family 1 on day 5: 10.00 + (-10.00) nets to exactly zero (not a purchase).
    client, family, day, cents = (
        np.array(x, dtype=np.int64)
        for x in ([2, 1, 2, 1, 2], [1, 1, 1, 1, 3], [5, 7, 5, 7, 5], [1000, 10, -1000, 20, 7])
    )
    c, f, d, v = services._sum_per_day(client, family, day, cents)
    assert list(zip(c, f, d, v, strict=True)) == [(1, 1, 7, 30), (2, 1, 5, 0), (2, 3, 5, 7)]


def test_a_stale_extract_is_read_as_of_its_own_last_week(world):
    """Refit without a date on data that ended months ago (the world's last order is in the
    week ending AS_OF): read as of today, every client would be months silent and flagged;
    read as of the extract's last week, only the three that stopped are."""
    from crm.models import OrderLine

    latest = OrderLine.objects.latest("date").date
    assert latest <= AS_OF < dt.date.today()
    run = services.refit()
    assert run.as_of == AS_OF
    high = {s.client_id for s in ChurnScore.objects.filter(tier="high")}
    assert high == {c.pk for c in world["clients"][:3]}
