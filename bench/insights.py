"""bench_insights: the client churn-risk model and the segmentation on the demo generator.

The demo's planted truth is per (client, family) pair and no demo client ever goes 90 days
without an order, so P(no order in 90 days) has no event to learn from there. The benchmark
therefore plants whole-client churn on top of the generated order lines (documented in
docs/insights.md): a share of clients stops buying altogether at an onset week, most after a
few weeks of thinning orders, some abruptly. The pair-level planted churn stays as a confounder.
"""

import os
import time

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from insights.stats import churn as C
from insights.stats import features as F
from insights.stats import segments as S
from seeds import generator as gen
from twins.stats.api import score_pairs
from twins.stats.batch import batch_from_orders

HISTORY_WEEKS = 104  # the twins' scoring window


def demo_lines(clients, weeks, seed, end):
    """The demo generator's order lines as a DataFrame (client, family, date, units, value)."""
    cal = gen.Calendar.ending(pd.Timestamp(end).date(), weeks)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    catalogue = gen.Catalogue.build(cal)
    _, mult = gen.plan_campaigns(rng, cal)
    frames = []
    for number, first in enumerate(range(0, clients, gen.CHUNK)):
        crng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, number)))
        ch = gen.generate_chunk(crng, min(gen.CHUNK, clients - first), cal, catalogue, mult)
        frames.append(
            pd.DataFrame(
                {
                    "client": ch.order_client[ch.line_order] + first,
                    "family": ch.line_family,
                    "date": ch.order_date[ch.line_order].astype("datetime64[ns]"),
                    "units": ch.line_units.astype(float),
                    "value": ch.line_value,
                }
            )
        )
    return pd.concat(frames, ignore_index=True), cal


def demo_campaigns(weeks, seed, end):
    """The demo generator's campaigns of :func:`demo_lines` (same seed): (start, end, family
    indices) each, for :meth:`insights.stats.features.History.campaign_outcomes`."""
    cal = gen.Calendar.ending(pd.Timestamp(end).date(), weeks)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    plans, _ = gen.plan_campaigns(rng, cal)
    return [(p.start, p.end, p.families) for p in plans]


def demo_signals(lines, weeks, seed, end, history=None):
    """The signals of the generated world: campaign response only (the generator writes no
    visit notes or surveys, so sentiment, complaints and NPS stay neutral)."""
    history = history if history is not None else F.History(lines)
    campaigns = history.campaign_outcomes(demo_campaigns(weeks, seed, end))
    return F.Signals(campaigns=campaigns)


def plant_client_churn(lines, end, seed, share=0.15, first_day=300, gradual=0.7):
    """Make ``share`` of the clients stop buying at an onset (uniform from ``first_day`` after
    the first line to the end); ``gradual`` of them thin out first (each line kept with a
    probability falling from 1 to 0.25 over 6-16 weeks). Returns (lines, onset per client, NaT
    for the others)."""
    rng = np.random.default_rng(seed + 1000)
    clients = np.unique(lines["client"])
    start = lines["date"].min() + pd.Timedelta(days=first_day)
    span = (pd.Timestamp(end) - start).days
    churner = rng.random(len(clients)) < share
    onset = pd.Series(pd.NaT, index=clients, dtype="datetime64[ns]")
    days = rng.integers(0, span, churner.sum())
    onset[churner] = (start + pd.to_timedelta(days, unit="D")).to_numpy()
    ramp = pd.Series(0.0, index=clients)
    ramp[churner] = np.where(
        rng.random(churner.sum()) < gradual, rng.integers(6, 17, churner.sum()) * 7.0, 0.0
    )
    o = onset.reindex(lines["client"]).to_numpy()
    r = ramp.reindex(lines["client"]).to_numpy()
    before = (o - lines["date"].to_numpy()) / np.timedelta64(1, "D")  # days before onset
    keep = np.ones(len(lines), bool)
    has = ~np.isnat(o)
    keep[has & (before <= 0)] = False
    in_ramp = has & (before > 0) & (before < r)
    p_keep = 0.25 + 0.75 * before[in_ramp] / np.maximum(r[in_ramp], 1)
    keep[np.flatnonzero(in_ramp)[rng.random(in_ramp.sum()) > p_keep]] = False
    return lines.loc[keep].reset_index(drop=True), onset


