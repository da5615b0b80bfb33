import datetime as dt
from decimal import Decimal

from crm.models import Client, Order, OrderLine, Product, ProductFamily, User

AS_OF = dt.date(2026, 6, 28)


def build_world(password):
    """A manager with two reps; 30 weekly buyers each (two families, two years), of which
    rep ana's first three stopped eight weeks ago; one client of another team."""
    boss = User.objects.create_user("boss", password=password, role=User.Role.MANAGER)
    other = User.objects.create_user("other", password=password, role=User.Role.MANAGER)
    ana = User.objects.create_user(
        "ana",
        password=password,
        role=User.Role.REP,
        manager=boss,
        first_name="Ana",
        last_name="Ruiz",
    )
    ben = User.objects.create_user(
        "ben",
        password=password,
        role=User.Role.REP,
        manager=boss,
        first_name="Ben",
        last_name="Soto",
    )
    carla = User.objects.create_user("carla", password=password, role=User.Role.REP, manager=other)
    fams = [ProductFamily.objects.create(code=c, name=c) for c in ("ANES", "GLOV")]
    prods = [Product.objects.create(code=f"P{f.code}", family=f) for f in fams]
    clients, orders, lines = [], [], []
    reps = [ana] * 15 + [ben] * 15 + [carla]
    for i, rep in enumerate(reps):
        c = Client.objects.create(code=f"C{i:03d}", name=f"Clínica {i}", rep=rep)
        clients.append(c)
        stop = 8 if i < 3 else 0
        for w in range(stop, 104):
            day = AS_OF - dt.timedelta(days=7 * w + (i % 3))
            orders.append(Order(invoice_number=f"F{i}-{w}", date=day, client=c))
    Order.objects.bulk_create(orders)
    for o in Order.objects.all():
        for n, p in enumerate(prods if o.client_id % 2 else prods[:1]):
            lines.append(
                OrderLine(
                    order=o,
                    line_number=n + 1,
                    product=p,
                    units=Decimal(3),
                    net_value=Decimal(40 * size_of(o.client_id)),
                    date=o.date,
                    client_id=o.client_id,
                    family=p.family,
                )
            )
    OrderLine.objects.bulk_create(lines)
    return {
        "boss": boss,
        "other": other,
        "ana": ana,
        "ben": ben,
        "carla": carla,
        "clients": clients,
        "families": fams,
    }


def size_of(client_id):
    return 1 + client_id % 5


def weekly_value(client):
    """What a world client spends a week: 40 x size per family line (odd ids buy two)."""
    return 40 * size_of(client.pk) * (2 if client.pk % 2 else 1)


def publish_twins(world, as_of, units=8.0, price=None, clients=None, replace=True):
    """Publish one twin per client of ``clients`` (default: all), replacing the published ones
    unless ``replace`` is False: ``units`` expected over an 8-week horizon at ``price``
    (default: the client's weekly spend)."""
    from twins.models import ScoringRun, TwinState

    run = ScoringRun.objects.create(as_of=as_of, status="succeeded")
    if replace:
        TwinState.objects.all().delete()
    for c in world["clients"] if clients is None else clients:
        TwinState.objects.create(
            client=c,
            family=world["families"][0],
            kind="commodity",
            as_of=as_of,
            scoring_run=run,
            expected_next=units / 8,
            forecast_units=units,
            forecast_weeks=8,
            params={"unit_price": price if price is not None else weekly_value(c)},
        )
