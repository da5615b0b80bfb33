"""An admin creates a launch; each rep finds the early adopters for it in their queue, with
why this client and why this product, and the bandit's approach."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from crm.models import User
from tests.launch.world import make_world, new_products

from .world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username, url="/accounts/login/", submit="button[type=submit].primary"):
    page.context.clear_cookies()
    page.goto(page.base_url + url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(submit)
    page.wait_for_url(lambda u: "login" not in u)


def test_admin_creates_a_launch_and_reps_get_early_adopters(page, shoot):
    # A flushed test database lost the migrated actions: recreate them (and the launch kinds).
    import_module("recommender.migrations.0003_default_actions").create_actions(apps, None)
    import_module("recommender.migrations.0008_launch_actions").add_kind(apps, None)
    page.set_default_timeout(30_000)  # a busy shared machine
    today = timezone.localdate()
    world = make_world(today)
    products = new_products(world["families"], today)
    User.objects.create_superuser("boss", password=PASSWORD, role=User.Role.ADMIN)

    log_in(page, "boss", "/admin/login/", "input[type=submit]")
    page.goto(page.base_url + "/admin/recommender/launch/add/")
    page.fill("#id_name", "Surgery collection 2026")
    page.fill("#id_launch_date", today.isoformat())
    page.fill("#id_target_per_rep", "4")
    for p in products:
        page.select_option("#id_products_from", label=str(p))
        page.locator("#id_products_add, #id_products_add_link").first.click()
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert "8 early-adopter alerts" in page.locator(".messagelist").inner_text()
    assert page.locator("table.launch-bands tbody tr").count() >= 2
    assert "Classic implants" in page.locator(".field-replacement_table").inner_text()
    shoot(page, "launch-admin", docs="launch-admin.png")

    # Ana reads Spanish: her queue holds the launch's early adopters, best first.
    log_in(page, "ana")
    page.click("form.langswitch button[value=es]")
    page.wait_for_selector("html[lang=es]")
    rows = page.locator("tr:has-text('Cliente pionero')")
    assert rows.count() == 4
    assert rows.first.locator(".rec-action").inner_text() in {
        "Visita",
        "Llamada",
        "Email",
        "Enviar muestra",
    }
    shoot(page, "launch-queue-es", docs="launch-queue-es.png")
    rows.first.locator("a[href*='/alerts/']").first.click()
    page.wait_for_selector("text=Por qué este cliente")
    body = page.locator("main").inner_text()
    assert "Posible cliente pionero para" in body
    assert "Por qué este producto" in body
    shoot(page, "launch-alert-es", docs="launch-alert-es.png")

    # Ben reads English.
    log_in(page, "ben")
    page.click("form.langswitch button[value=en]")
    page.wait_for_selector("html[lang=en]")
    rows = page.locator("tr:has-text('Early adopter')")
    assert rows.count() == 4
    rows.first.locator("a[href*='/alerts/']").first.click()
    page.wait_for_selector("text=Why this client")
    body = page.locator("main").inner_text()
    assert "Possible early adopter for" in body and "Why this product" in body
    shoot(page, "launch-alert-en", docs="launch-alert-en.png")
