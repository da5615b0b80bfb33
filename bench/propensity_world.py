"""A synthetic distributor with planted cross-sell truth, for ``bench_propensity``.

The demo of ``seed_demo`` draws each client's families independently and never makes a client
start a family mid-history, so it holds no cross-sell signal to learn. This world plants one:
each week, a client that does not buy family f starts buying it with a hazard

    h = h0 * exp(affinity of its families for f + potential + size + segment + campaign)

and only while the client is active (a fifth of the clients stop buying altogether at some
point). The affinity (which families go together) is what today's co-occurrence rule sees;
the stated potential, the client's size and activity, its segment and the campaigns are what
it does not. The planted adoption weeks are returned as the truth.
"""

from dataclasses import dataclass

import numpy as np

from recommender.propensity.stats import History

#: name, line, share of clients buying it from the start, weekly order probability, € per order
FAMILIES = (
    ("Anaesthesia", 0, 0.55, 0.55, 180.0),
    ("Needles", 0, 0.35, 0.45, 60.0),
    ("Disposables", 0, 0.30, 0.40, 90.0),
    ("Biomaterials", 1, 0.15, 0.15, 420.0),
    ("Membranes", 1, 0.10, 0.12, 300.0),
    ("Implants", 1, 0.12, 0.08, 900.0),
    ("Hygiene", 2, 0.30, 0.35, 70.0),
    ("Equipment", 2, 0.08, 0.04, 1500.0),
)
#: Planted affinity: owning g raises the hazard of f by exp(AFFINITY[g][f]).
AFFINITY = {
    (0, 1): 1.4,
    (1, 0): 1.0,
    (0, 2): 0.8,
    (3, 4): 1.6,
    (4, 3): 1.6,
    (3, 5): 1.2,
    (4, 5): 1.0,
    (0, 6): 0.6,
    (6, 2): 0.8,
    (5, 7): 1.0,
}
#: Scales every planted effect on the hazard (the signal a model can learn).
STRENGTH = 1.3
SEGMENTS = ("clinic", "group", "hospital")
#: Segment effect on the hazard per line (rows: segments; columns: lines).
SEGMENT_LINE = np.array([[0.0, 0.0, 0.0], [0.3, 0.9, 0.2], [0.5, -0.6, 0.6]])


@dataclass
class World:
    history: History
    adoption_week: np.ndarray  # (C, F) planted start week, -1 never, 0 from the start
    week_start: np.ndarray
    family_names: tuple
    rep_names: tuple


