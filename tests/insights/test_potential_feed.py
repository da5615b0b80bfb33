"""Room to grow feeds the twins' uncaptured-potential rule through an estimated potential
(``crm.Potential`` of source ``insights_forecast``), only where no source states one."""

from decimal import Decimal

import pytest

from crm.models import Alert, Potential
from insights import services
from insights.models import InsightsRun

from .conftest import AS_OF
from .world import publish_twins, weekly_value

SOURCE = Potential.FORECAST_SOURCE


def _growing(world):
    """An odd-id client (it buys both families) that never stopped."""
    return next(c for c in world["clients"][3:30] if c.pk % 2)


def _anes_12m(client):
    """The client's ANES purchases in the 365 days to AS_OF: 52 weekly lines of 40 x size."""
    return 52 * weekly_value(client) / 2


def test_a_client_with_room_to_grow_gets_an_estimated_potential(world):
    big = _growing(world)
    week = weekly_value(big)
    anes = world["families"][0]
    # The twins expect 8 units at 3 weeks' spend over 8 weeks of ANES: 39 weeks' spend in
    # 13, three times last quarter (room to grow); at a year's pace 8 x 3 x week x 52 / 8.
    publish_twins(world, AS_OF, units=8.0, price=3 * week, clients=[big])
    run = services.refit(AS_OF)
    est = Potential.objects.get(source=SOURCE)
    assert (est.client_id, est.family_id) == (big.pk, anes.pk)
    assert est.annual_potential == Decimal(str(round(8 * 3 * week * 52 / 8, 2)))
    assert est.annual_potential > Decimal(_anes_12m(big))  # above what it buys
    assert run.model_info["value_forecast"]["estimated_potentials"] == 1
    # The twins' read of potentials (their uncaptured-potential rule's input) sees it.
    import numpy as np

    from twins.runs.read import potentials

    got = potentials(np.array([big.pk]), np.array([anes.pk]))
    assert got[0] == pytest.approx(float(est.annual_potential))
    # Insights' own stated-potential measures leave it out (share of wallet, territories).
    assert big.pk not in services._potential().index

    # A later refit where the client no longer has room to grow drops the estimate.
    publish_twins(world, AS_OF, units=8.0, clients=[big])  # 13 weeks' spend in 13
    services.refit(AS_OF)
    assert not Potential.objects.filter(source=SOURCE).exists()
    assert InsightsRun.objects.first().model_info["value_forecast"]["estimated_potentials"] == 0


def _twin(client, family, euros_8_weeks):
    from twins.models import ScoringRun, TwinState

    run = ScoringRun.objects.first() or ScoringRun.objects.create(as_of=AS_OF, status="succeeded")
    TwinState.objects.create(
        client=client,
        family=family,
        kind="commodity",
        as_of=AS_OF,
        scoring_run=run,
        expected_next=1.0,
        forecast_units=8.0,
        forecast_weeks=8,
        params={"unit_price": euros_8_weeks / 8.0},
    )


def test_no_estimate_where_a_source_states_a_potential_or_the_forecast_is_below_purchases(
    world,
):
    from twins.models import TwinState

    big, other = [c for c in world["clients"][3:30] if c.pk % 2][:2]
    anes, glov = world["families"]
    TwinState.objects.all().delete()
    # big: room to grow, but a stated ERP potential for ANES (even a stale one): no estimate.
    Potential.objects.create(client=big, family=anes, annual_potential=Decimal("100.00"))
    _twin(big, anes, 24 * weekly_value(big))
    # other: room to grow (its GLOV twin expects 4 weeks' spend a week), but its ANES twin
    # at a year's pace is 90 % of what it bought of ANES in the year: no estimate for ANES.
    half = weekly_value(other) / 2  # one family's weekly spend
    _twin(other, anes, 0.9 * 52 * half * 8 / 52)
    _twin(other, glov, 8 * 8 * half)
    services.refit(AS_OF)
    est = Potential.objects.filter(source=SOURCE)
    assert [(p.client_id, p.family_id) for p in est] == [(other.pk, glov.pk)]
    assert float(est[0].annual_potential) == pytest.approx(8 * 8 * half * 52 / 8, abs=0.01)
    assert Potential.objects.get(client=big).source == "erp"


@pytest.mark.django_db
def test_the_twins_raise_an_uncaptured_potential_alert_on_the_estimate(world):
    """The next twins scoring treats the estimate like any potential: a pair buying under a
    quarter of it gets the uncaptured-potential alert."""
    from twins.runs.launch import launch

    big = _growing(world)
    anes = world["families"][0]
    # Six times the ANES year expected at a year's pace: the pair captures 1/6 of it.
    week_anes = weekly_value(big) / 2
    publish_twins(world, AS_OF, units=8.0, price=6 * 52 * week_anes / 52, clients=[big])
    services.refit(AS_OF)
    est = Potential.objects.get(source=SOURCE)
    assert float(est.annual_potential) == pytest.approx(6 * 52 * week_anes, abs=0.01)
    launch(as_of=AS_OF, inline=True)
    alert = Alert.objects.get(client=big, family=anes, kind="uncaptured_potential")
    assert alert.status in Alert.LIVE_STATUSES
