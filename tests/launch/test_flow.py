"""A launch from creation to outcome: targets, alerts in the reps' queues, narrative, bandit,
the 12-week outcome and the conversion report; bad input."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm import services as crm_services
from crm.models import Alert, Order, OrderLine
from recommender.launch import kinds as launch_kinds
from recommender.launch import services
from recommender.launch.models import Launch, LaunchAttributeWeight, LaunchTarget
from recommender.models import Action, Outcome, Recommendation, RewardEvent

from .world import EARLY, make_world, new_products

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def world():
    return make_world(TODAY)


def _launch(world, day=TODAY, per_rep=3, attributes=True):
    launch = Launch.objects.create(name="Surgery 2026", launch_date=day, target_per_rep=per_rep)
    launch.products.set(new_products(world["families"], day, attributes))
    return launch


def test_launch_targets_the_planted_early_adopters_in_each_reps_queue(world):
    launch = _launch(world)
    n = services.target_launch(launch)
    launch.refresh_from_db()
    assert launch.status == Launch.Status.TARGETED
    assert n == 6  # 3 per rep, 2 reps
    alerts = Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER)
    assert alerts.count() == 6
    codes = set(alerts.values_list("client__code", flat=True))
    assert len(codes & set(EARLY)) >= 5  # the planted early adopters come first
    for rep in world["reps"]:
        mine = alerts.filter(client__rep=rep)
        assert mine.count() == 3
        # ranked by expected first-quarter value
        assert list(mine.order_by("-priority").values_list("priority", flat=True)) == sorted(
            mine.values_list("priority", flat=True), reverse=True
        )
    alert = alerts.order_by("-priority").first()
    ev = alert.evidence
    assert ev["product_name"] in {"Short implant 2026", "Xenograft 2026"}
    assert {r["rule"] for r in ev["rules"]} >= {"repeat", "fast"}
    assert ev["band"] and ev["band_conversion"] is not None
    # every client is scored, only the targets are flagged
    assert LaunchTarget.objects.filter(launch=launch).count() == len(world["clients"])
    assert LaunchTarget.objects.filter(launch=launch, targeted=True).count() == 6
    assert launch.band_table and sum(r["n"] for r in launch.band_table) > 0


def test_narrative_says_why_this_client_and_this_product_in_both_languages(world):
    launch = _launch(world)
    services.target_launch(launch)
    alert = Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER).order_by("-priority").first()
    kind = launch_kinds.kinds.get(launch_kinds.EARLY_ADOPTER)
    es = kind.narrative(alert.evidence, "es")
    en = kind.narrative(alert.evidence, "en")
    product = alert.evidence["product_name"]
    assert f"Possible early adopter for {product}" in en
    assert "Why this client: bought 4 of the last" in en or "Why this client: bought" in en
    assert "Why this product" in en and "appetence" in en
    assert f"Posible cliente pionero para {product}" in es
    assert "Por qué este cliente" in es and "Por qué este producto" in es
    assert "una estimación" in es


def test_the_bandit_chooses_a_launch_approach(world):
    launch = _launch(world)
    services.target_launch(launch)
    recs = Recommendation.objects.filter(alert__kind=launch_kinds.EARLY_ADOPTER)
    assert recs.count() == 6
    assert set(recs.values_list("action__code", flat=True)) <= {
        "visit",
        "call",
        "email",
        "send_sample",
    }
    for code in ("visit", "call", "email", "send_sample"):
        assert Action.objects.get(code=code).applies_to(launch_kinds.EARLY_ADOPTER)


def test_retargeting_refreshes_the_same_alerts(world):
    launch = _launch(world)
    services.target_launch(launch)
    first = set(Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER).values_list("pk", flat=True))
    services.target_launch(launch)
    live = Alert.objects.filter(
        kind=launch_kinds.EARLY_ADOPTER, status__in=Alert.LIVE_STATUSES
    ).values_list("pk", flat=True)
    assert set(live) == first


def test_outcome_within_12_weeks_feeds_the_bandit_and_the_report(world):
    launch = _launch(world)
    services.target_launch(launch)
    alert = Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER).order_by("-priority").first()
    rep = alert.client.rep
    visit = Action.objects.get(code="visit")
    crm_services.answer_alert(alert, rep, "act", action=visit)
    target = LaunchTarget.objects.get(launch=launch, client=alert.client)
    day = TODAY + dt.timedelta(weeks=3)
    order = Order.objects.create(invoice_number="NEW-1", date=day, client=alert.client)
    OrderLine.objects.create(
        order=order,
        line_number=1,
        product=target.product,
        units=Decimal(2),
        net_value=Decimal("400.00"),
        date=day,
        client=alert.client,
        family=target.product.family,
    )
    # Before the window closes only the buyer is judged.
    assert services.judge_outcomes(TODAY + dt.timedelta(weeks=4)) == 1
    target.refresh_from_db()
    assert target.bought is True and target.bought_on == day
    outcome = Outcome.objects.get(alert=alert)
    assert outcome.recovered and outcome.action == visit and outcome.window_weeks == 12
    assert RewardEvent.objects.filter(feedback__alert=alert, kind="recovered").count() == 1
    launch.refresh_from_db()
    assert launch.status == Launch.Status.TARGETED
    # After 12 weeks everyone is judged; judging again changes nothing.
    services.judge_outcomes(TODAY + dt.timedelta(weeks=13))
    services.judge_outcomes(TODAY + dt.timedelta(weeks=14))
    launch.refresh_from_db()
    assert launch.status == Launch.Status.CLOSED
    report = launch.report
    assert report["judged"] == len(world["clients"])
    assert report["targeted"] == {"n": 6, "buyers": 1, "conversion": pytest.approx(1 / 6, 1e-3)}
    assert report["not_targeted"]["buyers"] == 0
    assert sum(b["n"] for b in report["bands"]) == len(world["clients"])
    assert Outcome.objects.filter(alert=alert).count() == 1


# ------------------------------------------------------------------ bad input


def test_a_launch_without_products_is_refused_with_a_clear_message(world):
    launch = Launch.objects.create(name="Empty", launch_date=TODAY)
    with pytest.raises(services.LaunchError, match=r"Launch \d+ “Empty”: products: .*at least one"):
        services.target_launch(launch)
    launch.refresh_from_db()
    assert launch.status == Launch.Status.FAILED and "at least one product" in launch.error
    assert not Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER).exists()


def test_a_launch_whose_products_have_no_attributes_is_targeted_on_the_catalogue(world):
    launch = _launch(world, attributes=False)
    assert services.target_launch(launch) == 6
    launch.refresh_from_db()
    assert launch.model_info["attributes_given"] == {"IMPL-NEW": [], "BIOM-NEW": []}
    assert LaunchTarget.objects.filter(launch=launch, appetence__gt=0).exists()


def test_a_launch_date_in_the_future(world, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    ahead = Launch(name="Far", launch_date=TODAY + dt.timedelta(days=400), target_per_rep=2)
    with pytest.raises(ValidationError) as err:
        ahead.full_clean()
    assert "launch_date" in err.value.message_dict
    # A few weeks ahead: targeted with the history up to today, judged only after the date.
    launch = _launch(world, day=TODAY + dt.timedelta(weeks=3), per_rep=2)
    assert services.target_launch(launch) == 4
    launch.refresh_from_db()
    assert launch.as_of == TODAY
    assert services.judge_launch(launch, TODAY) == 0
    assert not LaunchTarget.objects.filter(launch=launch, judged_at__isnull=False).exists()


def test_attribute_weights_change_the_appetence(world):
    launch = _launch(world)
    services.target_launch(launch)
    before = dict(LaunchTarget.objects.filter(launch=launch).values_list("client_id", "appetence"))
    LaunchAttributeWeight.objects.create(attribute="family", weight=0.0)
    LaunchAttributeWeight.objects.create(attribute="line", weight=0.0)
    services.target_launch(launch)
    after = dict(LaunchTarget.objects.filter(launch=launch).values_list("client_id", "appetence"))
    assert before != after


# ------------------------------------------------------------------ admin


def test_admin_creates_a_launch_and_sees_its_subgroup_table(world, admin_client):
    products = new_products(world["families"], TODAY)
    response = admin_client.post(
        reverse("admin:recommender_launch_add"),
        {
            "name": "Surgery 2026",
            "products": [p.pk for p in products],
            "launch_date": TODAY.isoformat(),
            "target_per_rep": 2,
            "targets-TOTAL_FORMS": 0,
            "targets-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Surgery 2026: 4 " in response.content.decode()  # "... 4 early-adopter alerts ..."
    launch = Launch.objects.get(name="Surgery 2026")
    assert Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER).count() == 4
    page = admin_client.get(reverse("admin:recommender_launch_change", args=[launch.pk]))
    assert b"launch-bands" in page.content
    assert b"Classic implants" in page.content  # its nearest new replacement is listed


def test_target_launches_without_a_draft_says_what_to_do(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("target_launches", stdout=out)
    assert "No draft launch to target" in out.getvalue()