def generate(n_clients=1500, weeks=156, n_reps=8, seed=7, end="2026-06-28", h0=0.0006):
    """Generate the world (weeks ending on the Sunday ``end``)."""
    rng = np.random.default_rng(seed)
    C, F, W = n_clients, len(FAMILIES), weeks
    first = np.datetime64(end) - np.timedelta64(7 * W - 1, "D")
    week_start = first + 7 * np.arange(W)
    line = np.array([f[1] for f in FAMILIES])
    share = np.array([f[2] for f in FAMILIES])
    order_p = np.array([f[3] for f in FAMILIES])
    price = np.array([f[4] for f in FAMILIES])
    aff = np.zeros((F, F))
    for (g, f), v in AFFINITY.items():
        aff[g, f] = v

    segment = rng.choice(len(SEGMENTS), C, p=[0.6, 0.25, 0.15])
    rep = rng.integers(0, n_reps, C)
    territory = rep // 2
    size = rng.lognormal(0.0, 0.6, C)
    # A fifth of the clients stop buying at some week.
    stop = np.where(rng.random(C) < 0.2, rng.integers(20, W, C), W)
    owned = rng.random((C, F)) < share[None, :] * np.where(segment == 2, 0.8, 1.0)[:, None]
    owned[~owned.any(1), 0] = True
    adoption = np.where(owned, 0, -1)
    # Stated potentials: for owned families and for a third of the others (with a real need
    # behind it: the need raises the hazard).
    need = rng.random((C, F)) < 0.3
    potential = np.where(
        owned | need,
        np.round(52 * order_p * price * size[:, None] * rng.uniform(1.1, 2.5, (C, F)), -1),
        np.nan,
    )
    # Campaigns: each family promoted 2 weeks every ~half year, at random offsets.
    camp_f, camp_w = [], []
    for f in range(F):
        for w in range(rng.integers(5, 26), W - 2, 26):
            camp_f.append(f)
            camp_w.append(w)
    promoted = np.zeros((F, W), bool)
    for f, w in zip(camp_f, camp_w, strict=True):
        promoted[f, w : w + 2] = True
    seg_eff = SEGMENT_LINE[segment][:, line]  # (C, F)
    static = STRENGTH * (1.8 * need + 0.9 * np.log(size)[:, None] + 1.5 * seg_eff)
    for w in range(1, W):
        has = adoption >= 0
        logit = static + STRENGTH * 1.3 * (has.astype(float) @ aff) + 0.9 * promoted[:, w][None, :]
        hazard = h0 * np.exp(logit)
        start = ~has & (w < stop)[:, None] & (rng.random((C, F)) < hazard)
        adoption[start] = w

    # Purchases: each owned/adopted family, each week while active, with its order probability.
    rows_c, rows_f, rows_w, rows_e = [], [], [], []
    for f in range(F):
        a = adoption[:, f]
        live = (a[:, None] >= 0) & (np.arange(W)[None, :] >= a[:, None])
        live &= np.arange(W)[None, :] < stop[:, None]
        buy = live & (rng.random((C, W)) < order_p[f] * np.minimum(size, 2.0)[:, None] / 1.3)
        # The adoption week itself always has a purchase (that is what "started" means).
        first_week = (a > 0) & (a < stop)
        buy[np.flatnonzero(first_week), a[first_week]] = True
        c, w = np.nonzero(buy)
        rows_c.append(c)
        rows_f.append(np.full(len(c), f))
        rows_w.append(w)
        rows_e.append(np.round(price[f] * size[c] * rng.lognormal(0, 0.3, len(c)), 2))
    c = np.concatenate(rows_c)
    f = np.concatenate(rows_f)
    w = np.concatenate(rows_w)
    e = np.concatenate(rows_e)
    day = week_start[w] + rng.integers(0, 5, len(w))
    hist = History(
        client=c,
        family=f,
        day=day,
        euros=e,
        n_clients=C,
        n_families=F,
        potential=potential,
        territory=territory,
        segment=segment,
        rep=rep,
        line=line,
        campaign_family=np.array(camp_f),
        campaign_start=week_start[np.array(camp_w)],
        campaign_end=week_start[np.array(camp_w)] + 13,
    )
    return World(
        hist,
        adoption,
        week_start,
        tuple(x[0] for x in FAMILIES),
        tuple(f"rep{i + 1}" for i in range(n_reps)),
    )


