"""The distributor's real export in a browser: after `import_erp --create-missing-clients` and
`score`, the team page shows a run dated on the data's own last week, and a client page marks
a potential split between families as estimated."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from crm.models import Client, User

from .test_pages import log_in
from .world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DISTRIBUTOR = Path(__file__).resolve().parents[1] / "crm" / "fixtures" / "distributor"


def test_real_export_scores_on_its_own_dates_and_shows_estimated_splits(page, shoot):
    call_command(
        "import_erp", str(DISTRIBUTOR), "--no-progress", "--create-missing-clients",
        stdout=StringIO(),
    )  # fmt: skip
    call_command("score", "--inline", "--no-progress", stdout=StringIO())
    User.objects.create_user(
        username="marta", password=PASSWORD, role=User.Role.ADMIN, first_name="Marta"
    )
    log_in(page, "marta")

    page.goto(page.base_url + "/team/")
    status = page.locator("#run-status .as-of-note")
    status.wait_for()
    assert "latest order (2025-12-30)" in status.inner_text()
    assert "as of 2026-01-04" in page.locator("#run-status h3").inner_text()
    shoot(page, "team-data-week", docs="team-data-week.png")

    page.goto(page.base_url + f"/clients/{Client.objects.get(code='C101').pk}/")
    page.wait_for_selector("#families-h")
    badges = page.locator("span.estimated-split")
    assert badges.count() == 2  # Familia T1 and T2 share the Biomateriales potential
    rows = page.locator("tr", has=page.locator("span.estimated-split"))
    assert all("Biomateriales" in text for text in rows.all_inner_texts())
    shoot(page, "client-estimated-split", docs="client-estimated-split.png")
