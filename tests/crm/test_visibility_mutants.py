"""The visibility selectors (``crm.selectors``) on a world where every rule makes a difference.

Manager Marta leads reps Rui and Rosa and also owns a client herself; manager Mario leads Rita;
one client has no rep. Each role's expected set is written out by hand, so widening or
narrowing any rule (a rep seeing the team, a manager missing their own clients, an admin
limited like a manager, an anonymous user seeing anything) fails here.
"""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from crm import selectors
from crm.models import Alert, Client, ProductFamily, Territory, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    def user(name, role, manager=None, **extra):
        return User.objects.create(username=name, role=role, manager=manager, **extra)

    marta = user("marta", User.Role.MANAGER)
    mario = user("mario", User.Role.MANAGER)
    p = {
        "marta": marta,
        "mario": mario,
        "rui": user("rui", User.Role.REP, marta),
        "rosa": user("rosa", User.Role.REP, marta),
        "rita": user("rita", User.Role.REP, mario),
        "admin": user("admin", User.Role.ADMIN),
        "root": user("root", User.Role.REP, is_superuser=True),
    }
    owners = {"c_rui": "rui", "c_rosa": "rosa", "c_rita": "rita", "c_marta": "marta"}
    north = Territory.objects.create(code="N", name="North")
    clients = {
        code: Client.objects.create(code=code, rep=p[o], territory=north)
        for code, o in owners.items()
    }
    clients["c_none"] = Client.objects.create(code="c_none", rep=None)
    family = ProductFamily.objects.create(code="ANES", name="Anaesthesia")
    alerts = {
        code: Alert.objects.create(
            client=c,
            family=family,
            kind="partial_churn",
            dedup_key=Alert.make_dedup_key(c.pk, family.pk, code),
            as_of=date(2026, 6, 1),
        )
        for code, c in clients.items()
    }
    return p, clients, alerts


EVERYONE = {"c_rui", "c_rosa", "c_rita", "c_marta", "c_none"}
EXPECTED = {
    "rui": {"c_rui"},
    "rosa": {"c_rosa"},
    "rita": {"c_rita"},
    "marta": {"c_rui", "c_rosa", "c_marta"},
    "mario": {"c_rita"},
    "admin": EVERYONE,
    "root": EVERYONE,
}


def test_clients_and_alerts_visible_to_each_role(people):
    p, _, alerts = people
    code_of = {a.pk: code for code, a in alerts.items()}
    for name, expected in EXPECTED.items():
        clients = set(selectors.clients_visible_to(p[name]).values_list("code", flat=True))
        assert clients == expected, name
        seen = {
            code_of[pk] for pk in selectors.alerts_visible_to(p[name]).values_list("pk", flat=True)
        }
        assert seen == expected, name
    assert not selectors.clients_visible_to(AnonymousUser()).exists()
    assert not selectors.alerts_visible_to(AnonymousUser()).exists()


def test_one_alert_or_client_outside_ones_view_is_not_found(people):
    p, clients, alerts = people
    for name, expected in EXPECTED.items():
        for code in EVERYONE:
            if code in expected:
                assert selectors.visible_alert(p[name], alerts[code].pk) == alerts[code]
                assert selectors.visible_client(p[name], clients[code].pk) == clients[code]
            else:
                with pytest.raises(Http404):
                    selectors.visible_alert(p[name], alerts[code].pk)
                with pytest.raises(Http404):
                    selectors.visible_client(p[name], clients[code].pk)
    missing = max(a.pk for a in alerts.values()) + 1
    with pytest.raises(Http404):
        selectors.visible_alert(p["admin"], missing)
    with pytest.raises(Http404):
        selectors.visible_client(p["admin"], max(c.pk for c in clients.values()) + 1)
    anon = AnonymousUser()
    with pytest.raises(Http404):
        selectors.visible_alert(anon, alerts["c_none"].pk)
    with pytest.raises(Http404):
        selectors.visible_client(anon, clients["c_none"].pk)


def test_team_members_by_role(people):
    p, _, _ = people

    def names(user):
        return [u.username for u in selectors.team_members(user)]

    assert names(p["rui"]) == ["rui"]
    assert names(p["marta"]) == ["marta", "rosa", "rui"]
    assert names(p["mario"]) == ["mario", "rita"]
    # Admins (and superusers) look at every rep's queue, and only reps'.
    assert names(p["admin"]) == ["rita", "root", "rosa", "rui"]
    superuser = User.objects.create(username="zed", role=User.Role.MANAGER, is_superuser=True)
    assert names(superuser) == ["rita", "root", "rosa", "rui"]


def test_one_alert_or_client_comes_with_what_its_page_shows_in_one_query(
    people, django_assert_num_queries
):
    """The alert page names the client and its rep, the client page the rep and territory:
    the selectors fetch them with the row, not one query each."""
    p, clients, alerts = people
    with django_assert_num_queries(1):
        alert = selectors.visible_alert(p["marta"], alerts["c_rui"].pk)
        assert (alert.client.code, alert.client.rep.username, alert.family.code) == (
            "c_rui",
            "rui",
            "ANES",
        )
    with django_assert_num_queries(1):
        client = selectors.visible_client(p["marta"], clients["c_rosa"].pk)
        assert (client.rep.username, client.territory.code) == ("rosa", "N")
