"""Every bad body gets a 4xx with a message naming the field; good rows are kept."""

import json

import pytest
from django.db import IntegrityError

from crm.models import Feedback, OrderLine, VisitNote
from crm.services import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH

ORDERS = "/api/v1/orders/"
TWENTY_SEVEN_DIGITS = "1" * 27


def row(invoice, line=1, **extra):
    values = {
        "invoice": invoice,
        "line": line,
        "date": "2026-10-05",
        "client": "C-ANA-1",
        "product": "P-ANE-1",
        "units": "10",
        "net_value": "125.50",
    }
    return values | extra


def upload(client, rows, query=""):
    return client.post(ORDERS + query, {"rows": rows}, format="json")


def raw(client, url, body):
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize(
    "field, value",
    [
        ("units", TWENTY_SEVEN_DIGITS),
        ("net_value", TWENTY_SEVEN_DIGITS),
        ("line", TWENTY_SEVEN_DIGITS),
        ("units", "-" + TWENTY_SEVEN_DIGITS + ".5"),
        ("units", "1e30"),
        ("net_value", "1E+400"),
        ("units", "NaN"),
        ("net_value", "-Infinity"),
        ("units", "10000000000"),  # 11 digits: units hold 10 before the point
        ("net_value", "1.000.000.000.000.000.000.000,00"),  # ERP style, far too many digits
        ("line", "0"),
        ("line", "2.5"),
        ("invoice", "F" * 65),
        ("client", "C" * 65),
        ("product", "P" * 65),
        ("date", "2026-10-05" * 10),
    ],
)
def test_a_value_that_cannot_be_stored_is_a_row_error_and_the_good_rows_stay(
    world, api_as, field, value
):
    bad = row("BAD") | {field: value}
    response = upload(api_as(world.admin), [row("GOOD1"), bad, row("G2")])
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["read"], report["imported"]) == (3, 2)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, field)]
    assert sorted(OrderLine.objects.values_list("order__invoice_number", flat=True)) == [
        "G2",
        "GOOD1",
    ]


def test_json_numbers_beyond_floats_are_a_400_naming_the_row(world, api_as):
    body = json.dumps({"rows": [row("GOOD1")]})[:-2] + ', {"invoice": "B", "units": 1e400}]}'
    response = raw(api_as(world.admin), ORDERS, body)
    assert response.status_code == 400, response.content
    assert list(response.json()["rows"]) == ["1"]  # the second row (0-based key)
    assert not OrderLine.objects.exists()


def test_atomic_upload_with_an_overflowing_value_stores_nothing(world, api_as):
    bad = row("BAD", units=TWENTY_SEVEN_DIGITS)
    response = upload(api_as(world.admin), [row("GOOD1"), bad], "?atomic=true")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "units")]
    assert not OrderLine.objects.exists()


def test_importer_errors_keep_their_row_number_after_rejected_rows(world, api_as):
    rows = [row("B1", units=TWENTY_SEVEN_DIGITS), row("G1"), row("B2", client="NOBODY")]
    report = upload(api_as(world.admin), rows).json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(1, "units"), (3, "client")]


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
@pytest.mark.parametrize("where", ["orders", "feedback"])
def test_deeply_nested_json_is_a_400(world, api_as, depth, where):
    nested = "[" * depth + "]" * depth
    if where == "orders":
        url, body = ORDERS, '{"rows": [{"invoice": ' + nested + "}]}"
    else:
        url, body = f"/api/v1/alerts/{world.a_ana1.pk}/feedback/", '{"comment": ' + nested + "}"
    client = api_as(world.admin if where == "orders" else world.ana, "en")
    response = raw(client, url, body)
    assert response.status_code == 400
    assert "deeper than" in response.json()["detail"]
    assert not OrderLine.objects.exists() and not Feedback.objects.exists()


def test_shallow_json_is_still_read(world, api_as):
    response = upload(api_as(world.admin), [row("F1")])
    assert response.json()["imported"] == 1


