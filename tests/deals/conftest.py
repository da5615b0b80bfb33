import pytest

from crm.models import Client, User


@pytest.fixture
def team(db):
    """A manager with two reps, another manager's rep, and one client each."""
    boss = User.objects.create_user("boss", password="pw", role=User.Role.MANAGER)
    other_boss = User.objects.create_user("other", password="pw", role=User.Role.MANAGER)
    ana = User.objects.create_user("ana", password="pw", role=User.Role.REP, manager=boss)
    ben = User.objects.create_user("ben", password="pw", role=User.Role.REP, manager=boss)
    carla = User.objects.create_user("carla", password="pw", role=User.Role.REP, manager=other_boss)
    clients = {
        u.username: Client.objects.create(code=f"C-{u.username}", name=f"Client of {u}", rep=u)
        for u in (ana, ben, carla)
    }
    return {
        "boss": boss,
        "other": other_boss,
        "ana": ana,
        "ben": ben,
        "carla": carla,
        "clients": clients,
    }
