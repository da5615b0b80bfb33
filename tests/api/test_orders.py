"""Bulk order upload (idempotent, atomic or partial) and the orders list."""

import json

import pytest

from crm.models import Order, OrderLine

URL = "/api/v1/orders/"


def row(invoice, line, client="C-ANA-1", product="P-ANE-1", date="2026-10-05", **extra):
    values = {
        "invoice": invoice,
        "line": line,
        "date": date,
        "client": client,
        "product": product,
        "units": "10",
        "net_value": "125.50",
    }
    return values | extra


def upload(client, rows, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{URL}?{query}" if query else URL, {"rows": rows}, format="json")


def stored():
    return sorted(OrderLine.objects.values_list("order__invoice_number", "line_number"))


def by_row(errors):
    return sorted((e["row"], e["field"]) for e in errors)


def test_upload_stores_lines_with_family_and_reports_counts(world, api_as):
    rows = [row("F1", 1), row("F1", 2, product="P-IMP-1"), row("F2", 1, client="C-BOB-1")]
    response = upload(api_as(world.admin), rows)
    assert response.status_code == 200, response.content
    assert response.json() == {"read": 3, "imported": 3, "skipped": 0, "errors": []}
    assert stored() == [("F1", 1), ("F1", 2), ("F2", 1)]
    line = OrderLine.objects.get(order__invoice_number="F1", line_number=2)
    assert (line.family, line.client, str(line.net_value)) == (world.imp, world.ana1, "125.50")


def test_repeating_an_upload_stores_nothing_twice(world, api_as):
    admin = api_as(world.admin)
    rows = [row("F1", 1), row("F1", 2)]
    upload(admin, rows)
    again = upload(admin, rows + [row("F1", 3)])
    assert again.json() == {"read": 3, "imported": 1, "skipped": 2, "errors": []}
    assert stored() == [("F1", 1), ("F1", 2), ("F1", 3)]


def test_json_numbers_are_read_like_text(world, api_as):
    response = upload(api_as(world.admin), [row("F9", 1, units=3, net_value=12.5)])
    assert response.json()["imported"] == 1
    assert str(OrderLine.objects.get().units) == "3.00"


BAD_ROWS = [
    row("F1", 1),
    row("F2", 1, date="31/02/2026"),
    row("F3", 1, client="NOBODY"),
    row("F4", 1, units="ten", product=""),
    row("F5", 1, client="C-BOB-1"),
]


def test_partial_upload_stores_good_rows_and_names_bad_rows_and_fields(world, api_as):
    response = upload(api_as(world.admin), BAD_ROWS)
    assert response.status_code == 200
    body = response.json()
    assert (body["read"], body["imported"], body["skipped"]) == (5, 2, 0)
    assert by_row(body["errors"]) == [(2, "date"), (3, "client"), (4, "product"), (4, "units")]
    assert all(e["message"] for e in body["errors"])
    assert stored() == [("F1", 1), ("F5", 1)]


def test_atomic_upload_with_a_bad_row_stores_nothing(world, api_as):
    response = upload(api_as(world.admin), BAD_ROWS, atomic="true")
    assert response.status_code == 400
    body = response.json()
    assert body["imported"] == 0
    assert by_row(body["errors"]) == [(2, "date"), (3, "client"), (4, "product"), (4, "units")]
    assert stored() == []
    assert not Order.objects.exists()


def test_atomic_upload_of_good_rows_stores_them(world, api_as):
    response = upload(api_as(world.admin), [row("F1", 1), row("F1", 2)], atomic="true")
    assert response.status_code == 200
    assert stored() == [("F1", 1), ("F1", 2)]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rows": "F1;1"}, "rows"),
        ({}, "rows"),
        ([row("F1", 1)], "non_field_errors"),
    ],
)
def test_body_that_is_not_rows_is_400(world, api_as, body, field):
    response = api_as(world.admin).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_malformed_values_reject_the_upload_naming_row_and_field(world, api_as):
    rows = [row("F1", 1), 7, row("F3", 1, units={"n": 1}), row("F4", 1, client="C\x00")]
    rows.append(row("F5", 1, product="P\udfff"))  # a lone surrogate, as JSON "\\udfff"
    body = json.dumps({"rows": rows})
    response = api_as(world.admin).post(URL, body, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert by_row(body["errors"]) == [
        (2, "non_field_errors"),
        (3, "units"),
        (4, "client"),
        (5, "product"),
    ]
    assert (body["read"], body["imported"]) == (5, 0)
    assert stored() == []


def test_atomic_flag_must_be_a_boolean(world, api_as):
    response = upload(api_as(world.admin), [row("F1", 1)], atomic="maybe")
    assert response.status_code == 400
    assert list(response.json()) == ["atomic"]
    assert stored() == []


def test_only_admins_upload(world, api_as):
    assert upload(api_as(world.ana), [row("F1", 1)]).status_code == 403
    assert upload(api_as(world.manager), [row("F1", 1)]).status_code == 403
    assert upload(api_as(None), [row("F1", 1)]).status_code == 401
    assert stored() == []


def test_orders_list_shows_visible_clients_only_with_lines(world, api_as):
    upload(
        api_as(world.admin),
        [
            row("F1", 1, date="2026-10-01"),
            row("F1", 2, date="2026-10-01", product="P-IMP-1"),
            row("F2", 1, date="2026-10-08"),
            row("F3", 1, client="C-BOB-1"),
        ],
    )
    rep = api_as(world.ana)
    orders = rep.get(URL).json()["results"]
    assert [o["invoice_number"] for o in orders] == ["F2", "F1"]
    assert [(li["line_number"], li["product"], li["family"]) for li in orders[1]["lines"]] == [
        (1, "P-ANE-1", "ANE"),
        (2, "P-IMP-1", "IMP"),
    ]
    dated = rep.get(URL, {"date_from": "2026-10-05"}).json()["results"]
    assert [o["invoice_number"] for o in dated] == ["F2"]
    bobs = Order.objects.get(invoice_number="F3")
    assert rep.get(f"{URL}{bobs.pk}/").status_code == 404
    assert api_as(world.bob).get(f"{URL}{bobs.pk}/").json()["client"] == "C-BOB-1"
