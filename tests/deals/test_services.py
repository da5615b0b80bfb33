"""The scoring run: alerts in the shared queue, idempotent, hedged, visible to the right people."""

import datetime as dt
from decimal import Decimal

import pytest

from crm import kinds
from crm.models import Alert
from crm.signals import alerts_published
from deals import alert_kinds, selectors, services
from deals.models import DealRun, DealScore, Opportunity
from seeds.deals import seed_pipeline

END = dt.date(2026, 11, 29)


@pytest.fixture
def pipeline(team):
    n = seed_pipeline(n_deals=1000, seed=5, end=END)
    assert n == 1000
    return team


def test_the_kinds_are_registered_with_narratives_in_both_languages():
    kind = kinds.get(alert_kinds.AT_RISK)
    assert kind is not None and kind.engine == "deals"
    evidence = {
        "deal_name": "Retail deal 7",
        "amount": 120000.0,
        "p_loss": 0.72,
        "base_rate": 0.45,
        "at_stake": 86400.0,
        "drivers": [
            {"code": "amount_cycle", "amount_ratio": 6.0, "cycle_ratio": 2.1},
            {"code": "lead_source", "value": "partner"},
        ],
    }
    en = kind.narrative(evidence, "en")
    es = kind.narrative(evidence, "es")
    assert "about 72 %" in en and "partner-led" in en and "2.1× the typical one" in en
    assert "not a certainty" in en
    assert "72 %" in es and "llevada por un partner" in es and "86\xa0400\xa0€" in es


def test_scoring_publishes_deal_alerts_once_and_refreshes_them(
    pipeline, django_capture_on_commit_callbacks
):
    received = []

    def listen(sender, alert_ids, **kwargs):
        received.append(list(alert_ids))

    alerts_published.connect(listen, dispatch_uid="test-deals")
    try:
        run = services.score_pipeline(END)
    finally:
        alerts_published.disconnect(dispatch_uid="test-deals")
    assert run.status == DealRun.Status.SUCCEEDED and run.model_info["has_signal"]
    open_deals = Opportunity.objects.filter(outcome="open").count()
    assert run.deals_scored == open_deals == DealScore.objects.count()
    alerts = Alert.objects.filter(kind__in=alert_kinds.CODES)
    assert {a.kind for a in alerts} == set(alert_kinds.CODES)
    every = Alert.objects.filter(kind__in=alert_kinds.CODES + alert_kinds.PIPELINE_CODES)
    assert received and set(received[0]) == set(every.values_list("pk", flat=True))
    for alert in alerts[:50]:
        deal = Opportunity.objects.get(pk=alert.evidence["deal_id"])
        assert alert.client_id == deal.client_id and alert.family_id == deal.family_id
        assert alert.dedup_key == f"{deal.client_id}:deal{deal.pk}:{alert.kind}"
        expected = deal.amount * Decimal(str(alert.evidence["p_loss"]))
        assert abs(alert.priority - expected) <= deal.amount * Decimal("0.0001") + Decimal("0.01")
    risky = alerts.filter(kind=alert_kinds.AT_RISK)
    assert all(a.evidence["p_loss"] >= 0.5 for a in risky)
    stalled = alerts.filter(kind=alert_kinds.STALLED)
    assert all(a.evidence["days_in_stage"] > a.evidence["stage_p90"] for a in stalled)

    count = alerts.count()
    again = services.score_pipeline(END)
    assert Alert.objects.filter(kind__in=alert_kinds.CODES).count() == count
    assert again.alerts_created == 0 and again.alerts_updated == every.count()


def test_planted_drivers_are_what_the_alerts_find(pipeline):
    services.score_pipeline(END)
    skipped = Alert.objects.filter(kind=alert_kinds.SKIPPED_QUALIFICATION)
    assert skipped.exists()
    for alert in skipped:
        deal = Opportunity.objects.get(pk=alert.evidence["deal_id"])
        stages = list(deal.stage_changes.values_list("stage__code", flat=True))
        assert "qualification" not in stages
        assert alert.evidence["skip_loss_rate"] > alert.evidence["rest_loss_rate"]
    risky = list(DealScore.objects.select_related("opportunity").order_by("-p_loss")[:20])
    calm = list(DealScore.objects.select_related("opportunity").order_by("p_loss")[:20])
    partner = sum(s.opportunity.lead_source == "partner" for s in risky)
    assert partner > sum(s.opportunity.lead_source == "partner" for s in calm)


