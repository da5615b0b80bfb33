"""seed_demo also seeds a pipeline with planted truth on the demo's clients and reps."""

import datetime as dt

import pytest

from deals.models import Opportunity, StageChange
from seeds import services


@pytest.mark.django_db
def test_seed_demo_seeds_the_pipeline_on_the_demo_clients():
    services.seed_demo(clients=40, weeks=30, seed=2, end=dt.date(2026, 3, 29), password="pw")
    deals = Opportunity.objects.select_related("client", "owner")
    assert deals.count() == 200
    assert all(d.owner == d.client.rep and d.owner.is_rep for d in deals)
    assert deals.filter(outcome="open").exists() and deals.filter(outcome="lost").exists()
    assert not deals.filter(created_date__gt=dt.date(2026, 3, 29)).exists()
    assert StageChange.objects.filter(date__gt=dt.date(2026, 3, 29)).count() == 0
    # The drifting segment (planted) lost more in the last quarter than before.
    retail = deals.filter(segment="Retail").exclude(outcome="open")
    recent = retail.filter(closed_date__gt=dt.date(2026, 3, 29) - dt.timedelta(days=91))
    assert recent.exists()
    services.seed_demo(
        clients=40, weeks=30, seed=2, end=dt.date(2026, 3, 29), password="pw", reset=True
    )
    assert Opportunity.objects.count() == 200
