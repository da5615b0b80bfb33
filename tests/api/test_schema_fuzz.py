"""Property-based tests generated from the OpenAPI schema, against a live server.

For every operation of the schema served at /api/schema/, schemathesis derives requests that
fit the schema and requests that do not, and sends them to a live server authenticated as a
CRM admin (who reaches every endpoint, writes included). No response may be a server error,
and every status code must be one the schema documents. Path ids are either generated or the
id of an object that exists. Examples per operation are bounded (about a minute in all); one
test per collection (clients, alerts, ...) so the live database is reset eight times, not
once per operation.

(The ``schema.parametrize()`` pytest plugin of schemathesis 4.32 fails under pytest 9 with
``'Function' object has no attribute '_nodeid'``, so each operation's strategy drives a plain
hypothesis test.)
"""

import datetime as dt
from decimal import Decimal

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from crm.models import Order, OrderLine
from deals.models import Opportunity
from deals.services import ensure_default_stages
from twins.models import ScoringRun, TwinState
from voice.models import SurveyResponse

from .conftest import build_world, token_for

EXAMPLES = 25


def _collections():
    """``{collection: [(method, path), ...]}`` from the schema, e.g. ``alerts`` -> 3 operations."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    found = {}
    for path, methods in sorted(paths.items()):
        for method in methods:
            found.setdefault(path.split("/")[3], []).append((method.upper(), path))
    return found


COLLECTIONS = _collections()


def existing_ids(world):
    """An id that exists, per collection in the path."""
    order = Order.objects.create(invoice_number="F-1", date=dt.date(2026, 10, 5), client=world.ana1)
    OrderLine.objects.create(
        order=order,
        line_number=1,
        product=world.cartridge,
        units=Decimal("4"),
        net_value=Decimal("50"),
        date=order.date,
        client=world.ana1,
        family=world.ane,
    )
    run = ScoringRun.objects.create(as_of=dt.date(2026, 11, 16), status="succeeded")
    twin = TwinState.objects.create(
        client=world.ana1, family=world.ane, kind="commodity", as_of=run.as_of, scoring_run=run
    )
    stage = ensure_default_stages()["proposal"]  # a flushed database may have lost them
    opportunity = Opportunity.objects.create(
        external_id="OP-1",
        client=world.ana1,
        amount=Decimal("900"),
        stage=stage,
        created_date=dt.date(2026, 10, 1),
    )
    from insights.models import ChurnScore, Segment, SegmentMembership, ValueForecast

    churn = ChurnScore.objects.create(client=world.ana1, as_of=run.as_of, p_churn=0.8, tier="high")
    segment, _ = Segment.objects.get_or_create(code="at_risk")
    membership = SegmentMembership.objects.create(
        client=world.ana1, segment=segment, as_of=run.as_of
    )
    forecast = ValueForecast.objects.create(
        client=world.ana1,
        as_of=run.as_of,
        method="twins",
        expected=Decimal("1200"),
        low=Decimal("800"),
        high=Decimal("1700"),
    )
    survey = SurveyResponse.objects.create(
        response_id="R-1", client=world.ana1, date=dt.date(2026, 10, 2), nps=4, comment="Tarde."
    )
    return {
        "churn-risk": churn.pk,
        "value-forecasts": forecast.pk,
        "client-segments": membership.pk,
        "surveys": survey.pk,
        "opportunities": opportunity.pk,
        "stages": stage.pk,
        "alerts": world.a_ana1.pk,
        "clients": world.ana1.pk,
        "families": world.ane.pk,
        "orders": order.pk,
        "potentials": world.ana1.potentials.get().pk,
        "products": world.cartridge.pk,
        "scoring-runs": run.pk,
        "twins": twin.pk,
        "territory-scores": None,  # one list, no {id}
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
def test_no_server_errors(collection, live_server):
    """Each operation of ``collection``; one live database per collection keeps the file fast."""
    world = build_world()
    real_ids = existing_ids(world)
    headers = {"Authorization": f"Token {token_for(world.admin)}", "Accept-Language": "en"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    for method, path in COLLECTIONS[collection]:
        seen = fuzz(schema[path][method], live_server.url, headers, real_ids[collection])
        if method == "GET":  # the token worked and real objects were reached, not only errors
            assert any(200 <= code < 300 for code in seen), (method, path, sorted(set(seen)))


def fuzz(operation, base_url, headers, real_id):
    """Run ``operation``'s generated cases; return the status codes seen."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{id}" in operation.path:
        strategies.append(operation.as_strategy(path_parameters={"id": real_id}))
    seen = []

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=[not_a_server_error, status_code_conformance],
        )
        seen.append(response.status_code)

    check()
    return seen
