"""Pipeline-level alerts to managers: the planted truth is found, the alerts have no client,
land in the manager's queue only, and carry euros at stake and hedged narratives."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crm import kinds
from crm.models import Alert, Client, User
from crm.selectors import alerts_visible_to, team_queues
from deals import alert_kinds, services
from deals.models import DealScore, Opportunity, Stage, StageChange
from deals.stats import pipeline as P
from seeds.deals import DRIFT_SEGMENT, seed_pipeline

END = dt.date(2026, 11, 29)
RECENT = END - dt.timedelta(days=91)


@pytest.fixture
def one_team(team):
    """The demo's pipeline (seed 7, 1,200 deals) owned by the boss's two reps; the other
    manager's rep has no deals."""
    Client.objects.filter(rep=team["carla"]).update(rep=team["ben"])
    seed_pipeline(n_deals=1200, seed=7, end=END)
    return team


def _pipeline_alerts(**filters):
    return Alert.objects.filter(kind__in=alert_kinds.PIPELINE_CODES, **filters)


def test_the_planted_segment_drop_reaches_the_manager_and_no_one_else(one_team, make_user):
    services.score_pipeline(END)
    drops = _pipeline_alerts(kind=alert_kinds.WIN_RATE_DROP)
    assert [(a.evidence["dimension"], a.evidence["segment"]) for a in drops] == [
        ("segment", DRIFT_SEGMENT)
    ], "region and rep carry no planted signal; the Retail drop shows in them only through Retail"
    drop = drops.get()
    assert drop.client is None and drop.recipient == one_team["boss"]
    ev = drop.evidence
    assert ev["rate_recent"] < ev["rate_before"] and ev["p_value"] < 0.01
    assert ev["n_recent"] >= P.MIN_N and ev["n_tests"] > 5
    # Euros at stake: the revenue the earlier rate would have won on the recent deals.
    recent = Opportunity.objects.filter(
        segment=DRIFT_SEGMENT, closed_date__gte=RECENT, closed_date__lte=END
    )
    amount = float(sum(d.amount for d in recent))
    assert float(drop.priority) == pytest.approx(
        (ev["rate_before"] - ev["rate_recent"]) * amount, rel=1e-3
    )
    assert drop.p_value == pytest.approx(ev["p_value"])

    en = kinds.get(drop.kind).narrative(ev, "en")
    es = kinds.get(drop.kind).narrative(ev, "es")
    assert "segment Retail" in en and "unlikely to be chance alone" in en and "do not say" in en
    assert "segmento Retail" in es and "no dicen por qué" in es

    # Visibility: the boss (and an admin), not the reps nor the other manager.
    assert drop in alerts_visible_to(one_team["boss"])
    assert drop in alerts_visible_to(make_user("root", role="admin"))
    for name in ("ana", "ben", "other"):
        assert not alerts_visible_to(one_team[name]).filter(client__isnull=True).exists(), name
    # The team page counts the manager's own pipeline alerts on the manager's row.
    rows = {r["rep"].username: r for r in team_queues(one_team["boss"], today=END)}
    assert rows["boss"]["todo"] == _pipeline_alerts(recipient=one_team["boss"]).count() > 0


def test_the_run_is_idempotent_and_a_vanished_signal_expires_the_alert(one_team):
    services.score_pipeline(END)
    first = {a.dedup_key: a.pk for a in _pipeline_alerts()}
    run = services.score_pipeline(END)
    assert {a.dedup_key: a.pk for a in _pipeline_alerts()} == first
    assert run.alerts_created == 0
    # A year later nothing of the planted drop is recent any more.
    services.score_pipeline(END - dt.timedelta(days=200))
    drop = Alert.objects.get(kind=alert_kinds.WIN_RATE_DROP, dedup_key__in=first)
    assert drop.status == Alert.Status.EXPIRED


