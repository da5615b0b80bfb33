"""Order lines -> one row of client features as of a date (RFM, behaviour, per-family recency).

``lines``: DataFrame with columns ``client`` (label), ``family`` (label), ``date``
(datetime64) and ``value`` (net euros, negative for returns); or a :class:`History` made
from one. An *order* is a client's positive-value purchases on one date. Only lines on or
before ``as_of`` are read.

Everything is computed with numpy on arrays sorted once (:class:`History`): per-client sums
and counts are ``np.bincount``, first/last per client are read at the group bounds of the
sorted arrays, medians come from one sort of (group, value) keys. A refit computes features
at a dozen replay dates; the sort and the de-duplication of orders happen once for all.
"""

import numpy as np
import pandas as pd

#: Columns of :func:`client_features`, in order.
COLUMNS = (
    "recency_days",  # days since the last order
    "frequency",  # orders (distinct dates) in the last 365 days
    "monetary",  # net value in the last 365 days (euros)
    "n_families",  # families bought in the last 365 days
    "median_gap_days",  # median days between the client's orders (last two years)
    "regularity",  # coefficient of variation of those gaps (0 = clockwork)
    "recency_ratio",  # recency / the client's own median gap
    "trend",  # log ratio of the last 26 weeks' value to the 26 weeks before
    "trend_13w",  # log ratio of the last 13 weeks' value to the mean 13 weeks of the year
    "orders_90d",  # orders in the last 90 days
    "family_overdue_max",  # max over families of recency / the family's own median gap
    "family_overdue_mean",  # mean of the same over the families bought in two years
    "families_silent",  # share of families silent for more than twice their usual gap
    "tenure_days",  # days since the first order
    "share_of_wallet",  # last-365-day value / stated annual potential (NaN when none)
)

#: Signals beside the order lines, per client as of a date (:class:`Signals`): the voice
#: engine's analyses and the client's response to campaigns. Appended after :data:`COLUMNS`.
SIGNAL_COLUMNS = (
    "sentiment_180d",  # mean polarity (-1..+1) of its visit notes analysed in 180 days (0: none)
    "complaints_90d",  # its texts (notes, survey comments) flagged as complaints in 90 days
    "nps_last",  # its latest NPS answer (0-10) in the last 365 days (NaN: none)
    "campaign_response",  # share of its campaigns (ended in 2 years) it bought more during
)
#: Days each signal looks back.
SENTIMENT_DAYS, COMPLAINT_DAYS, NPS_DAYS, CAMPAIGN_DAYS = 180, 90, 365, 730
#: Days before a campaign its purchases of the campaign's families are compared with.
CAMPAIGN_BEFORE_DAYS = 91
#: A signal's value for a client without the events (neutral: no note, no campaign).
SIGNAL_DEFAULT = {
    "sentiment_180d": 0.0,
    "complaints_90d": 0.0,
    "nps_last": np.nan,
    "campaign_response": 0.5,
}

#: Value of a feature for a client without the data to compute it (no order, one order...).
MISSING = {
    "recency_days": 3650.0,
    "tenure_days": 3650.0,
    "median_gap_days": 365.0,
    "regularity": 1.0,
    "family_overdue_max": 10.0,
    "family_overdue_mean": 10.0,
    "families_silent": 1.0,
}


def _day(as_of) -> int:
    """``as_of`` as days since 1970-01-01."""
    return int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))


def _bounds(groups, n):
    """(start, end) of each group 0..n-1 in the sorted group ids ``groups``."""
    edges = np.searchsorted(groups, np.arange(n + 1))
    return edges[:-1], edges[1:]


