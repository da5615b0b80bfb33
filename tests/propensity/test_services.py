"""The refit run: versioned model, scores, cross-sell alerts through the shared queue, the
admin's controls, and a failed run that leaves everything in place."""

from decimal import Decimal

import pytest

from crm import kinds
from crm.models import Alert
from recommender.propensity import services
from recommender.propensity.models import PropensityModel, PropensityScore, PropensitySettings
from tests.propensity.conftest import END


def _live():
    return Alert.objects.filter(kind="cross_sell", status__in=Alert.LIVE_STATUSES)


def test_a_refit_stores_the_model_and_raises_capped_cross_sell_alerts(loaded_world, refit):
    run = refit()

    assert run.status == "succeeded" and run.is_current and run.version == 1
    assert run.kind == "hgb" and run.window_start < run.window_end == run.as_of
    assert run.n_positives >= 10 and 0 < run.threshold < 1
    assert run.chosen["auc"] > 0.6 and "precision_at_20" in run.chosen
    assert run.load().has_signal
    # Every candidate pair is scored; alerts only above the threshold, at most 2 per rep.
    assert PropensityScore.objects.count() == run.pairs_scored > 0
    alerts = list(_live().select_related("client"))
    assert alerts and run.alerts_created == len(alerts)
    per_rep = {}
    for a in alerts:
        per_rep[a.client.rep_id] = per_rep.get(a.client.rep_id, 0) + 1
    assert max(per_rep.values()) <= 2 and len(per_rep) == 4
    for a in alerts:
        ev = a.evidence
        assert ev["probability"] >= ev["threshold"]
        stake = ev["probability"] * ev["expected_value"]
        if "bundle" not in ev:
            assert float(a.priority) == pytest.approx(stake, abs=0.02 + 0.001 * stake)
        else:
            assert float(a.priority) > stake
        score = PropensityScore.objects.get(client=a.client, family=a.family)
        assert score.at_stake == a.priority
    # The alert is told in words, both languages, with its reasons.
    kind = kinds.get("cross_sell")
    with_reasons = [a for a in alerts if a.evidence["reasons"]]
    assert with_reasons
    ev = with_reasons[0].evidence
    en, es = kind.narrative(ev, "en"), kind.narrative(ev, "es")
    assert "Why:" in en and "Por qué:" in es
    assert ev["family_name"] in en and "not a certainty" in en and "no una certeza" in es


def test_refitting_the_same_day_refreshes_the_alerts_and_keeps_the_weekly_cap(loaded_world, refit):
    first = refit()
    ids = set(_live().values_list("pk", flat=True))
    second = refit()

    assert second.version == first.version + 1 and second.is_current
    assert not PropensityModel.objects.get(pk=first.pk).is_current
    assert second.alerts_created == 0  # the week's quota is used
    assert set(_live().values_list("pk", flat=True)) <= ids


def test_the_admin_threshold_and_cap_control_the_alerts(loaded_world, refit):
    ctl = PropensitySettings.get()
    ctl.max_alerts_per_rep_week = 0
    ctl.save()
    run = refit()
    assert run.alerts_created == 0 and not _live().exists()
    assert PropensityScore.objects.exists()  # still scored for the client page

    ctl.max_alerts_per_rep_week = 5
    ctl.save()
    refit()
    assert 4 < _live().count() <= 20

    ctl.threshold = 0.999
    ctl.save()
    run = refit()
    assert run.alerts_created == 0 and run.alerts_expired > 0 and not _live().exists()


def test_alerts_can_be_switched_off(loaded_world, refit):
    ctl = PropensitySettings.get()
    ctl.enabled = False
    ctl.save()
    run = refit()
    assert run.status == "succeeded" and not _live().exists()


def test_a_failed_refit_leaves_the_previous_model_scores_and_alerts(
    loaded_world, refit, monkeypatch
):
    good = refit()
    alerts = set(_live().values_list("pk", flat=True))
    scores = PropensityScore.objects.count()

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.learn, "choose_and_fit", broken)
    with pytest.raises(RuntimeError):
        refit()
    failed = PropensityModel.objects.get(version=good.version + 1)
    assert failed.status == "failed" and "disk full" in failed.error and not failed.is_current
    assert services.current_model().pk == good.pk
    assert set(_live().values_list("pk", flat=True)) == alerts
    assert PropensityScore.objects.count() == scores


def test_no_history_means_no_model_and_no_alert(db, refit):
    from crm.models import Client, ProductFamily

    Client.objects.create(code="NEW")
    ProductFamily.objects.create(code="F1", name="Nadie la compra")
    run = refit()
    assert run.status == "succeeded" and run.kind == "none"
    assert run.pairs_scored == 0 and not _live().exists()


def test_the_money_is_decimal(loaded_world, refit):
    refit()
    s = PropensityScore.objects.first()
    assert isinstance(s.expected_value, Decimal) and isinstance(s.at_stake, Decimal)


def test_a_refit_without_a_date_reads_a_stale_extract_as_of_its_last_week(loaded_world, refit):
    """The world's orders end on END, months before today: the model and its scores are dated
    the extract's last week, not today (whose 26-week label windows hold no purchase)."""
    run = refit(None)
    assert run.as_of == END
    assert run.status == PropensityModel.Status.SUCCEEDED
    assert run.pairs_scored > 0
