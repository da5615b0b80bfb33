"""Clients, catalogue, potentials, twins: who sees what, filters, pagination, auth."""

import datetime as dt

import pytest
from django.urls import reverse

from twins.models import TwinState


def codes(response, key="code"):
    assert response.status_code == 200, response.content
    return [item[key] for item in response.json()["results"]]


def test_no_token_is_401_naming_the_scheme(world, api_as):
    response = api_as(None).get("/api/v1/clients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert "detail" in response.json()


def test_bad_token_is_401(world, api_as):
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/clients/").status_code == 401


@pytest.mark.parametrize(
    "who, expected",
    [
        ("ana", ["C-ANA-1", "C-ANA-2"]),
        ("bob", ["C-BOB-1"]),
        ("manager", ["C-ANA-1", "C-ANA-2", "C-BOB-1"]),
        ("other_manager", ["C-CARL-1"]),
        ("admin", ["C-ANA-1", "C-ANA-2", "C-BOB-1", "C-CARL-1"]),
    ],
)
def test_clients_follow_the_page_visibility_rules(world, api_as, who, expected):
    assert codes(api_as(getattr(world, who)).get("/api/v1/clients/")) == expected


def test_another_reps_client_is_404_not_403(world, api_as):
    response = api_as(world.ana).get(f"/api/v1/clients/{world.bob1.pk}/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    own = api_as(world.ana).get(f"/api/v1/clients/{world.ana1.pk}/")
    assert own.status_code == 200
    assert own.json()["rep"] == "ana"


def test_session_login_works_too(world, client):
    client.force_login(world.bob)
    response = client.get("/api/v1/clients/")
    assert codes(response) == ["C-BOB-1"]


def test_client_filters(world, api_as):
    admin = api_as(world.admin)
    assert codes(admin.get("/api/v1/clients/", {"province": "madrid"})) == [
        "C-ANA-1",
        "C-BOB-1",
        "C-CARL-1",
    ]
    assert codes(admin.get("/api/v1/clients/", {"rep": "ana", "search": "2"})) == ["C-ANA-2"]


def test_cursor_pagination_walks_every_client_once(world, api_as):
    admin = api_as(world.admin)
    seen, url = [], "/api/v1/clients/?page_size=3"
    while url:
        page = admin.get(url).json()
        assert set(page) == {"next", "previous", "results"}
        seen += [c["code"] for c in page["results"]]
        url = page["next"]
    assert seen == ["C-ANA-1", "C-ANA-2", "C-BOB-1", "C-CARL-1"]


def test_families_and_products_are_the_shared_catalogue(world, api_as):
    rep = api_as(world.carl)
    assert codes(rep.get("/api/v1/families/")) == ["ANE", "IMP"]
    assert codes(rep.get("/api/v1/families/", {"kind": "technical"})) == ["IMP"]
    family = rep.get(f"/api/v1/families/{world.imp.pk}/").json()
    assert (family["code"], family["kind"]) == ("IMP", "technical")
    products = rep.get("/api/v1/products/", {"family": "IMP"}).json()["results"]
    assert [(p["code"], p["family"]) for p in products] == [("P-IMP-1", "IMP")]
    assert rep.get(f"/api/v1/products/{world.implant.pk}/").json()["name"] == "Implant"


def test_invalid_filter_value_is_400_naming_the_filter(world, api_as):
    response = api_as(world.admin).get("/api/v1/families/", {"kind": "gold"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_potentials_only_of_visible_clients(world, api_as):
    rows = api_as(world.ana).get("/api/v1/potentials/").json()["results"]
    assert [(p["client"], p["family"], p["annual_potential"]) for p in rows] == [
        ("C-ANA-1", "IMP", "12000.00")
    ]
    carl_potential = world.carl1.potentials.get()
    assert api_as(world.ana).get(f"/api/v1/potentials/{carl_potential.pk}/").status_code == 404


def test_twin_state_per_pair(world, api_as):
    twin = TwinState.objects.create(
        client=world.ana1,
        family=world.ane,
        kind="commodity",
        as_of=dt.date(2026, 11, 16),
        mature=True,
        expected_next=12.5,
        band_low=4.0,
        band_high=21.0,
        p_active=0.35,
        forecast_units=60.0,
        forecast_weeks=8,
    )
    rows = api_as(world.manager).get("/api/v1/twins/", {"client": "C-ANA-1", "family": "ANE"})
    (row,) = rows.json()["results"]
    assert (row["band_low"], row["band_high"], row["p_active"], row["forecast_units"]) == (
        4.0,
        21.0,
        0.35,
        60.0,
    )
    assert api_as(world.ana).get(f"/api/v1/twins/{twin.pk}/").json()["p_active"] == 0.35
    assert api_as(world.bob).get(f"/api/v1/twins/{twin.pk}/").status_code == 404
    assert api_as(world.bob).get("/api/v1/twins/").json()["results"] == []


def test_docs_page_and_schema_are_served(world, client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/orders/" in paths and "/api/v1/alerts/{id}/feedback/" in paths
    docs = client.get(reverse("api:docs"))
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_every_operation_documents_its_errors(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert "401" in codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
            if method == "get" and "{id}" not in path:
                assert "400" in codes, (method, path)  # a bad filter value
            if method == "post":
                assert {"400", "403", "429"} <= codes, (method, path)


def test_lists_cost_the_same_queries_for_more_rows(world, api_as, django_assert_max_num_queries):
    from crm.models import Alert, Client, Order, OrderLine

    admin = api_as(world.admin)
    admin.get("/api/v1/alerts/")  # the token lookup and session are warm
    for n in range(12):
        client = Client.objects.create(code=f"X{n}", rep=world.bob)
        Alert.objects.create(
            client=client,
            family=world.ane,
            kind="partial_churn",
            dedup_key=f"x{n}",
            priority=n,
            as_of=dt.date(2026, 11, 16),
        )
        order = Order.objects.create(
            invoice_number=f"X{n}", date=dt.date(2026, 11, 2), client=client
        )
        OrderLine.objects.create(
            order=order,
            line_number=1,
            product=world.cartridge,
            units=1,
            net_value=1,
            date=order.date,
            client=client,
            family=world.ane,
        )
    with django_assert_max_num_queries(2):  # the token, the page of alerts
        assert len(admin.get("/api/v1/alerts/").json()["results"]) == 16
    with django_assert_max_num_queries(5):  # the token, orders, lines, products, families
        assert len(admin.get("/api/v1/orders/").json()["results"]) == 12
