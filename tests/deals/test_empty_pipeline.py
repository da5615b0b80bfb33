"""A fresh install (no deals, or only open ones) runs its daily deal scoring without failing."""

import datetime as dt

from deals.models import DealRun
from deals.services import score_pipeline


def test_a_fresh_install_scores_an_empty_pipeline(db):
    run = score_pipeline(dt.date(2026, 11, 30))
    assert run.status == DealRun.Status.SUCCEEDED
    assert run.deals_scored == 0 and run.model_info["has_signal"] is False


def test_closed_deals_without_stage_history_score_or_say_why(team):
    """Deals imported without their stage history (a bare CRM export): the run does not crash."""
    from deals import selectors
    from deals.models import Opportunity, Outcome

    stages = {s.code: s for s in selectors.stages()}
    c = team["clients"]
    for i in range(12):
        won = i % 3 != 0
        Opportunity.objects.create(
            external_id=f"D{i}",
            client=c["ana"],
            owner=team["ana"],
            amount=1000 + 100 * i,
            stage=stages["won" if won else "lost"],
            outcome=Outcome.WON if won else Outcome.LOST,
            created_date=dt.date(2026, 1, 5) + dt.timedelta(days=7 * i),
            closed_date=dt.date(2026, 4, 6) + dt.timedelta(days=7 * i),
        )
    Opportunity.objects.create(
        external_id="OPEN",
        client=c["ben"],
        owner=team["ben"],
        amount=5000,
        stage=stages["proposal"],
        created_date=dt.date(2026, 10, 1),
    )
    run = score_pipeline(dt.date(2026, 11, 30))
    assert run.status == DealRun.Status.SUCCEEDED, run.error