def load(world: World, rep_prefix="prop-rep", code_prefix="PW"):
    """Write ``world`` into the crm tables (lines, families, territories, reps, clients,
    orders, lines, potentials, campaigns); return ``(client_pks, family_pks, reps)``.

    One order per client and day, one line per family bought that day. For tests and
    ``bench_propensity --source db``; reps get the password ``pw-<username>``."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from crm.bulkload import bulk_insert
    from crm.models import (
        Campaign,
        Client,
        Order,
        OrderLine,
        Potential,
        Product,
        ProductFamily,
        ProductLine,
        Territory,
        User,
    )

    h = world.history
    with transaction.atomic():
        lines = [
            ProductLine.objects.get_or_create(code=f"{code_prefix}-L{i}", defaults={"name": n})[0]
            for i, n in enumerate(("Anestesia", "Biomateriales", "Clínica"))
        ]
        fams = []
        for i, (name, line, *_rest) in enumerate(FAMILIES):
            fam, _c = ProductFamily.objects.get_or_create(
                code=f"{code_prefix}-F{i}",
                defaults={
                    "name": name,
                    "line": lines[line],
                    "kind": "technical" if i in (5, 7) else "commodity",
                },
            )
            fams.append(fam)
        products = [
            Product.objects.get_or_create(code=f"{code_prefix}-P{i}", defaults={"family": f})[0]
            for i, f in enumerate(fams)
        ]
        n_terr = int(h.territory.max()) + 1
        terrs = [
            Territory.objects.get_or_create(
                code=f"{code_prefix}-T{i}", defaults={"name": f"Zona {i + 1}"}
            )[0]
            for i in range(n_terr)
        ]
        reps = []
        for i, _name in enumerate(world.rep_names):
            username = f"{rep_prefix}{i + 1}"
            rep = User.objects.filter(username=username).first() or User.objects.create(
                username=username,
                password=make_password("pw-" + username),
                role="rep",
                first_name=f"Rep {i + 1}",
                territory=terrs[i // 2] if i // 2 < len(terrs) else None,
            )
            reps.append(rep)
        clients = Client.objects.bulk_create(
            [
                Client(
                    code=f"{code_prefix}-C{c:05d}",
                    name=f"Clínica {c + 1}",
                    territory=terrs[h.territory[c]],
                    rep=reps[h.rep[c]],
                )
                for c in range(h.n_clients)
            ]
        )
        cpk = np.array([c.pk for c in clients])
        fpk = np.array([f.pk for f in fams])
        # Orders: one per client and day.
        key = h.client.astype(np.int64) * 100000 + (h.day - h.day.min()).astype(np.int64)
        uniq, order_of = np.unique(key, return_inverse=True)
        o_client = uniq // 100000
        o_day = h.day.min() + (uniq % 100000).astype("timedelta64[D]")
        tag = Order.objects.count()
        orders = Order.objects.bulk_create(
            [
                Order(
                    invoice_number=f"{code_prefix}-{tag}-{i}",
                    date=o_day[i].astype(object),
                    client_id=int(cpk[o_client[i]]),
                )
                for i in range(len(uniq))
            ],
            batch_size=2000,
        )
        opk = np.array([o.pk for o in orders])
        line_no = np.zeros(len(h.client), dtype=np.int64)
        order_sorted = np.argsort(order_of, kind="stable")
        runs = np.r_[True, order_of[order_sorted][1:] != order_of[order_sorted][:-1]]
        pos = np.arange(len(order_sorted)) - np.maximum.accumulate(
            np.where(runs, np.arange(len(order_sorted)), 0)
        )
        line_no[order_sorted] = pos + 1
        bulk_insert(
            OrderLine,
            [
                "order_id",
                "line_number",
                "product_id",
                "units",
                "net_value",
                "date",
                "client_id",
                "family_id",
            ],
            (
                (
                    int(opk[order_of[i]]),
                    int(line_no[i]),
                    products[h.family[i]].pk,
                    1,
                    f"{h.euros[i]:.2f}",
                    h.day[i].astype(object),
                    int(cpk[h.client[i]]),
                    int(fpk[h.family[i]]),
                )
                for i in range(len(h.client))
            ),
        )
        pc, pf = np.nonzero(np.isfinite(h.potential))
        Potential.objects.bulk_create(
            [
                Potential(
                    client_id=int(cpk[c]),
                    family_id=int(fpk[f]),
                    annual_potential=f"{h.potential[c, f]:.2f}",
                )
                for c, f in zip(pc, pf, strict=True)
            ]
        )
        for k, (f, s, e) in enumerate(
            zip(h.campaign_family, h.campaign_start, h.campaign_end, strict=True)
        ):
            camp = Campaign.objects.create(
                code=f"{code_prefix}-K{k}",
                name=f"Campaña {fams[f].name}",
                start=s.astype(object),
                end=e.astype(object),
            )
            camp.families.add(fams[f])
    return cpk, fpk, reps
