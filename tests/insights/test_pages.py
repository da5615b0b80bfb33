"""What reps and managers see: the client page's section, the Insights page, the API."""

import pytest
from django.urls import reverse

from crm.models import Alert
from insights import services
from insights.models import Segment

from .conftest import AS_OF


@pytest.fixture
def refitted(world):
    services.refit(AS_OF)
    return world


def test_client_page_shows_segment_tier_action_and_reasons(client, refitted):
    client.force_login(refitted["ana"])
    stopped = refitted["clients"][0]
    html = client.get(reverse("web:client", args=[stopped.pk]), HTTP_ACCEPT_LANGUAGE="en").content
    html = html.decode()
    assert 'id="client-insights"' in html
    assert "tier-high" in html
    assert "Manager call + offer" in html
    assert "times its usual gap without an order" in html


def test_client_page_in_spanish(client, refitted):
    refitted["ana"].language = "es"
    refitted["ana"].save()
    client.force_login(refitted["ana"])
    html = client.get(reverse("web:client", args=[refitted["clients"][0].pk])).content.decode()
    assert "Segmento, riesgo de pérdida y previsión de valor" in html
    assert "Alto" in html
    assert "veces su intervalo habitual sin pedir" in html


def test_playbook_edited_in_the_admin_shows_on_the_client_page(client, refitted):
    stopped = refitted["clients"][0]
    seg = Segment.objects.get(memberships__client=stopped, memberships__as_of=AS_OF)
    seg.playbook = "Llamar hoy mismo"
    seg.save()
    client.force_login(refitted["ana"])
    assert (
        "Llamar hoy mismo" in client.get(reverse("web:client", args=[stopped.pk])).content.decode()
    )


def test_manager_insights_page_lists_segments_and_tiers_by_rep(client, refitted):
    client.force_login(refitted["boss"])
    r = client.get(reverse("web:insights"), HTTP_ACCEPT_LANGUAGE="en")
    html = r.content.decode()
    assert r.status_code == 200
    assert "Show the numbers" in html
    assert html.count("<svg") >= 2
    assert "Ana Ruiz" in html  # a rep row with her three HIGH clients
    # Only the manager's team: carla's client is not counted.
    assert "carla" not in html
    for c in refitted["clients"][:3]:
        assert c.name in html


def test_reps_do_not_get_the_insights_page(client, refitted):
    client.force_login(refitted["ana"])
    assert client.get(reverse("web:insights")).status_code == 404


def test_churn_alert_renders_on_the_alert_page(client, refitted):
    alert = Alert.objects.filter(kind="client_churn_risk").first()
    client.force_login(refitted["ana"])
    html = client.get(reverse("web:alert", args=[alert.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert "Client churn risk" in html
    assert "no order at all in the next 90" in html


def test_api_shows_only_visible_clients(client, refitted):
    client.force_login(refitted["ben"])
    r = client.get("/api/v1/churn-risk/").json()
    assert len(r["results"]) == 15
    assert all(row["tier"] != "high" for row in r["results"])
    client.force_login(refitted["ana"])
    high = client.get("/api/v1/churn-risk/?tier=high").json()["results"]
    assert sorted(row["client"] for row in high) == ["C000", "C001", "C002"]
    assert high[0]["action"] == "Manager call + offer"
    segs = client.get("/api/v1/client-segments/?client=C000").json()["results"]
    assert len(segs) == 1 and segs[0]["segment"] in ("at_risk", "lapsed")


def test_pages_show_a_dash_for_a_client_without_a_rep(client, refitted, make_user):
    """Real exports often leave clients unassigned: an admin's pages list them with "—" for
    the rep instead of failing (the Insights page's high-risk table used to crash)."""
    from crm.models import Client

    stopped = refitted["clients"][0]
    Client.objects.filter(pk=stopped.pk).update(rep=None)
    client.force_login(make_user("root", role="admin"))
    for name in ("web:insights", "web:manager", "web:voice", "web:pipeline", "web:queue"):
        response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, name
    html = client.get(reverse("web:insights"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = html[html.index(f'href="{reverse("web:client", args=[stopped.pk])}"') :]
    assert row[: row.index("</tr>")].count("<td>—</td>") == 1
