"""A rep's weekly capacity: the queue shows this week's top alerts, the rest one click away."""

import re

import pytest
from django.urls import reverse

from tests.crm.test_views import HTMX, login, row_ids
from tests.e2e.world import make_world


@pytest.fixture
def world(db):
    return make_world()


def test_this_week_shows_the_top_alerts_up_to_the_reps_capacity(client, world):
    world.ana.weekly_capacity = 2
    world.ana.save()
    login(client, world.ana)
    html = client.get(reverse("web:queue")).content.decode()
    a = world.alerts
    assert row_ids(html) == [a["churn"].pk, a["technical"].pk]  # largest euros first
    assert "This week" in html and "of 3 alerts" in html
    # The rest is one click away, and from there one click back.
    link = re.search(r'id="queue-show-all" href="([^"]+)"', html).group(1)
    assert "scope=all" in link and "Show all 3" in html
    full = client.get(reverse("web:queue") + link.replace("&amp;", "&")).content.decode()
    assert row_ids(full) == [a["churn"].pk, a["technical"].pk, a["stopped"].pk]
    assert 'id="queue-this-week"' in full
    # Filtering the whole queue keeps it whole (the scope travels with the filter form).
    assert '<input type="hidden" name="scope" value="all">' in full


def test_capacity_applies_after_the_filters(client, world):
    world.ana.weekly_capacity = 1
    world.ana.save()
    login(client, world.ana)
    html = client.get(reverse("web:queue"), {"kind": "technical_deterioration"}, **HTMX)
    assert row_ids(html.content.decode()) == [world.alerts["technical"].pk]


def test_a_queue_within_capacity_and_a_managers_queue_are_shown_whole(client, world):
    login(client, world.ana)  # default capacity 25, three alerts
    html = client.get(reverse("web:queue")).content.decode()
    assert len(row_ids(html)) == 3 and "This week" not in html
    world.manager.weekly_capacity = 1
    world.manager.save()
    client.logout()
    login(client, world.manager)
    html = client.get(reverse("web:queue")).content.decode()
    assert len(row_ids(html)) > 1 and "This week" not in html


def test_weekly_capacity_is_edited_per_user_in_the_admin(admin_client, world):
    url = reverse("admin:crm_user_change", args=[world.ana.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="weekly_capacity"' in html and 'value="25"' in html
