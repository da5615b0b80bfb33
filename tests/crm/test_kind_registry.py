"""The alert-kind registry: a kind registered by an engine shows everywhere, web untouched.

A test-only engine registers a kind of its own (here, not in any app of the project); the
queue, the detail page and the API render its alerts with the engine's label, narrative,
evidence fields and chart. A kind no engine registers any more still renders.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import get_language
from rest_framework.test import APIClient

from crm import kinds
from crm.models import Alert
from twins.kinds import Kind as TwinKind
from twins.stats.api import ALERT_KINDS

from .test_views import HTMX, login

# --- A test-only engine ------------------------------------------------------------------

#: The kind's label in the active language, as ``gettext_lazy`` gives with a translation.
deal_at_risk = lazy(
    lambda: "Oportunidad en riesgo" if get_language().startswith("es") else "Deal at risk", str
)()

FAKE = "fake_deal_at_risk"


def fake_narrative(evidence, language):
    name = evidence.get("deal_name", "?")
    if language == "es":
        return f"La oportunidad {name} lleva {evidence['days_idle']} días parada."
    return f"Deal {name} has been idle for {evidence['days_idle']} days."


def fake_chart(evidence, chart_id):
    svg = format_html(
        '<svg class="chart" id="{}" role="img"><title id="{}-title">{}</title>'
        '<rect class="bar fake-bar" width="{}" height="10"/></svg>',
        chart_id,
        chart_id,
        "Idle days",
        evidence["days_idle"],
    )
    table = format_html("<table><tr><td>{}</td></tr></table>", evidence["days_idle"])
    return kinds.Chart(
        svg=svg, title="Days idle against the plan", legend=(("bar", "Idle days"),), table=table
    )


@pytest.fixture
def fake_kind():
    kind = kinds.register(
        kinds.AlertKind(
            code=FAKE,
            engine="tests_deals",
            label=deal_at_risk,
            labels={"es": "Oportunidad en riesgo", "en": "Deal at risk"},
            narrative=fake_narrative,
            subject=kinds.Subject.OTHER,
            evidence_fields=(
                kinds.EvidenceField("amount", "Deal amount", "euros"),
                kinds.EvidenceField("days_idle", "Days idle", "int"),
            ),
            chart=fake_chart,
            color="#123456",
        )
    )
    yield kind
    kinds.unregister(FAKE)


def make_alert(world, kind, evidence, client="C001", euros="5000"):
    client = world.clients[client]
    return Alert.objects.create(
        client=client,
        family=None,
        kind=kind,
        dedup_key=Alert.make_dedup_key(client.pk, None, kind),
        priority=Decimal(euros),
        evidence=evidence,
        as_of=timezone.localdate(),
        created_at=timezone.now() - timedelta(days=1),
    )


DEAL = {"deal_name": "Sillones 2027", "amount": 48000, "days_idle": 41, "subject_label": "Deal 7"}


# --- Twins registers its kinds -----------------------------------------------------------


def test_twins_registers_the_kinds_its_statistics_raise():
    assert tuple(TwinKind.values) == ALERT_KINDS
    registered = {k.code: k for k in kinds.all_kinds() if k.engine == "twins"}
    # cross_sell is computed by the twins' statistics but owned by the recommender's
    # propensity model (the twins raise it only behind TWINS_CROSS_SELL).
    assert list(registered) == [k for k in ALERT_KINDS if k != "cross_sell"]
    assert kinds.get("cross_sell").engine == "recommender"
    for kind in registered.values():
        assert kind.labels["es"] and kind.labels["en"] and kind.labels["es"] != kind.labels["en"]
        assert kind.evidence_fields and kind.chart is not None
    assert registered["cross_family_decline"].subject == kinds.Subject.CLIENT
    assert registered["partial_churn"].subject == kinds.Subject.CLIENT_FAMILY
    assert {c for c, _label in Alert._meta.get_field("kind").choices} >= set(ALERT_KINDS)


def test_registering_checks_the_code_and_who_owns_it(fake_kind):
    with pytest.raises(ValueError, match="registered by 'tests_deals' already"):
        kinds.register(
            kinds.AlertKind(code=FAKE, engine="other", label="x", narrative=fake_narrative)
        )
    for bad in ("Deal", "deal-at-risk", "x" * 33, ""):
        with pytest.raises(ValueError, match="lower-case"):
            kinds.AlertKind(code=bad, engine="e", label="x", narrative=fake_narrative)
    with pytest.raises(ValueError, match="colour"):
        kinds.AlertKind(code="ok", engine="e", label="x", narrative=fake_narrative, color="red;")
    with pytest.raises(ValueError, match="unknown format"):
        kinds.EvidenceField("amount", "Amount", "money")


def test_a_chart_of_bare_svg_is_titled_with_the_kind_label():
    kinds.register(
        kinds.AlertKind(
            code="fake_bare",
            engine="tests_deals",
            label="Bare kind",
            narrative=fake_narrative,
            chart=lambda evidence: "<svg></svg>" if evidence else None,
        )
    )
    try:
        drawn = kinds.draw_chart("fake_bare", {"x": 1}, "chart-9")
        assert drawn.svg == "<svg></svg>" and drawn.title == "Bare kind"
        assert kinds.draw_chart("fake_bare", {}, "chart-9") is None
        assert kinds.draw_chart("never_registered", {"x": 1}) is None
    finally:
        kinds.unregister("fake_bare")


# --- A new kind shows in the queue, the detail page and the API --------------------------


def test_a_new_kind_is_counted_listed_and_filtered_in_the_queue(client, world, fake_kind):
    alert = make_alert(world, FAKE, DEAL)
    login(client, world.ana)
    html = client.get(reverse("web:queue")).content.decode()
    assert f'class="chip kind-{FAKE}' in html and "Deal at risk</span> <b>1</b>" in html
    assert f'id="alert-row-{alert.pk}"' in html
    assert html.count('style="--kind: #123456"') == 2  # chip and badge: no CSS change
    assert "Deal 7" in html  # the subject the engine names
    only = client.get(reverse("web:queue"), {"kind": FAKE}, **HTMX).content.decode()
    assert f'id="alert-row-{alert.pk}"' in only
    assert f'id="alert-row-{world.alerts["churn"].pk}"' not in only


def test_a_new_kind_has_its_narrative_evidence_and_chart_on_the_detail_page(
    client, world, fake_kind
):
    alert = make_alert(world, FAKE, DEAL)
    login(client, world.ana)
    html = client.get(reverse("web:alert", args=[alert.pk])).content.decode()
    assert "Deal Sillones 2027 has been idle for 41 days." in html
    assert "<dt>Deal amount</dt><dd>€48,000</dd>" in html
    assert "<dt>Days idle</dt><dd>41</dd>" in html
    assert "Sillones 2027</dd>" not in html  # deal_name is not one of its evidence fields
    assert f'id="chart-{alert.pk}-title"' in html and 'class="bar fake-bar"' in html
    assert "Days idle against the plan" in html
    assert '<i class="sw bar"></i>Idle days' in html
    assert "Show the numbers" in html and "<table><tr><td>41</td></tr></table>" in html
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    spanish = client.get(reverse("web:alert", args=[alert.pk])).content.decode()
    assert "La oportunidad Sillones 2027 lleva 41 días parada." in spanish


def test_a_new_kind_is_in_the_api_with_its_label_and_narrative(world, fake_kind):
    alert = make_alert(world, FAKE, DEAL)
    api = APIClient()
    api.force_authenticate(world.ana)
    listed = api.get("/api/v1/alerts/", {"kind": FAKE}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [a["id"] for a in listed["results"]] == [alert.pk]
    assert listed["results"][0]["kind_label"] == "Deal at risk"
    detail = api.get(f"/api/v1/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert detail["kind"] == FAKE and detail["kind_label"] == "Oportunidad en riesgo"
    assert detail["narrative"] == "La oportunidad Sillones 2027 lleva 41 días parada."
    churn = world.alerts["churn"].pk
    assert api.get(f"/api/v1/alerts/{churn}/", HTTP_ACCEPT_LANGUAGE="es").json()["kind_label"] == (
        "Fuga parcial"
    )
    english = api.get(f"/api/v1/alerts/{churn}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["kind_label"] == "Partial churn"


def test_a_new_kind_has_its_row_in_the_track_record(client, world, fake_kind):
    make_alert(world, FAKE, DEAL)
    login(client, world.manager)
    html = client.get(reverse("web:manager")).content.decode()
    assert "Deal at risk</span>" in html


# --- A kind no engine registers any more -------------------------------------------------


def test_a_retired_kind_still_renders_with_its_code(client, world):
    alert = make_alert(world, "retired_kind", {"old_score": 0.4, "note": "kept", "rows": [1, 2]})
    login(client, world.ana)
    queue = client.get(reverse("web:queue")).content.decode()
    assert f'id="alert-row-{alert.pk}"' in queue and "retired_kind</span> <b>1</b>" in queue
    only = client.get(reverse("web:queue"), {"kind": "retired_kind"}).content.decode()
    assert f'id="alert-row-{alert.pk}"' in only
    assert f'id="alert-row-{world.alerts["churn"].pk}"' not in only
    detail = client.get(reverse("web:alert", args=[alert.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "<dt>old_score</dt><dd>0.4</dd>" in html and "<dt>note</dt><dd>kept</dd>" in html
    assert "<dt>rows</dt>" not in html
    assert '<svg class="chart"' not in html
    assert "retired_kind on several families for Clínica Dental Sonrisa" in html
    api = APIClient()
    api.force_authenticate(world.ana)
    data = api.get(f"/api/v1/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["kind_label"] == "retired_kind" and data["narrative"] == "retired_kind"
    login(client, world.manager)
    assert "retired_kind</span>" in client.get(reverse("web:manager")).content.decode()


def test_the_admin_filters_alerts_by_any_registered_kind(client, world, fake_kind, make_user):
    alert = make_alert(world, FAKE, DEAL)
    client.force_login(make_user("boss", role="admin", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("admin:crm_alert_changelist")
    html = client.get(url).content.decode()
    assert f"?kind__exact={FAKE}" in html and "Deal at risk" in html
    only = client.get(url, {"kind__exact": FAKE}).content.decode()
    assert f"/admin/crm/alert/{alert.pk}/change/" in only
    assert f"/admin/crm/alert/{world.alerts['churn'].pk}/change/" not in only


def test_the_admin_opens_and_saves_an_alert_of_a_retired_kind(client, world, make_user):
    alert = make_alert(world, "retired_kind", {"old_score": 0.4})
    client.force_login(make_user("boss", role="admin", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("admin:crm_alert_change", args=[alert.pk])
    assert "retired_kind" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "client": alert.client_id,
            "status": "dismissed",
            "priority": "5000",
            "score": "0.5",
            "evidence": '{"old_score": 0.4}',
            "as_of": alert.as_of.isoformat(),
            "feedback-TOTAL_FORMS": "0",
            "feedback-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, re.findall(
        r"errorlist[^<]*<li>([^<]*)", response.content.decode()
    )
    alert.refresh_from_db()
    assert (alert.kind, alert.status) == ("retired_kind", "dismissed")


def test_twins_charts_keep_their_titles_legends_and_table_of_weeks(client, world):
    login(client, world.ana)
    churn = client.get(reverse("web:alert", args=[world.alerts["churn"].pk])).content.decode()
    assert '<h2 id="chart-h">Last weeks against the usual band</h2>' in churn
    assert '<i class="sw band"></i>Usual band (P5–P95)' in churn
    assert "Show the numbers" in churn and churn.count('<tr class="out">') == 6
    assert churn.count('<span class="badge campaign">campaign</span>') == 2
    gaps = client.get(reverse("web:alert", args=[world.alerts["technical"].pk])).content.decode()
    assert '<h2 id="chart-h">Gaps between purchases</h2>' in gaps
    assert '<i class="sw p90"></i>P90' in gaps and "Show the numbers" not in gaps
