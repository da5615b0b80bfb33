"""Candidate pairs, their features as of a date, their labels, and the replay of past dates.

A *candidate* as of ``T`` is a (client, family) pair where the client bought something in the
year before ``T`` but nothing of that family: the family is new to it, or lapsed for a year.
Its *label* is 1 when the client buys the family in ``[T, T + horizon)``. Features use only the
purchases strictly before ``T`` (and the campaigns that started before ``T``), so replaying past
dates yields labelled examples without leakage.
"""

from dataclasses import dataclass

import numpy as np

from .history import History

HORIZON_WEEKS = 26
YEAR = np.timedelta64(364, "D")
QUARTER = np.timedelta64(91, "D")
#: Replayed as-of dates are this many weeks apart.
STEP_WEEKS = 13
#: The co-occurrence statistics need this many buyers of the owned family to be shown as reasons.
MIN_SUPPORT = 5

#: Names of the numeric features, in column order (before the one-hot blocks).
NUMERIC = (
    "co_mean",  # mean over owned families g of P(f | g) across all clients
    "co_max",  # max over owned g of P(f | g)
    "co_lift",  # that P(f | g) over P(f)
    "base_rate",  # share of active clients buying f
    "best_recency_w",  # weeks since the last purchase of the best owned family g
    "best_freq",  # weeks with a purchase of g in the last year
    "best_log_euros",  # log1p euros of g in the last year
    "n_families",  # families bought in the last year
    "n_lines",  # product lines bought in the last year
    "same_line",  # the client buys another family of f's line
    "log_euros",  # log1p euros, all families, last year
    "freq",  # weeks with a purchase, last year
    "recency_w",  # weeks since the last purchase of anything
    "tenure_w",  # weeks since the first purchase
    "trend",  # euros of the last quarter over a quarter of the last year
    "log_potential",  # log1p stated potential of f (0 when none)
    "has_potential",
    "wallet_share",  # euros of owned families over their stated potential (-1 unknown)
    "lapsed",  # bought f before, but not in the last year
    "campaign_responses",  # campaigns the client bought into (their family, during them)
    "campaign_on_f",  # f was promoted in the last quarter
    "campaign_weeks_f",  # weeks f was promoted in the half year before T
    "co_lift_max",  # max over owned g of the lift P(f | g) / P(f)
    "co_loglift_sum",  # sum over owned g of log lift(g, f) (each clipped to [-2, 2])
    "start_rate",  # log share of past candidates for f that started it (windows before T)
    "start_lift_sum",  # sum over owned g of log(start rate of f among owners of g / overall)
    "start_segment",  # log(start rate of f in the client's segment / overall)
    "log_size",  # log of the client's typical line value over the family's typical one
    "potential_ratio",  # log stated potential of f over the client's yearly euros (0 none)
    "recency_gap",  # weeks since the last purchase over the client's usual gap between weeks
)
#: Past origins of the start rates: this many weeks before T (their windows end by T).
START_ORIGINS_WEEKS = (26, 39, 52)
#: Pseudo-counts of the start rates' smoothing towards the overall rate.
START_PRIOR = 20.0


@dataclass
class Snapshot:
    """The candidates as of ``as_of``: pairs, features, and what the reasons need."""

    as_of: np.datetime64
    client: np.ndarray  # (P,)
    family: np.ndarray  # (P,)
    X: np.ndarray  # (P, d) float
    names: list
    best_family: np.ndarray  # (P,) the owned family g behind co_max (-1 none)
    cond: np.ndarray  # (F, F) P(f | g) as cond[g, f]
    n_buyers: np.ndarray  # (F,) active buyers of each family
    first_year_value: np.ndarray  # (F,) typical first-year euros of a new buyer

    def column(self, name):
        return self.X[:, self.names.index(name)]

    def __len__(self):
        return len(self.client)


def _dt(as_of):
    return np.datetime64(as_of, "D")


def _per_pair(h, mask, weights, C, F):
    """(C, F) sums of ``weights`` over the purchases in ``mask``."""
    out = np.zeros(C * F)
    np.add.at(out, h.client[mask] * F + h.family[mask], weights)
    return out.reshape(C, F)


