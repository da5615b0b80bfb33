"""Read the crm records the propensity model learns from (orders, potentials, campaigns,
clients) into a :class:`~recommender.propensity.stats.History`, and read back stored scores."""

from dataclasses import dataclass

import numpy as np
from django.db.models import Sum

from crm.models import Campaign, Client, OrderLine, Potential, ProductFamily

from .stats import History


@dataclass
class Loaded:
    """A History plus the mapping from its indices to the crm ids."""

    history: History
    client_ids: np.ndarray  # index -> Client.pk
    family_ids: np.ndarray  # index -> ProductFamily.pk
    rep_ids: np.ndarray  # rep code -> User.pk (0 none)

    def client_index(self):
        return {int(pk): i for i, pk in enumerate(self.client_ids)}

    def family_index(self):
        return {int(pk): i for i, pk in enumerate(self.family_ids)}


def load_history(as_of=None) -> Loaded:
    """Every client-family-day purchase total (up to ``as_of`` included, when given), the stated
    potentials, campaigns, territories, reps and product lines.

    Returns (credit notes) count with their negative value; a day whose net value is not
    positive is not a purchase. There is no client segment in crm, so the segment is unknown.
    """
    clients = list(Client.objects.order_by("pk").values_list("pk", "territory_id", "rep_id"))
    families = list(ProductFamily.objects.order_by("pk").values_list("pk", "line_id"))
    cid = np.array([c[0] for c in clients], dtype=np.int64)
    fid = np.array([f[0] for f in families], dtype=np.int64)
    c_at = {int(pk): i for i, pk in enumerate(cid)}
    f_at = {int(pk): i for i, pk in enumerate(fid)}
    lines = OrderLine.objects.all()
    if as_of is not None:
        lines = lines.filter(date__lte=as_of)
    rows = list(
        lines.values("client_id", "family_id", "date")
        .annotate(value=Sum("net_value"))
        .order_by()
        .values_list("client_id", "family_id", "date", "value")
    )
    rows = [r for r in rows if r[3] is not None and r[3] > 0]
    pots = np.full((len(cid), len(fid)), np.nan)
    stated = Potential.objects.exclude(source=Potential.FORECAST_SOURCE)  # not the forecast's
    for c, f, v in stated.values_list("client_id", "family_id", "annual_potential"):
        if c in c_at and f in f_at and v is not None and v > 0:
            pots[c_at[c], f_at[f]] = float(v)
    territory_codes = {t: i for i, t in enumerate(sorted({c[1] for c in clients if c[1]}))}
    rep_list = sorted({c[2] for c in clients if c[2]})
    rep_codes = {r: i for i, r in enumerate(rep_list)}
    line_codes = {ln: i for i, ln in enumerate(sorted({f[1] for f in families if f[1]}))}
    n_lines = len(line_codes)
    camp_f, camp_s, camp_e = [], [], []
    for camp in Campaign.objects.prefetch_related("families"):
        fams = [f.pk for f in camp.families.all()] or list(fid)
        for f in fams:
            if f in f_at:
                camp_f.append(f_at[f])
                camp_s.append(camp.start)
                camp_e.append(camp.end)
    history = History(
        client=np.array([c_at[r[0]] for r in rows], dtype=np.int64),
        family=np.array([f_at[r[1]] for r in rows], dtype=np.int64),
        day=np.array([r[2] for r in rows], dtype="datetime64[D]"),
        euros=np.array([float(r[3]) for r in rows]),
        n_clients=len(cid),
        n_families=len(fid),
        potential=pots,
        territory=np.array([territory_codes.get(c[1], -1) for c in clients]),
        rep=np.array([rep_codes.get(c[2], -1) for c in clients]),
        # A family without a line is a line of its own.
        line=np.array([line_codes[f[1]] if f[1] else n_lines + i for i, f in enumerate(families)]),
        campaign_family=np.array(camp_f, dtype=np.int64),
        campaign_start=np.array(camp_s, dtype="datetime64[D]"),
        campaign_end=np.array(camp_e, dtype="datetime64[D]"),
    )
    return Loaded(history, cid, fid, np.array(rep_list or [0]))