def test_rising_late_stage_losses_are_found_once_planted(one_team):
    services.score_pipeline(END)
    assert not _pipeline_alerts(kind=alert_kinds.LATE_LOSSES).exists(), "none planted yet"
    # Plant it: two in three deals won recently (all went through the late stages) now lost.
    lost = Stage.objects.get(code="lost")
    won_recently = list(
        Opportunity.objects.filter(outcome="won", closed_date__gte=RECENT + dt.timedelta(days=1))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    flipped = [pk for i, pk in enumerate(won_recently) if i % 3]
    Opportunity.objects.filter(pk__in=flipped).update(outcome="lost", stage=lost)
    StageChange.objects.filter(opportunity_id__in=flipped, stage__code="won").update(stage=lost)
    services.score_pipeline(END)
    alert = _pipeline_alerts(kind=alert_kinds.LATE_LOSSES).get()
    ev = alert.evidence
    assert alert.recipient == one_team["boss"] and alert.client is None
    assert ev["rate_recent"] > ev["rate_before"] + 0.2 and ev["p_value"] < 0.001
    assert ev["lost_amount_recent"] >= float(
        sum(Opportunity.objects.get(pk=pk).amount for pk in flipped)
    )
    assert "not a certainty" in kinds.get(alert.kind).narrative(ev, "en")


def test_forecast_concentration_matches_the_scores(one_team):
    services.score_pipeline(END)
    alert = _pipeline_alerts(kind=alert_kinds.RISK_CONCENTRATION).get()
    ev = alert.evidence
    scores = DealScore.objects.filter(
        opportunity__expected_close_date__lte=dt.date(2026, 12, 31)
    ).select_related("opportunity")
    high = [s for s in scores if s.p_loss >= ev["threshold"]]
    assert ev["n_high"] == len(high) and ev["n"] == scores.count()
    assert ev["amount_high"] == pytest.approx(float(sum(s.opportunity.amount for s in high)))
    assert ev["share"] >= 0.4
    assert float(alert.priority) == pytest.approx(
        sum(float(s.opportunity.amount) * s.p_loss for s in high), rel=1e-3
    )
    assert "leans heavily" in kinds.get(alert.kind).narrative(ev, "en")


def test_pipeline_alerts_render_in_the_queue_detail_page_and_api(one_team, client):
    services.score_pipeline(END)
    drop = _pipeline_alerts(kind=alert_kinds.WIN_RATE_DROP).get()
    client.force_login(one_team["boss"])
    queue = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert queue.status_code == 200 and "Win rate dropped" in queue.content.decode()
    page = client.get(f"/alerts/{drop.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200 and "segment Retail" in body and "Pipeline" in body
    api = client.get(f"/api/v1/alerts/{drop.pk}/").json()
    assert api["client"] is None and api["recipient"] == "boss"
    # Unanswered for ten days: the team page's coverage table lists it, without a client.
    Alert.objects.filter(pk=drop.pk).update(created_at=drop.created_at - dt.timedelta(days=10))
    manager = client.get("/team/", HTTP_ACCEPT_LANGUAGE="en")
    body = manager.content.decode()
    assert manager.status_code == 200 and f"/alerts/{drop.pk}/" in body and "Pipeline" in body
    client.force_login(one_team["ana"])
    assert client.get(f"/alerts/{drop.pk}/").status_code == 404


def test_the_bandit_picks_a_pipeline_action_for_a_pipeline_alert(one_team):
    from recommender.models import Recommendation

    services.score_pipeline(END)
    recs = Recommendation.objects.filter(alert__kind__in=alert_kinds.PIPELINE_CODES)
    assert recs.exists()
    assert {r.action.code for r in recs} <= {"pipeline_review", "deal_coaching", "monitor"}
    deal_recs = Recommendation.objects.filter(alert__kind__in=alert_kinds.CODES)
    assert deal_recs.exists()
    for r in deal_recs.select_related("alert", "action")[:100]:
        assert r.alert.kind in r.action.alert_kinds
    codes = set(deal_recs.values_list("action__code", flat=True))
    assert codes & {"executive_sponsor_call", "requalify", "discount_approval"}


def test_a_client_alert_needs_a_client_or_a_recipient(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Alert.objects.create(kind=alert_kinds.WIN_RATE_DROP, dedup_key="x", as_of=END)


# --- the pure statistics -------------------------------------------------------------------


def _closed(rng, n, rate_before, rate_recent, segment):
    closed = pd.Timestamp(END) - pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    recent = closed >= pd.Timestamp(RECENT)
    p = np.where(recent & (segment == "A"), rate_recent, rate_before)
    return pd.DataFrame(
        {
            "closed": closed,
            "won": (rng.random(n) < p).astype(int),
            "segment": segment,
            "region": rng.choice(["N", "S", "E"], n),
            "amount": 1000.0,
        }
    )


def test_drop_drivers_find_the_planted_segment_and_not_its_echo():
    rng = np.random.default_rng(3)
    segment = rng.choice(["A", "B", "C", "D"], 6000)
    closed = _closed(rng, 6000, 0.5, 0.2, segment)
    every = P.win_rate_drops_across(closed, ("segment", "region"), pd.Timestamp(RECENT))
    assert {"A", "N", "S", "E"} <= set(every.loc[every["dropped"], "segment"]), (
        "A's drop echoes in every region"
    )
    drivers = P.win_rate_drop_drivers(closed, ("segment", "region"), pd.Timestamp(RECENT))
    assert list(drivers["segment"]) == ["A"]


def test_no_drop_no_driver():
    rng = np.random.default_rng(4)
    closed = _closed(rng, 3000, 0.5, 0.5, rng.choice(["A", "B", "C"], 3000))
    assert P.win_rate_drop_drivers(closed, ("segment", "region"), pd.Timestamp(RECENT)).empty


def test_late_loss_rise_and_risk_concentration():
    rng = np.random.default_rng(5)
    closed = _closed(rng, 2000, 0.6, 0.6, np.full(2000, "B"))
    recent = (closed["closed"] >= pd.Timestamp(RECENT)).to_numpy()
    late = rng.random(2000) < 0.5
    assert P.late_loss_rise(closed, late, pd.Timestamp(RECENT))["p"] > 0.05
    closed.loc[recent & (rng.random(2000) < 0.5), "won"] = 0
    rise = P.late_loss_rise(closed, late, pd.Timestamp(RECENT))
    assert rise["p"] < 0.001 and rise["rate_recent"] > rise["rate_before"]
    c = P.risk_concentration([100, 300, 600], [0.1, 0.7, 0.8], 0.6)
    assert c["n_high"] == 2 and c["share"] == pytest.approx(0.9)
    assert c["gap_high"] == pytest.approx(300 * 0.7 + 600 * 0.8)
    assert c["expected"] == pytest.approx(90 + 90 + 120)
    assert P.risk_concentration([], [], 0.6)["share"] == 0.0


def test_an_inactive_manager_gets_nothing(one_team):
    User.objects.filter(pk=one_team["boss"].pk).update(is_active=False)
    services.score_pipeline(END)
    assert not _pipeline_alerts().exists()


def test_the_weekly_summary_tells_the_manager_about_the_pipeline_alerts(one_team):
    from deals import weekly

    services.score_pipeline(END)
    _, text, html = weekly.render(one_team["boss"], END)
    assert "Alertas sobre el embudo del equipo" in text
    assert "Cae la tasa de éxito" in text and "En el segmento Retail" in text
    assert "segmento Retail" in html
    _, other, _ = weekly.render(one_team["other"], END)
    assert "Ninguna esta semana." in other and "segmento Retail" not in other


def test_a_young_pipeline_raises_no_pipeline_alert(team):
    from decimal import Decimal

    from deals.services import ensure_default_stages

    stages = ensure_default_stages()
    for i in range(16):  # ten closed deals (too few to test anything), six open ones
        closed = i < 10
        deal = Opportunity.objects.create(
            external_id=f"Y{i}",
            client=team["clients"]["ana"],
            owner=team["ana"],
            amount=Decimal("1000"),
            stage=stages["lost" if closed and i % 2 else "won" if closed else "proposal"],
            outcome=("lost" if i % 2 else "won") if closed else "open",
            created_date=END - dt.timedelta(days=100 + i),
            closed_date=END - dt.timedelta(days=5 * i) if closed else None,
        )
        StageChange.objects.create(
            opportunity=deal, stage=stages["prospecting"], date=deal.created_date
        )
        if closed:
            StageChange.objects.create(opportunity=deal, stage=deal.stage, date=deal.closed_date)
    run = services.score_pipeline(END)
    assert run.deals_scored == 6 and not run.model_info["has_signal"]
    assert not _pipeline_alerts().exists()