def cooccurrence(bought):
    """``cond[g, f]`` = P(buys f | buys g) over all clients, and the buyers per family."""
    b = bought.astype(float)
    co = b.T @ b
    n = np.diag(co).copy()
    cond = np.where(n[:, None] > 0, co / np.maximum(n[:, None], 1), 0.0)
    return cond, n


def first_year_value(h: History, as_of):
    """Typical euros a new buyer of each family spends in its first year, from the clients who
    started it (first purchase at least a year before ``as_of``, after a year of buying other
    things); the median annual spend of the family's buyers where fewer than 5 started it."""
    T = _dt(as_of)
    C, F = h.n_clients, h.n_families
    past = h.day < T
    out = np.zeros(F)
    if not past.any():
        return out
    first = np.full(C * F, np.datetime64("NaT"), dtype="datetime64[D]")
    key = h.client[past] * F + h.family[past]
    order = np.lexsort((h.day[past], key))
    k, d = key[order], h.day[past][order]
    start = np.r_[True, k[1:] != k[:-1]]
    first[k[start]] = d[start]
    first = first.reshape(C, F)
    client_first = np.nanmin(np.where(np.isnat(first), np.datetime64("2999-01-01"), first), axis=1)
    starter = ~np.isnat(first) & (first - client_first[:, None] >= YEAR) & (first + YEAR <= T)
    within = (
        past & (h.day >= first[h.client, h.family]) & (h.day < first[h.client, h.family] + YEAR)
    )
    spend_first = _per_pair(h, within, h.euros[within], C, F)
    last_year = past & (h.day >= T - YEAR)
    spend_year = _per_pair(h, last_year, h.euros[last_year], C, F)
    for f in range(F):
        s = spend_first[starter[:, f], f]
        if s.size >= 5:
            out[f] = float(np.median(s))
        else:
            y = spend_year[spend_year[:, f] > 0, f]
            out[f] = float(np.median(y)) if y.size else 0.0
    return out


def _bought(h, start, end):
    """(C, F) bool: the client bought the family in ``[start, end)``."""
    m = (h.day >= start) & (h.day < end)
    out = np.zeros(h.n_clients * h.n_families, bool)
    out[h.client[m] * h.n_families + h.family[m]] = True
    return out.reshape(h.n_clients, h.n_families)


def start_rates(
    h: History, as_of, origins=START_ORIGINS_WEEKS, horizon_weeks=HORIZON_WEEKS, prior=START_PRIOR
):
    """How often candidates started each family in the past, from the purchases before ``as_of``.

    For each past origin ``T0 = as_of - k weeks`` (``k`` in ``origins``) whose label window
    ``[T0, T0 + horizon)`` ends by ``as_of``, the candidates as of ``T0`` and whether they bought
    the family in the window (the labels of a replay, all known at ``as_of``). Returns
    ``(rate, lift, segment_lift)``: ``rate`` (F,) the share that started (smoothed by half a
    start), ``lift[g, f]`` the log ratio of the start rate of f among owners of g to ``rate``,
    ``segment_lift[s, f]`` the same among clients of segment s; each rate is pulled towards
    ``rate`` by ``prior`` pseudo-candidates, so a small group gives a log ratio near 0."""
    T = _dt(as_of)
    C, F = h.n_clients, h.n_families
    n_seg = int(h.segment.max()) + 1 if C and h.segment.max() >= 0 else 0
    n_cand, n_start = np.zeros(F), np.zeros(F)
    own_cand, own_start = np.zeros((F, F)), np.zeros((F, F))
    seg_cand, seg_start = np.zeros((n_seg, F)), np.zeros((n_seg, F))
    seg_hot = (h.segment[:, None] == np.arange(n_seg)[None, :]).astype(float)  # (C, S)
    for k in origins:
        T0 = T - np.timedelta64(7 * k, "D")
        end = T0 + np.timedelta64(7 * horizon_weeks, "D")
        if end > T:
            continue
        owned0 = _bought(h, T0 - YEAR, T0)
        cand = owned0.any(1)[:, None] & ~owned0
        if not cand.any():
            continue
        started = cand & _bought(h, T0, end)
        n_cand += cand.sum(0)
        n_start += started.sum(0)
        own_cand += owned0.T.astype(float) @ cand
        own_start += owned0.T.astype(float) @ started
        seg_cand += seg_hot.T @ cand
        seg_start += seg_hot.T @ started
    rate = (n_start + 0.5) / (n_cand + 1.0)
    lift = np.log((own_start + prior * rate[None, :]) / (own_cand + prior) / rate[None, :])
    seg_lift = np.log((seg_start + prior * rate[None, :]) / (seg_cand + prior) / rate[None, :])
    return rate, lift, seg_lift