def test_a_collision_with_a_parallel_identical_upload_is_retried(world, api_as, monkeypatch):
    from crm import importing as importer

    real, calls = importer.import_order_rows, []

    def collide_once(rows, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(rows, **kwargs)  # the other upload stored the lines...
            raise IntegrityError("duplicate key value violates unique constraint")  # ...first
        return real(rows, **kwargs)

    monkeypatch.setattr(importer, "import_order_rows", collide_once)
    response = upload(api_as(world.admin), [row("F1"), row("F1", 2)])
    assert response.status_code == 200
    assert response.json() == {"read": 2, "imported": 0, "skipped": 2, "errors": []}
    assert OrderLine.objects.count() == 2


def test_a_collision_that_persists_is_a_409_not_a_500(world, api_as, monkeypatch):
    from crm import importing as importer

    def always(rows, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(importer, "import_order_rows", always)
    response = upload(api_as(world.admin, "en"), [row("F1")])
    assert response.status_code == 409
    assert "Another upload" in response.json()["detail"]


# --- Text fields have sane lengths ----------------------------------------------------------


@pytest.mark.parametrize(
    "field, limit", [("comment", COMMENT_MAX_LENGTH), ("reason", REASON_MAX_LENGTH)]
)
def test_overlong_answer_text_is_a_400_naming_the_field(world, api_as, field, limit):
    url = f"/api/v1/alerts/{world.a_ana1.pk}/feedback/"
    ok = api_as(world.ana).post(
        url, {"verdict": "false_alarm", "reason": "x", field: "a" * limit}, format="json"
    )
    assert ok.status_code == 201
    huge = {"verdict": "false_alarm", "reason": "x", field: "a" * (2 * 1024 * 1024)}
    bob = api_as(world.bob)
    response = bob.post(f"/api/v1/alerts/{world.a_bob1.pk}/feedback/", huge, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Feedback.objects.count() == 1


def test_overlong_answer_on_the_page_is_refused(world, actions, client):
    client.force_login(world.ana)
    form = {"verdict": "false_alarm", "reason": "x", "comment": "a" * (COMMENT_MAX_LENGTH + 1)}
    response = client.post(f"/alerts/{world.a_ana1.pk}/answer/", form | {"key": "k"})
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_overlong_visit_note_is_refused_on_the_page_and_in_the_service(world, client):
    from django.core.exceptions import ValidationError

    from crm import services

    client.force_login(world.ana)
    url = f"/clients/{world.ana1.pk}/notes/"
    assert client.post(url, {"text": "a" * (NOTE_MAX_LENGTH + 1)}).status_code == 400
    assert client.post(url, {"text": "a" * NOTE_MAX_LENGTH}).status_code == 302
    with pytest.raises(ValidationError) as exc:
        services.add_visit_note(world.ana1, world.ana, "a" * (NOTE_MAX_LENGTH + 1))
    assert list(exc.value.message_dict) == ["text"]
    assert VisitNote.objects.count() == 1


def test_services_refuse_overlong_answers_whoever_calls_them(world, actions):
    from django.core.exceptions import ValidationError

    from crm import services

    with pytest.raises(ValidationError) as exc:
        services.answer_alert(world.a_ana1, world.ana, "false_alarm", reason="r" * 201)
    assert list(exc.value.message_dict) == ["reason"]


# --- One language per request ---------------------------------------------------------------

SPANISH = ("alerta", "cerrada", "caracteres", "Asegúrese", "campo")
ENGLISH = ("This alert", "already", "closed", "characters", "Ensure", "field")


@pytest.mark.parametrize(
    "body, alert",
    [
        ({"verdict": "false_alarm", "reason": "x"}, "a_ana_done"),  # closed alert
        ({"verdict": "act", "action": "call"}, "a_ana1_acting"),  # second decision
        ({"verdict": "act"}, "a_ana1"),  # no action
        ({"verdict": "snooze"}, "a_ana1"),  # no date
        ({"verdict": "false_alarm", "comment": "a" * 3000}, "a_ana1"),  # too long
        ({"verdict": "maybe"}, "a_ana1"),  # unknown verdict
    ],
)
@pytest.mark.parametrize("language", ["es", "en"])
def test_every_error_message_is_in_the_requests_language(world, api_as, body, alert, language):
    if alert == "a_ana1_acting":
        api_as(world.ana).post(
            f"/api/v1/alerts/{world.a_ana1.pk}/feedback/",
            {"verdict": "act", "action": "call"},
            format="json",
        )
        alert = "a_ana1"
    target = getattr(world, alert)
    response = api_as(world.ana, language).post(
        f"/api/v1/alerts/{target.pk}/feedback/", body, format="json"
    )
    assert 400 <= response.status_code < 500
    text = " ".join(m for messages in response.json().values() for m in messages)
    foreign = ENGLISH if language == "es" else ("alerta", "cerrada", "caracteres", "Asegúrese")
    assert not [word for word in foreign if word in text], text
    labels = ("Descartadas", "En acción") if language == "en" else ("Dismissed", "Acting")
    assert not [label for label in labels if label.lower() in text.lower()], text
