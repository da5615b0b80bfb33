"""What people see: the admin's figures and controls, the client page's card, the bench."""

import pytest
from django.core.management import call_command

from crm.models import Client
from recommender.propensity.models import PropensityModel, PropensityScore, PropensitySettings


@pytest.fixture
def admin_en(admin_client, settings):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


def test_the_admin_shows_the_model_figures_and_edits_threshold_and_cap(
    loaded_world, refit, admin_en
):
    run = refit()
    page = admin_en.get(f"/admin/recommender/propensitymodel/{run.pk}/change/").content.decode()
    assert "precision@20 per rep" in page and "PR-AUC" in page and "hgb ✓" in page
    assert f"{run.chosen['auc']:.3f}" in page
    listing = admin_en.get("/admin/recommender/propensitymodel/").content.decode()
    assert f"{run.chosen['auc']:.3f}" in listing

    ctl = PropensitySettings.get()
    url = f"/admin/recommender/propensitysettings/{ctl.pk}/change/"
    form = admin_en.get(url).content.decode()
    assert "maximum new cross-sell alerts per rep per week" in form.lower()
    assert f"v{run.version} hgb" in form
    resp = admin_en.post(
        url, {"enabled": "on", "threshold": "0.35", "max_alerts_per_rep_week": "4"}
    )
    assert resp.status_code == 302
    ctl.refresh_from_db()
    assert (ctl.threshold, ctl.max_alerts_per_rep_week) == (0.35, 4)
    bad = admin_en.post(url, {"enabled": "on", "threshold": "1.5", "max_alerts_per_rep_week": "4"})
    assert bad.status_code == 200 and "less than or equal to 1" in bad.content.decode()
    ctl.refresh_from_db()
    assert ctl.threshold == 0.35

    refit()
    alerts = PropensityModel.objects.get(is_current=True)
    assert alerts.alerts_created <= 4 * 4


def test_the_client_page_shows_the_propensity_per_family_not_yet_bought(
    loaded_world, refit, client, settings
):
    refit()
    score = PropensityScore.objects.exclude(reasons=[]).order_by("-probability").first()
    owner = Client.objects.get(pk=score.client_id).rep
    client.force_login(owner)
    for lang, heading in (("es", "Familias que aún no compra"), ("en", "Families not yet bought")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        html = client.get(f"/clients/{score.client_id}/").content.decode()
        assert heading in html
        assert score.family.name in html
        assert (
            html.count("<tr>", html.index('id="propensity"'))
            >= PropensityScore.objects.filter(client_id=score.client_id).count()
        )


def test_the_client_page_before_any_model_and_for_a_client_without_history(client, make_user):
    rep = make_user("solo")
    c = Client.objects.create(code="EMPTY", rep=rep)
    client.force_login(rep)
    html = client.get(f"/clients/{c.pk}/").content.decode()
    assert 'id="propensity"' in html
    assert "has not been fitted yet" in html or "aún no se ha ajustado" in html


def test_bench_propensity_prints_the_comparison_table(capsys):
    call_command("bench_propensity", "--quick", "--clients", "300")
    out = capsys.readouterr().out
    for row in ("(b) gradient boosting", "(c) co-occurrence rule", "(d) most popular family"):
        assert row in out
    assert "AUC" in out and "P@20/rep" in out and "Brier" in out
    assert "production model: b_hgb" in out