def size_index(h: History, mask):
    """Per client, the mean log of its purchases' euros over the median euros of a purchase of
    the same family (all clients, purchases in ``mask``): how big the client's orders are
    against everybody's (0 without purchases)."""
    C, F = h.n_clients, h.n_families
    out = np.zeros(C)
    if not mask.any():
        return out
    fam, eur = h.family[mask], np.maximum(h.euros[mask], 0.01)
    med = np.ones(F)
    for f in np.unique(fam):
        med[f] = np.median(eur[fam == f])
    ratio = np.log(eur / med[fam])
    n = np.bincount(h.client[mask], minlength=C)
    out = np.bincount(h.client[mask], weights=ratio, minlength=C) / np.maximum(n, 1)
    return out


def campaign_weeks(h: History, as_of, weeks=HORIZON_WEEKS):
    """(F,) weeks each family was promoted in the ``weeks`` before ``as_of`` (campaigns that
    started before it; a campaign still running counts up to ``as_of``)."""
    T = _dt(as_of)
    start = T - np.timedelta64(7 * weeks, "D")
    out = np.zeros(h.n_families)
    lo = np.maximum(h.campaign_start, start)
    hi = np.minimum(h.campaign_end + 1, T)  # the end day is a campaign day
    days = np.maximum((hi - lo).astype(np.int64), 0)
    ok = h.campaign_start < T
    np.add.at(out, h.campaign_family[ok], days[ok] / 7.0)
    return out


