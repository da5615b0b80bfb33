"""The admin page of what the bandit learned: charts, counts, reset with confirmation, what-if."""

import numpy as np
import pytest

from crm.models import Feedback
from recommender import services
from recommender.admin_learning import WhatIfForm
from recommender.models import Posterior, Recommendation

pytestmark = pytest.mark.django_db
URL = "/admin/recommender/posterior/learning/"
CONTEXT = "partial_churn|commodity|established|high"


@pytest.fixture
def admin_client(admin_client, settings):
    """The admin in English, so numbers read 0.73 rather than 0,73."""
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


@pytest.fixture
def learned(default_priors, make_alert, action):
    """One context with recommendations and folded evidence: visits worked, offers did not."""
    alerts = [make_alert("partial_churn", maturity_weeks=100, magnitude=0.9) for _ in range(3)]
    services.recommend_for_alerts([a.pk for a in alerts], rng=np.random.default_rng(3))
    Posterior.objects.create(
        context=CONTEXT, action=action("visit"), successes=14, failures=2, n_events=16
    )
    Posterior.objects.create(
        context=CONTEXT, action=action("offer"), successes=1, failures=11, n_events=12
    )
    Posterior.objects.create(
        context="full_churn|commodity|new|low", action=action("call"), successes=2, n_events=2
    )
    return alerts


def test_page_shows_prior_against_posterior_per_context(admin_client, learned):
    html = admin_client.get(URL).content.decode()
    assert f'data-context="{CONTEXT}"' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="bandit-chart"') == 2
    assert 'class="posterior"' in html and 'class="prior"' in html
    assert "3 decisions, 28 rewards folded" in html
    # Visit: prior Beta(5, 5); posterior 5 + 14 + shared 0 / 5 + 2 -> 19 / 26 = 0.73.
    assert "Beta(5.0, 5.0)" in html and "<strong>0.73</strong>" in html
    # Offer: prior Beta(2.1, 3.9) (0.35 x 6) plus 1 success in 12: 3.1 / 18 = 0.17.
    assert "Beta(2.1, 3.9)" in html and "<strong>0.17</strong>" in html


def test_kind_filter_keeps_one_kind(admin_client, learned):
    html = admin_client.get(URL, {"kind": "full_churn"}).content.decode()
    assert 'data-context="full_churn|commodity|new|low"' in html
    assert CONTEXT not in html.split('id="what-if"')[0].split("</form>", 1)[1]


def test_what_if_gives_the_production_probabilities(admin_client, learned):
    form = {"whatif": "1", "kind": "partial_churn", "family_kind": "commodity"}
    form |= {"maturity": "established", "magnitude": "high"}
    html = admin_client.get(URL, form).content.decode()
    result = html.split('id="what-if-result"')[1].split("</table>")[0]
    assert result.index("Visit") < result.index("Offer")  # likeliest first
    assert "Send sample" not in result  # not eligible for a partial churn
    rows = services.what_if(CONTEXT, rng=np.random.default_rng(0))
    assert sum(r["probability"] for r in rows) == pytest.approx(1.0)
    assert rows[0]["action"].code == "visit"


def test_what_if_matches_what_recommend_stores_with_the_same_draws(learned, make_alert):
    alert = make_alert("partial_churn", maturity_weeks=100, magnitude=0.9)
    services.recommend_for_alerts([alert.pk], rng=np.random.default_rng(42))
    stored = Recommendation.objects.filter(alert=alert).get().propensities
    shown = {
        r["action"].code: r["probability"]
        for r in services.what_if(CONTEXT, rng=np.random.default_rng(42))
    }
    assert shown == pytest.approx(stored)


def test_what_if_form_rejects_an_unknown_bucket(admin_client, learned):
    form = {"whatif": "1", "kind": "partial_churn", "family_kind": "commodity"}
    html = admin_client.get(URL, form | {"maturity": "ancient", "magnitude": "high"})
    assert "Select a valid choice" in html.content.decode()
    assert WhatIfForm.from_context(CONTEXT).is_valid()


def test_reset_asks_first_then_forgets_one_context(admin_client, learned):
    reset = URL + "reset/"
    page = admin_client.get(reset, {"context": CONTEXT}).content.decode()
    assert "Forget everything the bandit learned" in page and "16 rewards folded" in page
    assert Posterior.objects.get(context=CONTEXT, action__code="visit").n_events == 16
    response = admin_client.post(reset, {"context": CONTEXT, "confirm": "yes"}, follow=True)
    assert "2 posteriors of" in response.content.decode()
    assert not Posterior.objects.filter(context=CONTEXT, n_events__gt=0).exists()
    assert Posterior.objects.get(context="full_churn|commodity|new|low").n_events == 2
    assert Feedback.objects.count() == 0  # nothing else touched


def test_posterior_list_links_to_the_page(admin_client, learned):
    assert URL in admin_client.get("/admin/recommender/posterior/").content.decode()


def test_a_rep_cannot_open_it(client, django_user_model):
    rep = django_user_model.objects.create_user("rep", password="x")
    client.force_login(rep)
    assert client.get(URL).status_code == 302


def test_page_speaks_spanish_by_default(client, admin_user, learned):
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "Lo que ha aprendido el bandido" in html and "¿Y si…?" in html
    assert "3 decisiones, 28 recompensas incorporadas" in html


def test_staff_without_the_posterior_permission_is_refused(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    assert client.post(URL + "reset/", {"context": CONTEXT, "confirm": "yes"}).status_code == 403
