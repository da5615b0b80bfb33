"""The admin pages of the pipeline: stages editable as data, opportunities with their history."""

import datetime as dt

from django.urls import reverse

from crm.models import User
from deals import selectors
from deals.models import Opportunity, Stage, StageChange


def test_admin_lists_and_edits_stages_and_shows_a_deal_with_its_history(client, team):
    admin = User.objects.create_superuser("root", password="pw", role=User.Role.ADMIN)
    client.force_login(admin)
    stages = {s.code: s for s in selectors.stages()}
    deal = Opportunity.objects.create(
        external_id="OP-9",
        client=team["clients"]["ana"],
        owner=team["ana"],
        amount=900,
        stage=stages["negotiation"],
        created_date=dt.date(2026, 9, 1),
    )
    StageChange.objects.create(
        opportunity=deal, stage=stages["negotiation"], date=dt.date(2026, 9, 9)
    )
    for name in ("stage", "opportunity", "dealrun", "dealscore"):
        response = client.get(reverse(f"admin:deals_{name}_changelist"))
        assert response.status_code == 200, name
    page = client.get(reverse("admin:deals_opportunity_change", args=[deal.pk]))
    assert page.status_code == 200 and "2026-09-09" in page.content.decode()
    assert "OP-9" in client.get(reverse("admin:deals_opportunity_changelist")).content.decode()

    negotiation = stages["negotiation"]
    response = client.post(
        reverse("admin:deals_stage_change", args=[negotiation.pk]),
        {
            "code": "negotiation",
            "name": "Negociación",
            "order": 40,
            "is_late": "",
            "is_qualification": "",
            "outcome": "open",
        },
    )
    assert response.status_code == 302
    negotiation = Stage.objects.get(pk=negotiation.pk)
    assert negotiation.name == "Negociación" and not negotiation.is_late