def twins_p_active(lines, as_of, technical):
    """Per client: min and mean of the twins' p_active over its families (twins.stats)."""
    d = lines.loc[lines["date"] <= pd.Timestamp(as_of)]
    pairs = batch_from_orders(
        d.assign(value=d["value"]),
        pd.Timestamp(as_of),
        HISTORY_WEEKS,
        families=np.arange(len(technical)),
        technical=technical,
        sort=True,
    )
    scores = score_pairs(pairs.batch, horizon=8)
    frame = pd.DataFrame({"client": pairs.pair_client, "p": scores.p_active})
    g = frame.groupby("client")["p"]
    return pd.DataFrame({"twins_p_min": g.min(), "twins_p_mean": g.mean(), "twins_p_max": g.max()})


def _metrics(y, p):
    y = np.asarray(y, bool)
    return {
        "auc": roc_auc_score(y, p) if 0 < y.sum() < len(y) else float("nan"),
        "brier": float(np.mean((np.asarray(p) - y) ** 2)),
        "recall@p0.7": C.recall_at_precision(y, p, 0.7),
    }


def run(clients=1000, weeks=156, seed=7, end="2026-11-22", test_weeks=12, out=print, twins=True):
    t0 = time.perf_counter()
    raw, cal = demo_lines(clients, weeks, seed, end)
    lines, onset = plant_client_churn(raw, end, seed)
    technical = np.array([f.kind == "technical" for f in gen.FAMILIES])
    end_ts = pd.Timestamp(cal.end)
    out(
        f"demo: {clients} clients, {weeks} weeks to {cal.end}, {len(lines):,} lines; "
        f"{int(onset.notna().sum())} clients with a planted whole-client churn "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    # Time split: test snapshots weekly over the last `test_weeks` weeks whose 90-day outcome
    # is known; training snapshots every 4 weeks, their outcome known before the first test date.
    test_last = end_ts - pd.Timedelta(days=C.HORIZON_DAYS)
    test_dates = [test_last - pd.Timedelta(weeks=i) for i in range(test_weeks - 1, -1, -1)]
    train_dates = C.snapshot_dates(test_dates[0], n=14, step_days=28)
    extra = (lambda t, cl: twins_p_active(lines, t, technical).reindex(cl)) if twins else None

    tick = time.perf_counter()
    signals = demo_signals(lines, weeks, seed, end)
    t_sig = time.perf_counter() - tick
    tick = time.perf_counter()
    Xtr, ytr = C.training_frame(lines, train_dates, extra, signals=signals)
    Xte, yte = C.training_frame(lines, test_dates, extra, signals=signals)
    t_feat = time.perf_counter() - tick
    neutral = (Xte["campaign_response"] == F.SIGNAL_DEFAULT["campaign_response"]).mean()
    out(
        f"signals: {len(signals.campaigns[0]):,} client-campaign outcomes ({t_sig:.1f} s); "
        f"test rows with no campaign to judge: {neutral:.1%}; no notes or surveys in this "
        f"world (sentiment 0, complaints 0, NPS missing for every row: "
        f"{bool((Xte['sentiment_180d'] == 0).all() and (Xte['complaints_90d'] == 0).all())})"
    )
    out(
        f"train: {len(Xtr):,} client-snapshots ({int(ytr.sum())} left), {train_dates[0].date()}"
        f" to {train_dates[-1].date()}; test: {len(Xte):,} ({int(yte.sum())} left), "
        f"{test_dates[0].date()} to {test_dates[-1].date()} (features {t_feat:.1f} s)"
    )
    tick = time.perf_counter()
    model = C.fit(Xtr, ytr)
    t_fit = time.perf_counter() - tick
    rows = {"insights model (orders + signals)": model.predict(Xte)}
    orders_only = tuple(c for c in C.CHURN_FEATURES if c not in F.SIGNAL_COLUMNS)
    rows["insights model (orders only)"] = C.fit(Xtr, ytr, columns=orders_only).predict(Xte)
    if twins:
        cols = (*orders_only, "twins_p_min", "twins_p_mean")
        model_tw = C.fit(Xtr, ytr, columns=cols)
        rows["insights model + twins p_active"] = model_tw.predict(Xte)
        rows["twins p_active alone (1 - max)"] = 1 - Xte["twins_p_max"].fillna(0).to_numpy()
        rows["twins p_active alone (1 - mean)"] = 1 - Xte["twins_p_mean"].fillna(0).to_numpy()
    rows["recency rule (recency / own gap)"] = C.recency_rule(Xte)
    rows["recency days (raw)"] = Xte["recency_days"].to_numpy() / 365.0

    # Lead time: churners whose 90-day silence completes inside the test span.
    snap = Xte["snapshot"].to_numpy()
    cl = Xte.index.to_numpy()
    out("")
    out(
        f"{'P(no order in 90 days)':36s} {'AUC':>6s} {'Brier':>7s} {'recall@P0.7':>12s}"
        f" {'lead wk (median)':>17s} {'flagged':>8s}"
    )
    for name, p in rows.items():
        m = _metrics(yte, p)
        lead = _lead_times(cl, snap, test_dates, p, onset)
        med = f"{np.median(lead):.1f}" if len(lead) else "-"
        brier = f"{m['brier']:.4f}" if "raw" not in name else "-"
        out(
            f"{name:36s} {m['auc']:6.3f} {brier:>7s} {m['recall@p0.7']:12.3f} {med:>17s}"
            f" {len(lead):>8d}"
        )
    out(
        f"(model fitted in {t_fit:.1f} s on {model.n_train:,} rows; has signal: "
        f"{model.has_signal}; base rate {model.base_rate:.3f})"
    )
    _segments(lines, end_ts, out, signals)


def _lead_times(clients, snap, dates, p, onset, high=0.7):
    """Weeks between the first test snapshot where a planted churner is HIGH (P > 0.7) and
    its planted onset (positive: flagged before it stopped), for planted churners whose onset
    falls inside the test span plus 90 days and who were flagged at all."""
    df = pd.DataFrame({"client": clients, "snap": snap, "p": p})
    df["date"] = np.asarray(dates, dtype="datetime64[ns]")[df["snap"].to_numpy()]
    on = onset.reindex(df["client"]).to_numpy()
    inside = (on >= np.datetime64(dates[0])) & (
        on <= np.datetime64(dates[-1] + pd.Timedelta(days=C.HORIZON_DAYS))
    )
    hi = df.loc[(df["p"] > high) & inside].groupby("client")["date"].min()
    return ((onset.reindex(hi.index) - hi) / pd.Timedelta(weeks=1)).to_numpy()


def _segments(lines, end_ts, out, signals=None):
    out("")
    week1 = end_ts - pd.Timedelta(days=7)
    res = {}
    for t in (week1, end_ts):
        act = F.active_clients(lines, t)
        feats = F.client_features(lines, t, act, signals=signals)
        tick = time.perf_counter()
        seg = S.cluster(feats)
        secs = time.perf_counter() - tick
        rfm = S.rfm_scores(feats)
        res[t] = (feats, seg, rfm, secs)
    (f1, s1, r1, _), (f2, s2, r2, secs) = res[week1], res[end_ts]
    common = f1.index.intersection(f2.index)
    a1 = pd.Series(s1.client_codes(), index=f1.index).reindex(common)
    a2 = pd.Series(s2.client_codes(), index=f2.index).reindex(common)
    X2 = S.design(f2)
    sils = ", ".join(f"k={k}: {v:.3f}" for k, v in s2.silhouettes.items())
    out(f"Segmentation as of {end_ts.date()} ({len(f2):,} active clients; {sils})")
    out(
        f"{'method':28s} {'groups':>6s} {'silhouette':>10s} {'same as a week before':>22s}"
        f" {'ARI':>6s}"
    )
    rows = [
        ("K-Means (chosen k)", s2.k, S.silhouette(X2, s2.labels), a1, a2),
        (
            "RFM quintile groups",
            r2["group"].nunique(),
            S.silhouette(X2, pd.factorize(r2["group"])[0]),
            r1["group"].reindex(common),
            r2["group"].reindex(common),
        ),
    ]
    for name, k, sil, b1, b2 in rows:
        same = float((b1.to_numpy() == b2.to_numpy()).mean())
        ari = adjusted_rand_score(b1, b2)
        out(f"{name:28s} {k:>6d} {sil:10.3f} {same:22.1%} {ari:6.3f}")
    out(f"(K-Means over k=4-6 in {secs:.1f} s)")
    prof = s2.profiles
    out("")
    out(
        f"{'segment':18s} {'clients':>8s} {'share':>6s} {'revenue':>8s} {'R days':>7s}"
        f" {'F/yr':>5s} {'M euros':>9s}"
    )
    for code, r in prof.iterrows():
        out(
            f"{code:18s} {int(r.clients):8d} {r.share_clients:6.1%} {r.share_revenue:8.1%}"
            f" {r.median_recency_days:7.0f} {r.median_frequency:5.0f} {r.median_monetary:9.0f}"
        )


def _timed(fn):
    """(result, wall seconds, this process's CPU seconds) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def speed(clients=20000, weeks=156, seed=7, end="2026-11-22", out=print):
    """Seconds of the pure part of a refit (what insights.services.refit runs after reading):
    features, segmentation, 12 replayed snapshots, the fit and the scores, on ``clients``
    generated clients (no database)."""
    from insights.services import SNAPSHOT_STEP_DAYS, SNAPSHOTS, TRAIN_CLIENTS

    raw, cal = demo_lines(clients, weeks, seed, end)
    lines, _ = plant_client_churn(raw, end, seed)
    # The refit reads net value per (client, family, date).
    lines = lines.groupby(["client", "family", "date"], as_index=False)["value"].sum()
    as_of = pd.Timestamp(cal.end)
    t = {}

    history, *t["features"] = _timed(lambda: F.History(lines))
    signals, *t["signals"] = _timed(lambda: demo_signals(lines, weeks, seed, end, history))
    feats, *t_feats = _timed(lambda: history.features(as_of, history.active(as_of), None, signals))
    t["features"] = [a + b for a, b in zip(t["features"], t_feats, strict=True)]
    seg, *t["segments"] = _timed(lambda: S.cluster(feats))
    dates = C.snapshot_dates(as_of, SNAPSHOTS, SNAPSHOT_STEP_DAYS)
    (X, y), *t["snapshots"] = _timed(
        lambda: C.training_frame(C.training_sample(history, TRAIN_CLIENTS), dates, signals=signals)
    )
    model, *t["fit"] = _timed(lambda: C.fit(X, y))
    (p, _), *t["score"] = _timed(lambda: (model.predict(feats), C.reasons(model, feats)))
    out(
        f"refit (pure part) on {clients:,} clients, {len(lines):,} client-family-days, "
        f"{len(X):,} training rows, k={seg.k}, {int((p > 0.7).sum())} HIGH; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    out(_phase_table(t))


def _phase_table(t):
    rows = [f"{'phase':14s} {'wall s':>7s} {'CPU s':>7s}"]
    for name, (wall, cpu) in t.items():
        rows.append(f"{name:14s} {wall:7.1f} {cpu:7.1f}")
    rows.append(
        f"{'total':14s} {sum(w for w, _ in t.values()):7.1f} {sum(c for _, c in t.values()):7.1f}"
    )
    return "\n".join(rows)


def _backend_cpu(cursor):
    """CPU seconds (user + system) so far of this connection's PostgreSQL backend process,
    read from /proc (the server on this machine); None when unreadable. Parallel query
    workers are other processes and are not counted."""
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def speed_db(end="2026-11-22", refits=2, shards=8, twins=True, out=print):
    """The whole refit on the database (PostgreSQL): read, the pure part, publish and the
    recommender's picks, per phase (wall and CPU seconds), ``refits`` times in a row; beside
    it the twins' scoring run on the same database (``score --inline``), timed the same way."""
    from django.db import connection

    from crm.models import Client, OrderLine
    from insights import services
    from twins import runs

    as_of = pd.Timestamp(end).date()
    out(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {Client.objects.count():,} "
        f"clients, {OrderLine.objects.count():,} order lines; as of {as_of}"
    )

    def measured(fn):
        with connection.cursor() as cursor:
            db0 = _backend_cpu(cursor)
        result, wall, cpu = _timed(fn)
        with connection.cursor() as cursor:
            db1 = _backend_cpu(cursor)
        db = f"{db1 - db0:.1f}" if db0 is not None and db1 is not None else "-"
        load = os.getloadavg()[0]
        return result, f"wall {wall:.1f} s, CPU {cpu:.1f} s + {db} s PostgreSQL, load {load:.1f}"

    if twins:
        run, line = measured(lambda: runs.launch(as_of, shards, inline=True, wait=True))
        t = run.timings
        out(
            f"twins scoring run #{run.pk} ({run.pairs:,} pairs, {shards} shards, in-process; "
            f"{run.alerts_created:,} alerts created, {run.alerts_updated:,} refreshed): {line}"
            f" (its own timings: read {t.get('read', 0):.1f}, fit {t.get('fit', 0):.1f}, "
            f"stage {t.get('stage', 0):.1f}, publish {t.get('write', 0):.1f} s)"
        )
    for _ in range(refits):
        run, line = measured(lambda: services.refit(as_of))
        t = run.timings
        order = (
            "read",
            "features",
            "signals",
            "segments",
            "snapshots",
            "fit",
            "score",
            "value_forecast",
            "territories",
            "publish",
            "notify",
        )
        phases = {k: (t[k], t[f"{k}_cpu"]) for k in order if k in t}
        out("")
        out(
            f"insights refit #{run.pk} ({run.clients:,} clients, "
            f"{run.model_info.get('n_train', 0):,} training rows, "
            f"{run.alerts_created} alerts created, {run.alerts_updated} refreshed, "
            f"{run.alerts_merged} merged into the twins'): {line}"
        )
        out(_phase_table(phases))


def plant_client_churn_in_db(end, seed=7):
    """:func:`plant_client_churn` on the database's order lines (a seeded demo): delete the
    lines it drops, and the orders left without lines. Destructive: for a benchmark database
    only, once. Returns (lines deleted, planted churners)."""
    from django.db import connection, transaction

    from crm.models import Order, OrderLine

    rows = np.array(
        OrderLine.objects.order_by("pk").values_list("pk", "client_id"), dtype=np.int64
    ).reshape(-1, 2)
    days = np.array(
        OrderLine.objects.order_by("pk").values_list("date", flat=True), dtype="datetime64[ns]"
    )
    frame = pd.DataFrame({"id": rows[:, 0], "client": rows[:, 1], "date": days})
    kept, onset = plant_client_churn(frame, end, seed)
    gone = np.setdiff1d(frame["id"].to_numpy(), kept["id"].to_numpy())
    line_table = connection.ops.quote_name(OrderLine._meta.db_table)
    order_table = connection.ops.quote_name(Order._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE planted_gone (id bigint) ON COMMIT DROP")
        with cursor.cursor.copy("COPY planted_gone (id) FROM STDIN") as copy:
            for pk in gone.tolist():
                copy.write_row((pk,))
        cursor.execute(f"DELETE FROM {line_table} l USING planted_gone g WHERE l.id = g.id")
        cursor.execute(
            f"DELETE FROM {order_table} o WHERE NOT EXISTS "
            f"(SELECT 1 FROM {line_table} l WHERE l.order_id = o.id)"
        )
    return len(gone), int(onset.notna().sum())