def snapshot(h: History, as_of, clients=None) -> Snapshot:
    """Candidate pairs as of ``as_of`` with their features (purchases strictly before it).

    ``clients`` (optional index array) limits the candidates to those clients; the family
    statistics (co-occurrence, base rates) always use every client."""
    T = _dt(as_of)
    C, F = h.n_clients, h.n_families
    past = h.day < T
    year = past & (h.day >= T - YEAR)
    quarter = past & (h.day >= T - QUARTER)
    euros_y = _per_pair(h, year, h.euros[year], C, F)
    week = (T - h.day).astype(np.int64) // 7  # weeks before T (0 = the last week)
    # Distinct purchase weeks per pair in the last year.
    wk_key = np.unique((h.client[year] * F + h.family[year]) * 60 + week[year])
    freq_pf = np.bincount(wk_key // 60, minlength=C * F).reshape(C, F).astype(float)
    cw = np.unique(h.client[year] * 60 + week[year])
    freq_c = np.bincount(cw // 60, minlength=C).astype(float)
    recency_pf = np.full(C * F, 999.0)
    np.minimum.at(recency_pf, h.client[past] * F + h.family[past], week[past].astype(float))
    recency_pf = recency_pf.reshape(C, F)
    ever = recency_pf < 999
    owned = _per_pair(h, year, 1.0, C, F) > 0
    active = owned.any(1)
    tenure = np.zeros(C)
    np.maximum.at(tenure, h.client[past], week[past].astype(float))
    euros_q = _per_pair(h, quarter, h.euros[quarter], C, F).sum(1)

    cond, n_buyers = cooccurrence(owned[active])
    n_active = max(int(active.sum()), 1)
    base = n_buyers / n_active
    n_own = owned.sum(1)
    co_mean = (owned @ cond) / np.maximum(n_own, 1)[:, None]
    # Best owned g for each (c, f): the largest P(f | g) among owned g with enough buyers.
    supported = cond * (n_buyers[:, None] >= MIN_SUPPORT)
    masked = np.where(owned[:, :, None], supported[None, :, :], -1.0)  # (C, G, F)
    best = masked.argmax(1)  # (C, F)
    co_max = np.maximum(np.take_along_axis(masked, best[:, None, :], 1)[:, 0, :], 0.0)
    best = np.where(owned.any(1)[:, None], best, -1)
    lift = np.where(base[None, :] > 0, co_max / np.maximum(base[None, :], 1e-9), 0.0)

    cand = active[:, None] & ~owned
    if clients is not None:
        keep = np.zeros(C, bool)
        keep[np.asarray(clients, dtype=np.int64)] = True
        cand &= keep[:, None]
    pc, pf = np.nonzero(cand)
    bg = best[pc, pf]
    safe_g = np.maximum(bg, 0)
    has_g = bg >= 0

    lines = np.zeros((C, int(h.line.max()) + 1 if F else 1), bool)
    oc, of = np.nonzero(owned)
    lines[oc, h.line[of]] = True
    same_line_n = owned.astype(int) @ (h.line[:, None] == h.line[None, :]).astype(int)

    pot = np.nan_to_num(h.potential, nan=0.0)
    pot_owned = np.where(owned, pot, 0.0).sum(1)
    wallet = np.where(pot_owned > 0, euros_y.sum(1) / np.maximum(pot_owned, 1e-9), -1.0)
    tot_y = euros_y.sum(1)
    trend = np.where(tot_y > 0, euros_q / np.maximum(tot_y / 4, 1e-9), 0.0)

    responses, promoted = _campaigns(h, T, past)

    # Lift of f among the buyers of each g (co-occurrence) and among past starters.
    lift_gf = np.where(
        (n_buyers[:, None] >= MIN_SUPPORT) & (base[None, :] > 0),
        cond / np.maximum(base[None, :], 1e-9),
        1.0,
    )
    np.fill_diagonal(lift_gf, 1.0)
    loglift = np.clip(np.log(np.maximum(lift_gf, 1e-9)), -2.0, 2.0)
    co_loglift_sum = owned.astype(float) @ loglift
    co_lift_max = np.where(owned[:, :, None], lift_gf[None, :, :], 0.0).max(1)
    rate, start_lift, seg_lift = start_rates(h, T)
    start_lift_sum = owned.astype(float) @ start_lift
    seg = np.maximum(h.segment, 0)
    start_seg = np.zeros((C, F))
    if len(seg_lift):
        start_seg = np.where(
            h.segment[:, None] >= 0, seg_lift[np.minimum(seg, len(seg_lift) - 1)], 0.0
        )
    log_size = size_index(h, year)
    camp_weeks = campaign_weeks(h, T)
    pot_ratio = np.where(pot > 0, np.log(np.maximum(pot, 1.0)) - np.log1p(tot_y)[:, None], 0.0)
    rec_c = np.minimum(recency_pf.min(1), 260)
    recency_gap = np.minimum(rec_c * np.maximum(freq_c, 1.0) / 52.0, 52.0)

    num = (
        np.column_stack(
            [
                co_mean[pc, pf],
                co_max[pc, pf],
                lift[pc, pf],
                base[pf],
                np.where(has_g, np.minimum(recency_pf[pc, safe_g], 260), 260.0),
                np.where(has_g, freq_pf[pc, safe_g], 0.0),
                np.where(has_g, np.log1p(euros_y[pc, safe_g]), 0.0),
                n_own[pc].astype(float),
                lines[pc].sum(1).astype(float),
                (same_line_n[pc, pf] > 0).astype(float),
                np.log1p(tot_y[pc]),
                freq_c[pc],
                np.minimum(recency_pf[pc].min(1), 260),
                tenure[pc],
                trend[pc],
                np.log1p(pot[pc, pf]),
                (pot[pc, pf] > 0).astype(float),
                wallet[pc],
                ever[pc, pf].astype(float),
                responses[pc],
                promoted[pf],
                camp_weeks[pf],
                co_lift_max[pc, pf],
                co_loglift_sum[pc, pf],
                np.log(rate[pf]),
                start_lift_sum[pc, pf],
                start_seg[pc, pf],
                log_size[pc],
                pot_ratio[pc, pf],
                recency_gap[pc],
            ]
        )
        if len(pc)
        else np.zeros((0, len(NUMERIC)))
    )
    fam_hot = np.zeros((len(pc), F))
    fam_hot[np.arange(len(pc)), pf] = 1.0
    own_hot = owned[pc].astype(float)
    blocks = [num, fam_hot, own_hot]
    names = [*NUMERIC, *(f"family_{f}" for f in range(F)), *(f"owns_{f}" for f in range(F))]
    for attr in ("territory", "segment"):
        codes = getattr(h, attr)
        levels = np.unique(codes[codes >= 0])[:20]
        hot = (codes[pc][:, None] == levels[None, :]).astype(float)
        blocks.append(hot)
        names += [f"{attr}_{v}" for v in levels]
    X = np.column_stack(blocks) if len(pc) else np.zeros((0, len(names)))
    return Snapshot(
        as_of=T,
        client=pc,
        family=pf,
        X=X.astype(float),
        names=names,
        best_family=np.where(has_g, bg, -1),
        cond=cond,
        n_buyers=n_buyers,
        first_year_value=first_year_value(h, T),
    )


def _campaigns(h, T, past):
    """Per client: campaigns it bought into before ``T``; per family: promoted in the last
    quarter before ``T``."""
    C, F = h.n_clients, h.n_families
    responses = np.zeros(C)
    promoted = np.zeros(F)
    done = (h.campaign_end < T) & (h.campaign_start < T)
    for f, s, e in zip(
        h.campaign_family[done], h.campaign_start[done], h.campaign_end[done], strict=True
    ):
        inside = past & (h.family == f) & (h.day >= s) & (h.day <= e)
        responses[np.unique(h.client[inside])] += 1
    recent = (h.campaign_start < T) & (h.campaign_start >= T - QUARTER)
    promoted[np.unique(h.campaign_family[recent])] = 1.0
    return responses, promoted


def labels(h: History, snap: Snapshot, horizon_weeks=HORIZON_WEEKS):
    """1 where the client bought the pair's family in ``[as_of, as_of + horizon)``."""
    T = snap.as_of
    end = T + np.timedelta64(7 * horizon_weeks, "D")
    F = h.n_families
    inside = (h.day >= T) & (h.day < end)
    hit = np.zeros(h.n_clients * F, bool)
    hit[h.client[inside] * F + h.family[inside]] = True
    return hit[snap.client * F + snap.family].astype(int)


def replay_dates(h: History, until, horizon_weeks=HORIZON_WEEKS, step_weeks=STEP_WEEKS):
    """Past as-of dates, every ``step_weeks`` back from ``until - horizon``, each with a full
    label window before ``until`` and at least a year of history before it."""
    if h.first_day is None:
        return []
    until = _dt(until)
    last = until - np.timedelta64(7 * horizon_weeks, "D")
    first = h.first_day + YEAR
    out = []
    t = last
    while t >= first:
        out.append(t)
        t = t - np.timedelta64(7 * step_weeks, "D")
    return out[::-1]


def replay(h: History, dates, horizon_weeks=HORIZON_WEEKS):
    """Stack the labelled snapshots of ``dates``: ``(X, y, group, snapshots)`` where ``group``
    is the index of each row's date."""
    snaps = [snapshot(h, t) for t in dates]
    snaps = [s for s in snaps if len(s)]
    if not snaps:
        return np.zeros((0, 0)), np.zeros(0, int), np.zeros(0, int), []
    X = np.vstack([s.X for s in snaps])
    y = np.concatenate([labels(h, s, horizon_weeks) for s in snaps])
    g = np.concatenate([np.full(len(s), i) for i, s in enumerate(snaps)])
    return X, y, g, snaps