def _group_median(groups, x, n):
    """(n,) median of the non-negative integers ``x`` per group (NaN for an empty group)."""
    out = np.full(n, np.nan)
    if not len(x):
        return out
    width = int(x.max()) + 1
    key = np.sort(groups.astype(np.int64) * width + x.astype(np.int64))
    g, v = key // width, (key % width).astype(float)
    lo, hi = _bounds(g, n)
    cnt = hi - lo
    has = cnt > 0
    out[has] = (v[(lo + (cnt - 1) // 2)[has]] + v[(lo + cnt // 2)[has]]) / 2
    return out


def _runs(*keys):
    """True where a row of the sorted ``keys`` starts a new combination."""
    new = np.ones(len(keys[0]), bool)
    if len(new):
        new[1:] = False
        for k in keys:
            new[1:] |= k[1:] != k[:-1]
    return new


def _distinct(sorted_values):
    """The distinct values of a sorted array (np.unique without its sort or hash)."""
    return sorted_values[_runs(sorted_values)]


class History:
    """Order lines prepared for features at any date: clients and families coded, lines
    sorted by (client, family, day), the positive (client, family, day) purchases and the
    (client, day) orders de-duplicated. Client codes follow the sorted client labels."""

    def __init__(self, lines):
        ci, labels = pd.factorize(lines["client"], sort=True)
        fi, families = pd.factorize(lines["family"], sort=True)
        self.families = pd.Index(families)
        day = lines["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        value = lines["value"].to_numpy(dtype=float)
        self.labels = pd.Index(labels)
        self._set(ci.astype(np.int64), fi.astype(np.int64), day, value, sort=True)

    @classmethod
    def of(cls, lines):
        return lines if isinstance(lines, History) else cls(lines)

    def _set(self, ci, fi, day, value, sort):
        if sort and len(day):
            d0, span, nf = int(day.min()), int(day.max() - day.min()) + 1, int(fi.max()) + 1
            if len(self.labels) * nf * span < 2**62:
                key = (ci * nf + fi) * span + (day - d0)
                order = np.argsort(key, kind="stable") if (np.diff(key) < 0).any() else None
            else:
                order = np.lexsort((day, fi, ci))
            if order is not None:
                ci, fi, day, value = ci[order], fi[order], day[order], value[order]
        self.ci, self.fi, self.day, self.value = ci, fi, day, value
        pos = value > 0
        c, f, d = ci[pos], fi[pos], day[pos]
        new = _runs(c, f, d)
        #: Positive purchases: one row per (client, family, day), sorted.
        self.pc, self.pf, self.pd = c[new], f[new], d[new]
        # Orders: one row per (client, day), sorted by client then day.
        if len(self.pd):
            d0, width = int(self.pd.min()), int(self.pd.max() - self.pd.min()) + 1
            key = np.sort(self.pc * width + (self.pd - d0))
            key = key[_runs(key)]
            self.oc, self.od = key // width, key % width + d0
        else:
            self.oc = self.od = np.zeros(0, np.int64)

    def __len__(self):
        return len(self.day)

    def restrict(self, labels):
        """The history of the clients ``labels`` only (unknown labels ignored)."""
        keep = np.zeros(len(self.labels), bool)
        codes = self.labels.get_indexer(pd.Index(labels))
        keep[codes[codes >= 0]] = True
        new_code = np.cumsum(keep) - 1
        rows = keep[self.ci]
        out = History.__new__(History)
        out.labels = self.labels[keep]
        out.families = self.families
        out._set(new_code[self.ci[rows]], self.fi[rows], self.day[rows], self.value[rows], False)
        return out

    def clients(self, as_of=None):
        """Labels of the clients with a line on or before ``as_of`` (all without it)."""
        if as_of is None:
            return self.labels
        return self.labels[_distinct(self.ci[self.day <= _day(as_of)])]

    def active(self, as_of, days=365) -> pd.Index:
        """Clients with an order in the ``days`` up to ``as_of``."""
        t = _day(as_of)
        sel = (self.od <= t) & (self.od > t - days)
        return self.labels[_distinct(self.oc[sel])]

    def no_order_within(self, as_of, clients, days=90) -> np.ndarray:
        """(C,) bool: True where the client has no order in (as_of, as_of + days]."""
        t = _day(as_of)
        sel = (self.od > t) & (self.od <= t + days)
        bought = np.zeros(len(self.labels) + 1, bool)
        bought[self.oc[sel]] = True
        return ~bought[self.labels.get_indexer(pd.Index(clients))]

    def campaign_outcomes(self, campaigns, before_days=CAMPAIGN_BEFORE_DAYS) -> pd.DataFrame:
        """Per campaign and client that bought its families in the ``before_days`` before it:
        ``client`` (label), ``date`` (the campaign's last day) and ``rose`` (True when its net
        value of those families per day during the campaign beat the one before).

        ``campaigns``: (start, end, family labels; empty or None: every family) per campaign.
        Unknown family labels are ignored (a campaign of families nobody bought: no rows)."""
        frames, n = [], len(self.labels)
        for start, end, families in campaigns:
            s, e = _day(start), _day(end)
            w = np.flatnonzero((self.day >= s - before_days) & (self.day <= e))
            if families:
                codes = self.families.get_indexer(pd.Index(list(families)))
                w = w[np.isin(self.fi[w], codes[codes >= 0])]
            c, d, v = self.ci[w], self.day[w], self.value[w]
            during = d >= s
            before = np.bincount(c[~during], v[~during], minlength=n) / before_days
            rate = np.bincount(c[during], v[during], minlength=n) / max(e - s + 1, 1)
            exposed = np.flatnonzero(before > 0)
            frames.append(
                pd.DataFrame(
                    {
                        "client": self.labels[exposed],
                        "date": np.datetime64(pd.Timestamp(end).date(), "D"),
                        "rose": rate[exposed] > before[exposed] * (1 + 1e-9),
                    }
                )
            )
        if not frames:
            return pd.DataFrame({"client": [], "date": [], "rose": []})
        return pd.concat(frames, ignore_index=True)

    def features(self, as_of, clients=None, potential=None, signals=None) -> pd.DataFrame:
        """See :func:`client_features`."""
        t = _day(as_of)
        clients = self.clients(as_of) if clients is None else pd.Index(clients)
        n = len(self.labels) + 1  # the last code: a client without any line
        cols = {}

        # Orders up to as_of: recency, tenure, counts.
        m = self.od <= t
        oc, od = self.oc[m], self.od[m]
        lo, hi = _bounds(oc, n)
        has = hi > lo
        rec = np.full(n, MISSING["recency_days"])
        ten = np.full(n, MISSING["tenure_days"])
        rec[has] = t - od[hi[has] - 1]
        ten[has] = t - od[lo[has]]
        cols["recency_days"], cols["tenure_days"] = rec, ten
        cols["frequency"] = np.bincount(oc[od > t - 365], minlength=n).astype(float)
        cols["orders_90d"] = np.bincount(oc[od > t - 90], minlength=n).astype(float)

        # Gaps between successive orders over the last two years.
        two = od > t - 730
        c2, d2 = oc[two], od[two]
        same = c2[1:] == c2[:-1]
        gaps, gc = np.diff(d2)[same], c2[1:][same]
        cnt = np.bincount(gc, minlength=n)
        med = _group_median(gc, gaps, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.bincount(gc, gaps, minlength=n) / cnt
            var = np.bincount(gc, (gaps - mean[gc]) ** 2, minlength=n) / cnt
            cv = np.sqrt(var) / mean
        cols["median_gap_days"] = np.where(cnt > 0, med, MISSING["median_gap_days"])
        cols["regularity"] = np.where(cnt > 0, cv, MISSING["regularity"])
        cols["recency_ratio"] = rec / np.maximum(cols["median_gap_days"], 1.0)

        # Value: the last year, and windows for the trends (returns included).
        age = t - self.day
        ci, value = self.ci, self.value

        def window(lo_days, hi_days):
            w = (age >= lo_days) & (age < hi_days)
            return np.bincount(ci[w], value[w], minlength=n)

        monetary = window(0, 365)
        cols["monetary"] = monetary
        last26, prev26 = window(0, 182).clip(min=0), window(182, 364).clip(min=0)
        cols["trend"] = np.log1p(last26) - np.log1p(prev26)
        last13 = window(0, 91).clip(min=0)
        cols["trend_13w"] = np.log1p(last13) - np.log1p(monetary.clip(min=0) / 4.0)

        # Families bought in the last year; per-family recency against its own gap (2 years).
        p = (self.pd <= t) & (self.pd > t - 730)
        pc, pf, pd_ = self.pc[p], self.pf[p], self.pd[p]
        year = pd_ > t - 365
        yc, yf = pc[year], pf[year]
        cols["n_families"] = np.bincount(yc[_runs(yc, yf)], minlength=n).astype(float)
        new = _runs(pc, pf)
        gid = np.cumsum(new) - 1  # one group per (client, family), in client order
        n_groups = int(new.sum())
        last = np.flatnonzero(np.append(new[1:], True))
        g_client = pc[new]
        g_rec = (t - pd_[last]).astype(float)
        same = gid[1:] == gid[:-1]
        g_gap = _group_median(gid[1:][same], np.diff(pd_)[same], n_groups)
        fallback = np.maximum(np.nan_to_num(med[g_client], nan=365.0), 90.0)
        g_gap = np.where(np.isfinite(g_gap), g_gap, fallback)
        ratio = g_rec / np.maximum(g_gap, 7.0)
        n_fam = np.bincount(g_client, minlength=n)
        has = n_fam > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            r_mean = np.bincount(g_client, ratio, minlength=n) / n_fam
            silent = np.bincount(g_client, (ratio > 2.0).astype(float), minlength=n) / n_fam
        r_max = np.full(n, MISSING["family_overdue_max"])
        if n_groups:
            starts = np.flatnonzero(_runs(g_client))
            r_max[g_client[starts]] = np.maximum.reduceat(ratio, starts)
        cols["family_overdue_max"] = r_max
        cols["family_overdue_mean"] = np.where(has, r_mean, MISSING["family_overdue_mean"])
        cols["families_silent"] = np.where(has, silent, MISSING["families_silent"])

        codes = self.labels.get_indexer(clients)  # -1 (unknown): the last, empty code
        out = pd.DataFrame({c: cols[c][codes] for c in COLUMNS if c in cols}, index=clients)
        out.index.name = "client"
        if potential is not None:
            pot = pd.Series(potential).reindex(clients).astype(float).to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                out["share_of_wallet"] = np.where(pot > 0, out["monetary"].to_numpy() / pot, np.nan)
        else:
            out["share_of_wallet"] = np.nan
        sig = (signals or Signals()).features(as_of, clients)
        for c in SIGNAL_COLUMNS:
            out[c] = sig[c].to_numpy()
        return out[[*COLUMNS, *SIGNAL_COLUMNS]].astype(float)


def _events(frame, *columns):
    """``frame``'s client labels, days since 1970 and ``columns`` as arrays (empty: none)."""
    if frame is None or not len(frame):
        return (np.zeros(0, object), np.zeros(0, np.int64)) + tuple(np.zeros(0) for _ in columns)
    day = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    cols = tuple(frame[c].to_numpy(dtype=float) for c in columns)
    return (frame["client"].to_numpy(), day, *cols)


class Signals:
    """The per-client events behind :data:`SIGNAL_COLUMNS`, for features at any date. Only
    events dated on or before that date count (a snapshot never sees its future).

    ``notes``: DataFrame ``client``, ``date``, ``polarity`` (analysed visit notes);
    ``complaints``: ``client``, ``date`` (texts flagged as complaints); ``surveys``:
    ``client``, ``date``, ``nps`` (answers with a score); ``campaigns``: ``client``, ``date``
    (the campaign's last day), ``rose`` (:meth:`History.campaign_outcomes`). Any may be None.
    """

    def __init__(self, notes=None, complaints=None, surveys=None, campaigns=None):
        self.notes = _events(notes, "polarity")
        self.complaints = _events(complaints)
        self.surveys = _events(surveys, "nps")
        self.campaigns = _events(campaigns, "rose")

    def features(self, as_of, clients) -> pd.DataFrame:
        """(C, 4) the :data:`SIGNAL_COLUMNS` of ``clients`` (labels) as of ``as_of``."""
        t = _day(as_of)
        clients = pd.Index(clients)
        n = len(clients)

        def window(events, days):
            client, day = events[0], events[1]
            codes = clients.get_indexer(pd.Index(client)) if len(client) else np.zeros(0, int)
            sel = (day <= t) & (day > t - days) & (codes >= 0)
            return codes[sel], sel

        out = {}
        codes, sel = window(self.notes, SENTIMENT_DAYS)
        cnt = np.bincount(codes, minlength=n)
        total = np.bincount(codes, self.notes[2][sel], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["sentiment_180d"] = np.where(cnt > 0, total / cnt, SIGNAL_DEFAULT["sentiment_180d"])
        codes, _ = window(self.complaints, COMPLAINT_DAYS)
        out["complaints_90d"] = np.bincount(codes, minlength=n).astype(float)
        codes, sel = window(self.surveys, NPS_DAYS)
        nps = np.full(n, SIGNAL_DEFAULT["nps_last"])
        order = np.lexsort((self.surveys[1][sel], codes))  # per client, oldest first
        if len(order):
            order = order[np.append(codes[order][1:] != codes[order][:-1], True)]
        last = order  # per client, its latest answer
        nps[codes[last]] = self.surveys[2][sel][last]
        out["nps_last"] = nps
        codes, sel = window(self.campaigns, CAMPAIGN_DAYS)
        cnt = np.bincount(codes, minlength=n)
        rose = np.bincount(codes, self.campaigns[2][sel], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["campaign_response"] = np.where(
                cnt > 0, rose / cnt, SIGNAL_DEFAULT["campaign_response"]
            )
        return pd.DataFrame(out, index=clients)[list(SIGNAL_COLUMNS)]


def client_features(lines, as_of, clients=None, potential=None, signals=None) -> pd.DataFrame:
    """The features of :data:`COLUMNS` and :data:`SIGNAL_COLUMNS` per client as of ``as_of``
    (index: client label).

    ``clients``: the labels to return (default: every client with a line by ``as_of``, in
    label order); a client without orders gets recency and tenure of 10 years and zeros.
    ``potential``: Series of stated annual potential per client (euros), optional.
    ``signals``: a :class:`Signals` (voice and campaigns); without it the signals are neutral.
    """
    return History.of(lines).features(as_of, clients, potential, signals)


def no_order_within(lines, as_of, clients, days=90) -> np.ndarray:
    """(C,) bool: True where the client has no positive-value line in (as_of, as_of + days]."""
    return History.of(lines).no_order_within(as_of, clients, days)


def active_clients(lines, as_of, days=365) -> pd.Index:
    """Clients with a positive-value line in the ``days`` up to ``as_of`` (in label order)."""
    return History.of(lines).active(as_of, days)
