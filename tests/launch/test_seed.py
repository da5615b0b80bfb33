"""seed_demo plants past launches with early adopters and targets the current launch."""

import io

import pytest
from django.core.management import call_command

from crm.models import Alert, Product
from recommender.launch import kinds as launch_kinds
from recommender.launch.models import Launch
from seeds import launches as planted


@pytest.mark.django_db
def test_seed_demo_plants_launches_and_early_adopter_alerts():
    call_command(
        "seed_demo",
        "--clients",
        "60",
        "--weeks",
        "80",
        "--seed",
        "3",
        "--end",
        "2026-03-29",
        "--password",
        "pw",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    past = Product.objects.filter(code__contains="-N")
    assert past.count() == 3  # every 14 weeks, 28+ weeks of history before, 12+ after
    assert past.filter(launch_date__isnull=True).exists()  # inferred from the first sale
    assert all(p.order_lines.exists() for p in past)
    launch = Launch.objects.get(name=planted.CURRENT_NAME)
    assert launch.status == Launch.Status.DRAFT
    assert not Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER).exists()
    out = io.StringIO()
    call_command("target_launches", stdout=out)
    assert "32 early-adopter alerts" in out.getvalue()
    launch.refresh_from_db()
    assert launch.status == Launch.Status.TARGETED
    assert launch.products.count() == 2
    alerts = Alert.objects.filter(kind=launch_kinds.EARLY_ADOPTER)
    assert alerts.count() == 4 * 8  # 4 reps x 8 targets
    assert all(a.recommendations.exists() for a in alerts)
