"""A synthetic dental distributor, generated with numpy and no Django.

Everything is drawn from a :class:`numpy.random.Generator` vectorised over (client, family)
pairs and weeks, so the same seed and end date give the same data. The database side lives in
:mod:`seeds.services`.

Weeks are ISO weeks (Monday to Sunday), oldest first; the last one ends on ``end`` (a Sunday).
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

#: Clients generated per random stream; fixed so the data never depends on memory settings.
CHUNK = 1000

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Family:
    code: str
    name: str
    kind: str  # "commodity" or "technical"
    line: str
    share: float  # probability that a client buys the family at all
    size: float  # commodity: mean units/week of an average client; technical: units/purchase
    gap: tuple = (1, 1)  # technical: range of the median weeks between purchases


LINES = {
    "ANEST": "Anaesthesia",
    "DISP": "Disposables and biosafety",
    "SURG": "Surgery and implantology",
}

FAMILIES = (
    Family("ANES", "Anaesthesia cartridges", "commodity", "ANEST", 0.92, 7.0),
    Family("NEED", "Dental needles", "commodity", "ANEST", 0.85, 4.0),
    Family("GLOV", "Gloves and disposables", "commodity", "DISP", 0.90, 9.0),
    Family("BIOS", "Biosafety", "technical", "DISP", 0.55, 4.0, (4, 10)),
    Family("BIOM", "Biomaterials", "technical", "SURG", 0.40, 2.0, (6, 16)),
    Family("IMPL", "Implants", "technical", "SURG", 0.35, 3.0, (6, 20)),
)

#: family code -> (product name, list price in euros, launch: years before the end date).
PRODUCTS = {
    "ANES": [
        ("Articaine 4% 1:100.000, 50 cartridges", 32.50, 12),
        ("Articaine 4% 1:200.000, 50 cartridges", 33.90, 9),
        ("Lidocaine 2% epinephrine, 50 cartridges", 24.00, 15),
        ("Mepivacaine 3% plain, 50 cartridges", 27.80, 1.5),
    ],
    "NEED": [
        ("Needle 27G long, box of 100", 11.90, 14),
        ("Needle 30G short, box of 100", 12.40, 10),
        ("Needle 30G extra-short, box of 100", 13.10, 1.2),
    ],
    "GLOV": [
        ("Nitrile gloves M, box of 100", 7.90, 8),
        ("Nitrile gloves S, box of 100", 7.90, 8),
        ("Latex gloves M, box of 100", 6.50, 16),
        ("Surgical masks type IIR, box of 50", 5.20, 6),
    ],
    "BIOS": [
        ("Sterilisation pouches 90x230, box of 200", 18.50, 11),
        ("Surface disinfectant, 5 L", 29.00, 7),
        ("Autoclave indicator strips, box of 250", 24.00, 2),
    ],
    "BIOM": [
        ("Bovine bone graft 0.5 g", 89.00, 13),
        ("Resorbable collagen membrane 25x25 mm", 129.00, 9),
        ("Synthetic bone graft 1 g", 72.00, 1.8),
    ],
    "IMPL": [
        ("Conical implant 4.0 x 10 mm", 185.00, 10),
        ("Conical implant 3.5 x 11.5 mm", 185.00, 10),
        ("Short implant 5.0 x 6 mm", 199.00, 2.5),
        ("Healing abutment", 39.00, 10),
    ],
}

#: (territory code, name, provinces as (name, postcode prefix, relative weight)).
TERRITORIES = (
    (
        "NORTE",
        "Norte",
        [
            ("A Coruña", "15", 11),
            ("Pontevedra", "36", 9),
            ("Asturias", "33", 10),
            ("Cantabria", "39", 6),
            ("Bizkaia", "48", 11),
            ("Gipuzkoa", "20", 7),
            ("Navarra", "31", 7),
            ("Zaragoza", "50", 10),
            ("Valladolid", "47", 5),
        ],
    ),
    (
        "CENTRO",
        "Centro",
        [
            ("Madrid", "28", 66),
            ("Toledo", "45", 7),
            ("Guadalajara", "19", 3),
            ("Salamanca", "37", 3),
        ],
    ),
    (
        "ESTE",
        "Este y Baleares",
        [
            ("Barcelona", "08", 56),
            ("Girona", "17", 8),
            ("Tarragona", "43", 8),
            ("Valencia", "46", 26),
            ("Alicante", "03", 19),
            ("Illes Balears", "07", 12),
            ("Murcia", "30", 15),
        ],
    ),
    (
        "SUR",
        "Sur y Canarias",
        [
            ("Sevilla", "41", 19),
            ("Málaga", "29", 17),
            ("Cádiz", "11", 12),
            ("Granada", "18", 9),
            ("Córdoba", "14", 8),
            ("Badajoz", "06", 7),
            ("Las Palmas", "35", 11),
            ("Santa Cruz de Tenerife", "38", 10),
        ],
    ),
)

SURNAMES = (
    "García López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno "
    "Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez "
    "Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Iglesias "
    "Núñez Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto Méndez Cruz Calvo"
).split()
PREFIXES = ("Clínica Dental", "Centro Odontológico", "Policlínica Dental", "Dentistas")

COMMODITY_SCENARIOS = {
    "stable": 0.64,
    "growing": 0.06,
    "partial_churn": 0.10,
    "full_churn": 0.04,
    "uncaptured_potential": 0.06,
    "unreliable_potential": 0.04,
    "campaign_no_response": 0.06,
}
TECHNICAL_SCENARIOS = {
    "stable": 0.64,
    "growing": 0.06,
    "technical_silence": 0.12,
    "uncaptured_potential": 0.06,
    "unreliable_potential": 0.04,
    "technical_pause": 0.08,  # ~1/4 of them have too long gaps for a pause and stay stable
}
#: Every scenario, in the order their codes are stored in the arrays below.
SCENARIOS = (
    "stable",
    "growing",
    "partial_churn",
    "full_churn",
    "technical_silence",
    "uncaptured_potential",
    "unreliable_potential",
    "cross_sell",
    "campaign_no_response",
    "technical_pause",
)
NB_DISPERSION = 4.0  # negative binomial size of the units of one commodity order
GAP_SIGMA = 0.45  # log-normal sigma of the weeks between technical purchases
RETURN_RATE = 0.015  # share of sale lines partly returned the same week
ADJUSTMENT_RATE = 0.01  # share of sale lines followed by a zero-unit price adjustment
PRICE_INFLATION = 0.03  # yearly list price increase; list prices are today's
CAMPAIGN_UPLIFT = 1.0  # extra rate during a campaign; the same volume is missing afterwards
CAMPAIGN_WEEKS, CAMPAIGN_DIP_WEEKS = 2, 4
#: technical_pause, the early stage of a technical silence: the last PAUSE_GAPS completed
#: gaps are this many times the pair's median gap (usual gaps keep their log-normal noise)...
PAUSE_LENGTHENING = (2.0, 2.6)
PAUSE_GAPS = 2
#: ...and the open gap at the end has lasted this many times the median: past the usual gaps'
#: P75 and before their P90. Realised gaps (weekly rounding, a one-week floor, seasonal
#: thinning) have P75 1.47x and P90 2.04x the median; a log-normal fitted to them, P75 ~1.55x.
PAUSE_SILENCE = (1.6, 2.0)
#: Usual gaps the history must hold before the lengthening; pairs with longer gaps stay stable.
PAUSE_USUAL_GAPS = 4


def last_sunday(day):
    """Return ``day`` if it is a Sunday, else the Sunday before it."""
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


@dataclass
class Calendar:
    end: dt.date  # a Sunday
    week_start: np.ndarray  # datetime64[D] (W,) Mondays, oldest first

    @classmethod
    def ending(cls, end, weeks):
        end = last_sunday(end)
        first = np.datetime64(end) - np.timedelta64(7 * weeks - 1, "D")
        return cls(end, first + 7 * np.arange(weeks) * DAY)

    @property
    def weeks(self):
        return len(self.week_start)


def seasonality(week_start):
    """Multiplicative weekly demand: August and Christmas dips, a mild spring high."""
    days = week_start[:, None] + np.arange(7) * DAY
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    mday = (days - days.astype("datetime64[M]")).astype(int) + 1
    august = (month == 8).mean(axis=1)
    christmas = (((month == 12) & (mday >= 22)) | ((month == 1) & (mday <= 6))).mean(axis=1)
    doy = (week_start - week_start.astype("datetime64[Y]")).astype(int)
    return (1 + 0.08 * np.cos(2 * np.pi * (doy - 100) / 365.25)) * (
        1 - 0.6 * august - 0.55 * christmas
    )


@dataclass
class CampaignPlan:
    code: str
    name: str
    start: dt.date
    end: dt.date
    families: list  # family indices


def plan_campaigns(rng, calendar):
    """Three campaigns a year (March, May, October), each promoting one or two commodities.

    Returns the plans and an (F, W) multiplier: the uplift during the campaign and the same
    volume missing over the weeks after it (purchases pulled forward).
    """
    commodity = [i for i, f in enumerate(FAMILIES) if f.kind == "commodity"]
    mult = np.ones((len(FAMILIES), calendar.weeks))
    plans = []
    first, last = calendar.week_start[0], calendar.week_start[-1]
    for year in range(first.astype(object).year, calendar.end.year + 1):
        for month, label in ((3, "Spring"), (5, "Pre-summer"), (10, "Autumn")):
            start = np.datetime64(f"{year}-{month:02d}-08")
            start -= (start.astype(object).weekday()) * DAY  # the Monday of that week
            if start < first or start > last:
                continue
            chosen = sorted(rng.choice(commodity, size=rng.integers(1, 3), replace=False))
            t = int((start - first) // (7 * DAY))
            mult[chosen, t : t + CAMPAIGN_WEEKS] *= 1 + CAMPAIGN_UPLIFT
            dip = 1 - CAMPAIGN_UPLIFT * CAMPAIGN_WEEKS / CAMPAIGN_DIP_WEEKS / 2
            after = slice(t + CAMPAIGN_WEEKS, t + CAMPAIGN_WEEKS + CAMPAIGN_DIP_WEEKS)
            mult[chosen, after] *= dip
            names = " + ".join(FAMILIES[i].name.lower() for i in chosen)
            plans.append(
                CampaignPlan(
                    code=f"CAMP-{year}-{month:02d}",
                    name=f"{label} {year}: {names}",
                    start=start.astype(object),
                    end=(start + (7 * CAMPAIGN_WEEKS - 1) * DAY).astype(object),
                    families=[int(i) for i in chosen],
                )
            )
    return plans, mult


@dataclass
class Catalogue:
    """Products as flat arrays, plus an (F, W, K) cumulative choice table per family and week."""

    family: np.ndarray  # (N,) family index of each product
    price: np.ndarray  # (N,) list price today
    launch: np.ndarray  # datetime64[D] (N,)
    offset: np.ndarray  # (F,) index of each family's first product
    count: np.ndarray  # (F,) number of products of each family
    cumulative: np.ndarray  # (F, W, K) cumulative probability of the k-th product of the family

    @classmethod
    def build(cls, calendar):
        family, price, launch, offset = [], [], [], []
        end = np.datetime64(calendar.end)
        for f, fam in enumerate(FAMILIES):
            offset.append(len(family))
            for _name, list_price, years in PRODUCTS[fam.code]:
                family.append(f)
                price.append(list_price)
                launch.append(end - int(years * 365.25) * DAY)
        family, launch = np.array(family), np.array(launch, dtype="datetime64[D]")
        k_max = max(len(v) for v in PRODUCTS.values())
        weight = np.zeros((len(FAMILIES), calendar.weeks, k_max))
        for f, fam in enumerate(FAMILIES):
            n = len(PRODUCTS[fam.code])
            popularity = 1.0 / (1 + np.arange(n))  # the first products sell best
            live = launch[offset[f] : offset[f] + n][None, :] <= calendar.week_start[:, None]
            weight[f, :, :n] = popularity * live
        weight[weight.sum(axis=2) == 0, 0] = 1.0  # nothing launched yet: the first product
        cumulative = np.cumsum(weight, axis=2) / weight.sum(axis=2, keepdims=True)
        count = np.array([len(PRODUCTS[f.code]) for f in FAMILIES])
        return cls(family, np.array(price), launch, np.array(offset), count, cumulative)

    def pick(self, rng, family, week):
        """Draw one product (global index) per line, among those launched by that week."""
        cum = self.cumulative[family, week]
        local = (rng.random(len(family))[:, None] > cum).sum(axis=1)
        return self.offset[family] + np.minimum(local, self.count[family] - 1)


@dataclass
class Chunk:
    """One chunk of clients and everything they bought. Indices are local to the chunk."""

    # clients (C,)
    client_name: np.ndarray
    client_postcode: np.ndarray
    client_province: np.ndarray  # str
    client_territory: np.ndarray  # territory index
    # pairs (P,) the client buys (or, for cross_sell, has a potential for)
    pair_client: np.ndarray
    pair_family: np.ndarray
    pair_scenario: np.ndarray  # index into SCENARIOS
    pair_onset: np.ndarray  # week index of the change, -1 when none
    pair_potential: np.ndarray  # annual potential in euros, NaN when none
    pair_params: list  # (P,) dict of the generating parameters
    # orders (O,): invoices and credit notes, sorted by client and date
    order_client: np.ndarray
    order_date: np.ndarray  # datetime64[D]
    order_credit: np.ndarray  # bool: a credit note (returns)
    # lines (L,)
    line_order: np.ndarray
    line_number: np.ndarray
    line_product: np.ndarray
    line_family: np.ndarray
    line_units: np.ndarray  # int; negative for returns, 0 for price adjustments
    line_value: np.ndarray  # float euros, rounded to cents


def _draw_scenarios(rng, technical):
    out = np.empty(len(technical), dtype=int)
    for is_tech, table in ((False, COMMODITY_SCENARIOS), (True, TECHNICAL_SCENARIOS)):
        mask = technical == is_tech
        codes = [SCENARIOS.index(name) for name in table]
        out[mask] = rng.choice(codes, size=mask.sum(), p=list(table.values()))
    return out


def _rank_within(group):
    """1-based position of each element within its run of equal (sorted) ``group`` values."""
    idx = np.arange(len(group))
    starts = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, idx, 0))
    return idx - first + 1


def generate_chunk(rng, n_clients, calendar, catalogue, campaign_mult):
    """Generate ``n_clients`` clients with their pairs, planted truth, orders and lines."""
    W, F = calendar.weeks, len(FAMILIES)
    season = seasonality(calendar.week_start)
    technical_family = np.array([f.kind == "technical" for f in FAMILIES])
    family_size = np.array([f.size for f in FAMILIES])
    family_price = np.array([np.mean([p[1] for p in PRODUCTS[f.code]]) for f in FAMILIES])

    # Clients: province by population, size (a multiplier of demand), discount.
    provinces = [(t, p) for t, terr in enumerate(TERRITORIES) for p in terr[2]]
    weights = np.array([p[2] for _, p in provinces], dtype=float)
    where = rng.choice(len(provinces), size=n_clients, p=weights / weights.sum())
    territory = np.array([provinces[i][0] for i in where])
    province = np.array([provinces[i][1][0] for i in where])
    prefix = np.array([provinces[i][1][1] for i in where])
    postcode = np.char.add(prefix, np.char.zfill(rng.integers(1, 999, n_clients).astype(str), 3))
    names = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), (n_clients, 2))]
    name = np.char.add(
        np.array(PREFIXES)[rng.integers(0, len(PREFIXES), n_clients)],
        np.char.add(np.char.add(" ", names[:, 0]), np.char.add(" ", names[:, 1])),
    )
    size = rng.lognormal(0.0, 0.5, n_clients)
    discount = rng.uniform(0.0, 0.2, n_clients)

    # Pairs: which families each client buys; everyone buys at least one.
    share = np.array([f.share for f in FAMILIES])
    buys = rng.random((n_clients, F)) < share
    buys[~buys.any(axis=1), 0] = True
    pc, pf = np.nonzero(buys)
    P = len(pc)
    tech = technical_family[pf]
    scenario = _draw_scenarios(rng, tech)
    sc = np.array(SCENARIOS)[scenario]

    # Onsets, mostly 6-26 weeks before the end; at most half the history.
    half = W // 2
    onset = np.full(P, -1)
    churn = np.isin(sc, ["partial_churn", "full_churn"])
    onset[churn] = W - np.minimum(rng.integers(6, 27, churn.sum()), half)
    grow = sc == "growing"
    onset[grow] = W - np.minimum(rng.integers(26, 53, grow.sum()), half)
    drop = np.where(sc == "partial_churn", rng.uniform(0.4, 0.8, P), 0.0)
    drop[sc == "full_churn"] = 1.0
    growth = np.where(grow, rng.uniform(0.3, 0.8, P), 0.0)

    # Scenario multiplier (P, W): 1 before the onset, then the planted change.
    t = np.arange(W)[None, :]
    after = (onset[:, None] >= 0) & (t >= onset[:, None])
    ramp = np.clip((t - onset[:, None] + 1) / np.maximum(W - onset[:, None], 1), 0, 1)
    mult = np.where(after, 1 - drop[:, None], 1.0) * (1 + growth[:, None] * ramp * after)

    units = np.zeros((P, W), dtype=np.int64)
    base = family_size[pf] * size[pc] * rng.uniform(0.7, 1.3, P)

    # Commodity: each week an order with probability p; units ~ NegBin with mean rate / p.
    rate = np.clip(base, 1.5, 25.0)
    every = rng.choice([1, 2, 3, 4], size=P, p=[0.3, 0.35, 0.2, 0.15])
    every = np.maximum(every - (size[pc] > 1.6), 1)  # big clients order more often
    order_p = 1.0 / every
    c = ~tech
    # campaign_no_response: the pair buys as usual through every campaign (no uplift, no dip).
    deaf = sc == "campaign_no_response"
    camp = np.where(deaf[c, None], 1.0, campaign_mult[pf[c]])
    mean = rate[c, None] * season[None, :] * camp * mult[c] / order_p[c, None]
    qty = rng.negative_binomial(NB_DISPERSION, NB_DISPERSION / (NB_DISPERSION + mean))
    units[c] = np.where(rng.random(mean.shape) < order_p[c, None], qty, 0)

    # Technical: renewal process with log-normal gaps; seasonal thinning; silence after onset.
    gap_range = np.array([f.gap for f in FAMILIES], dtype=float)[pf]
    gap = np.exp(rng.uniform(np.log(gap_range[:, 0]), np.log(gap_range[:, 1])))
    per_purchase = np.clip(family_size[pf] * size[pc], 1.0, 12.0)
    silence = tech & (sc == "technical_silence")
    silent_weeks = np.minimum(np.maximum(10, np.ceil(2.5 * gap)) + rng.integers(0, 9, P), half)
    onset[silence] = W - silent_weeks[silence].astype(int)
    drop[silence] = 1.0
    # technical_pause: the last PAUSE_GAPS gaps lengthen by a factor, and the open gap at the
    # end is between the usual law's P75 and P90 (the early stage of a technical silence).
    # A pair whose history would not hold PAUSE_USUAL_GAPS usual gaps before it stays stable.
    pause = tech & (sc == "technical_pause")
    lengthening = np.where(pause, rng.uniform(*PAUSE_LENGTHENING, P), 0.0)
    pause_ratio = rng.uniform(*PAUSE_SILENCE, P)
    pause_weeks = np.maximum(np.round(gap * pause_ratio), 1).astype(int)
    too_long = pause & (gap * (PAUSE_USUAL_GAPS + PAUSE_GAPS * lengthening + pause_ratio) > W)
    scenario[too_long], sc[too_long], lengthening[too_long] = SCENARIOS.index("stable"), "stable", 0
    pause &= ~too_long
    ti = np.nonzero(tech)[0]
    if len(ti):
        steps = rng.lognormal(np.log(gap[ti])[:, None], GAP_SIGMA, (len(ti), W))
        times = rng.uniform(0, gap[ti])[:, None] + np.cumsum(np.maximum(steps, 1.0), axis=1)
        planted = np.zeros(times.shape, bool)
        for r in np.flatnonzero(pause[ti]):
            i = ti[r]
            tail = [W - 1 - pause_weeks[i]]  # the last purchase week, then backwards
            longer = rng.lognormal(np.log(gap[i] * lengthening[i]), GAP_SIGMA, PAUSE_GAPS)
            for g in longer:
                tail.insert(0, tail[0] - max(int(round(g)), 1))
            before = tail[0] - max(int(round(rng.lognormal(np.log(gap[i]), GAP_SIGMA))), 1)
            normal = times[r][times[r] < W]
            normal = normal - normal[-1] + before + 0.5 if normal.size else normal
            row_times = np.r_[normal[normal >= 0], np.array(tail) + 0.5]
            onset[i] = max(int(before), 0)
            times[r] = np.inf
            planted[r] = False
            times[r, : row_times.size] = row_times
            planted[r, row_times.size - len(tail) : row_times.size] = True
        row, k = np.nonzero(times < W)
        week = np.floor(times[row, k]).astype(int)
        pair = ti[row]
        keep = rng.random(len(pair)) < np.minimum(season[week], 1.0)
        keep |= planted[row, k]  # the planted pause is never thinned away
        keep &= week >= 0
        keep &= ~(silence[pair] & (week >= onset[pair]))
        pair, week = pair[keep], week[keep]
        lam = per_purchase[pair] * mult[pair, week]
        units[pair, week] = 1 + rng.poisson(np.maximum(lam - 1, 0))

    # Potentials: annual value at today's prices times a ratio; planted extremes.
    annual_units = np.where(tech, 52.0 / gap * per_purchase, 52.0 * rate)
    annual_value = annual_units * family_price[pf] * (1 - discount[pc])
    ratio = rng.uniform(1.1, 2.5, P)
    for planted, low, high in (("uncaptured_potential", 4, 10), ("unreliable_potential", 0.3, 0.6)):
        ratio[sc == planted] = rng.uniform(low, high, (sc == planted).sum())
    potential = np.round(annual_value * ratio, -1)

    # Cross-sell: a quarter of the families a client does not buy still carry a potential.
    xc, xf = np.nonzero(~buys & (rng.random((n_clients, F)) < 0.25))
    x_units = 52.0 * family_size[xf] * size[xc] / np.where(technical_family[xf], 8.0, 1.0)
    x_value = np.round(x_units * family_price[xf] * rng.uniform(0.5, 1.5, len(xc)), -1)

    params = []
    for i in range(P):
        p = {"kind": "technical" if tech[i] else "commodity", "client_size": round(size[pc[i]], 3)}
        if tech[i]:
            p.update(
                gap_median_weeks=round(gap[i], 2),
                gap_sigma=GAP_SIGMA,
                units_per_purchase=round(per_purchase[i], 2),
            )
        else:
            p.update(
                weekly_units=round(rate[i], 2),
                order_prob=round(order_p[i], 3),
                nb_dispersion=NB_DISPERSION,
            )
        if drop[i]:
            p["drop"] = round(drop[i], 3)
        if growth[i]:
            p["growth"] = round(growth[i], 3)
        if silence[i]:
            p["silent_weeks"] = int(silent_weeks[i])
        if pause[i]:
            p["lengthening"] = round(lengthening[i], 3)
            p["pause_weeks"] = int(pause_weeks[i])
        if deaf[i]:
            p["campaign_response"] = 0.0
        p["annual_value"] = round(annual_value[i], 2)
        p["potential_ratio"] = round(ratio[i], 3)
        params.append(p)
    params += [{"kind": FAMILIES[f].kind, "buys": False} for f in xf]

    orders, lines = _invoices(rng, pc, pf, units, discount, calendar, catalogue)
    return Chunk(
        client_name=name,
        client_postcode=postcode,
        client_province=province,
        client_territory=territory,
        pair_client=np.r_[pc, xc],
        pair_family=np.r_[pf, xf],
        pair_scenario=np.r_[scenario, np.full(len(xc), SCENARIOS.index("cross_sell"))],
        pair_onset=np.r_[onset, np.full(len(xc), -1)],
        pair_potential=np.r_[potential, x_value],
        pair_params=params,
        **orders,
        **lines,
    )


def _invoices(rng, pc, pf, units, discount, calendar, catalogue):
    """Turn the (pair, week) units matrix into invoices, credit notes and their lines."""
    W = calendar.weeks
    pair, week = np.nonzero(units)
    client, family, qty = pc[pair], pf[pair], units[pair, week]
    product = catalogue.pick(rng, family, week)
    inflation = (1 + PRICE_INFLATION) ** ((week - (W - 1)) / 52.0)
    price = catalogue.price[product] * inflation * (1 - discount[client])
    value = np.round(qty * price, 2)

    # Zero-unit price adjustments on the same invoice; partial returns on a Friday credit note.
    adj = rng.random(len(qty)) < ADJUSTMENT_RATE
    adj_value = np.round(-value[adj] * rng.uniform(0.03, 0.15, adj.sum()), 2)
    ret = rng.random(len(qty)) < RETURN_RATE
    ret_units = -(1 + rng.binomial(qty[ret] - 1, 0.3))
    ret_value = np.round(ret_units * price[ret], 2)

    # Lines: sales, adjustments, returns; grouped into one document per (client, week, kind).
    kind = np.r_[np.zeros(len(qty), int), np.ones(adj.sum(), int), np.full(ret.sum(), 2)]
    l_client = np.r_[client, client[adj], client[ret]]
    l_week = np.r_[week, week[adj], week[ret]]
    l_family = np.r_[family, family[adj], family[ret]]
    l_product = np.r_[product, product[adj], product[ret]]
    l_units = np.r_[qty, np.zeros(adj.sum(), int), ret_units]
    l_value = np.r_[value, adj_value, ret_value]
    credit = kind == 2
    order_sort = np.lexsort((kind, l_family, credit, l_week, l_client))
    key = np.stack([l_client, l_week, credit], axis=1)[order_sort]
    new = np.r_[True, (key[1:] != key[:-1]).any(axis=1)] if len(key) else np.zeros(0, bool)
    line_order = np.cumsum(new) - 1
    o_client, o_week, o_credit = key[new, 0], key[new, 1], key[new, 2].astype(bool)
    weekday = np.where(o_credit, 4, rng.integers(0, 4, len(o_client)))  # credit notes on Friday
    o_date = calendar.week_start[o_week] + weekday * DAY
    orders = {"order_client": o_client, "order_date": o_date, "order_credit": o_credit}
    lines = {
        "line_order": line_order,
        "line_number": _rank_within(line_order),
        "line_product": l_product[order_sort],
        "line_family": l_family[order_sort],
        "line_units": l_units[order_sort],
        "line_value": l_value[order_sort],
    }
    return orders, lines