def test_a_dismissed_alert_is_not_raised_again_and_a_closed_deal_expires_its_alert(pipeline):
    services.score_pipeline(END)
    first, second = Alert.objects.filter(kind__in=alert_kinds.CODES).order_by("pk")[:2]
    first.status = Alert.Status.DISMISSED
    first.save()
    Opportunity.objects.filter(pk=second.evidence["deal_id"]).update(
        outcome="won", closed_date=END - dt.timedelta(days=1)
    )
    services.score_pipeline(END)
    assert not Alert.objects.filter(dedup_key=first.dedup_key, status="open").exists()
    second.refresh_from_db()
    assert second.status == Alert.Status.EXPIRED


def test_a_failed_run_leaves_the_published_alerts(pipeline, monkeypatch):
    services.score_pipeline(END)
    before = set(Alert.objects.values_list("pk", "status", "priority"))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "candidates", boom)
    with pytest.raises(RuntimeError):
        services.score_pipeline(END)
    assert DealRun.objects.latest().status == DealRun.Status.FAILED
    assert set(Alert.objects.values_list("pk", "status", "priority")) == before


def test_the_task_runs_the_scoring(pipeline):
    from deals.tasks import score_pipeline

    result = score_pipeline.delay(END.isoformat()).get()
    assert result["status"] == "succeeded" and result["alerts_created"] > 0


def test_visibility_rep_own_manager_team_admin_all(team):
    stage = selectors.stages()[0]
    c = team["clients"]
    for i, who in enumerate(("ana", "ben", "carla")):
        Opportunity.objects.create(
            external_id=f"X{i}",
            client=c[who],
            owner=team[who],
            amount=1000,
            stage=stage,
            created_date=END,
        )

    def seen(user):
        return set(selectors.opportunities_visible_to(user).values_list("external_id", flat=True))

    assert seen(team["ana"]) == {"X0"}
    assert seen(team["boss"]) == {"X0", "X1"}
    assert seen(team["other"]) == {"X2"}


def test_the_daily_schedule_installs_once(db):
    from io import StringIO

    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("install_deals_schedule", stdout=StringIO())
    call_command("install_deals_schedule", stdout=StringIO())
    task = PeriodicTask.objects.get(task="deals.tasks.score_pipeline")
    assert task.crontab.hour == "4" and task.enabled
    weekly = PeriodicTask.objects.get(task="deals.tasks.send_weekly_summaries")
    assert weekly.crontab.day_of_week == "1" and PeriodicTask.objects.count() == 2


def test_score_deals_command_reports_the_run(pipeline):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("score_deals", "--as-of", END.isoformat(), stdout=out)
    assert "open deals scored" in out.getvalue() and "signal: yes" in out.getvalue()
    with pytest.raises(CommandError, match="is not a date"):
        call_command("score_deals", "--as-of", "yesterday")


def test_stalled_narrative_names_the_segment_it_compares_with():
    kind = kinds.get(alert_kinds.STALLED)
    evidence = {
        "deal_name": "Tender",
        "stage": "Proposal",
        "days_in_stage": 80,
        "stage_p90": 31,
        "p_loss": 0.6,
        "p90_scope": "segment",
        "segment": "Retail",
    }
    en = kind.narrative(evidence, "en")
    assert "80 days" in en and "past deals in segment Retail" in en and "P90: 31 days" in en
    assert "may be worth a review" in en
    es = kind.narrative({**evidence, "p90_scope": "stage"}, "es")
    assert "80 días en Proposal" in es and "segmento" not in es


def test_score_deals_without_any_deal_says_there_is_nothing_to_validate_on(db):
    """A CRM with orders but no pipeline yet (a plain ERP export): no 'nan' in the report."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("score_deals", stdout=out)
    assert "0 open deals scored" in out.getvalue()
    assert "no closed deals to validate on" in out.getvalue()
    assert "nan" not in out.getvalue()
