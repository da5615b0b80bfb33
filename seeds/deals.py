"""A synthetic B2B sales pipeline with planted drivers of loss (numpy; no Django until
:func:`seed_pipeline`).

Planted truth (logit of P(loss), base about 40 %):
- large amount x long cycle: ``+1.6 * max(log(amount / 20k), 0) * max(cycle / 60 d - 1, 0)``;
- partner-led deals ``+0.9``, referrals ``-0.5``;
- the segment ``DRIFT_SEGMENT`` (Retail) loses more in the last quarter: ``+1.6`` for its
  deals closing in the last 91 days;
- stalled deals (one stage stint 4-6x its usual length) ``+1.2``;
- deals that skipped qualification ``+1.3``.
Region and owner carry no signal. The same seed and end date give the same pipeline.
"""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from deals.defaults import DEFAULT_STAGES

SEGMENTS = ("Healthcare", "Retail", "Manufacturing", "Software", "Education")
DRIFT_SEGMENT = "Retail"
REGIONS = ("North", "South", "East", "West")
SOURCES = ("inbound", "outbound", "partner", "referral")
SOURCE_P = (0.35, 0.33, 0.2, 0.12)
STAGES = DEFAULT_STAGES  # (code, name, order, late, qualification, outcome)
OPEN_STAGES = 5
MEDIAN_AMOUNT = 20_000.0
MEDIAN_CYCLE = 60.0
DRIFT_DAYS = 91


def _logit_inv(x):
    return 1.0 / (1.0 + np.exp(-x))


def generate(rng, n_deals=4000, *, end=None, days=730, n_accounts=None, n_owners=4):
    """Draw a pipeline ending on ``end``; return ``(deals, changes, truth)`` DataFrames.

    ``deals`` and ``changes`` have the columns of :mod:`deals.stats.features`, with
    ``account`` (index of the account) and ``owner`` (index of the rep); ``truth`` holds, per
    deal, the planted flags and the true P(loss) at its (planned) close.
    """
    end = pd.Timestamp(end or dt.date.today()).normalize()
    n = int(n_deals)
    n_accounts = n_accounts or max(1, n // 4)
    acc_segment = rng.integers(0, len(SEGMENTS), n_accounts)
    acc_region = rng.integers(0, len(REGIONS), n_accounts)
    account = rng.integers(0, n_accounts, n)
    segment = np.asarray(SEGMENTS)[acc_segment[account]]
    region = np.asarray(REGIONS)[acc_region[account]]
    source = rng.choice(np.asarray(SOURCES), n, p=SOURCE_P)
    owner = rng.integers(0, n_owners, n)
    created = end - pd.to_timedelta(rng.integers(1, days, n), unit="D")
    amount = np.round(MEDIAN_AMOUNT * np.exp(rng.normal(0, 0.9, n)), -2).clip(500)
    cycle = MEDIAN_CYCLE * np.exp(rng.normal(0, 0.45, n))
    stalled = rng.random(n) < 0.15
    skipped = rng.random(n) < 0.12
    stall_stage = rng.integers(0, OPEN_STAGES - 1, n)
    cycle = np.where(stalled, cycle * 1.8, cycle)
    cycle = np.maximum(np.round(cycle), 5).astype(int)
    closed = created + pd.to_timedelta(cycle, unit="D")
    expected_close = created + pd.to_timedelta(
        np.round(MEDIAN_CYCLE * np.exp(rng.normal(0, 0.25, n))), unit="D"
    )

    big = np.clip(np.log(amount / MEDIAN_AMOUNT), 0, None)
    long = np.clip(cycle / MEDIAN_CYCLE - 1.0, 0, None)
    drift = (segment == DRIFT_SEGMENT) & (closed > end - pd.Timedelta(days=DRIFT_DAYS))
    logit = (
        -0.55
        + 1.6 * big * long
        + 0.9 * (source == "partner")
        - 0.5 * (source == "referral")
        + 1.6 * drift
        + 1.2 * stalled
        + 1.3 * skipped
    )
    p_loss = _logit_inv(logit)
    lost = rng.random(n) < p_loss
    is_open = closed > end

    # Stages: won deals walk every open stage; lost ones stop at a random one. Skippers jump
    # from prospecting to proposal.
    last = np.where(lost, rng.choice(OPEN_STAGES, n, p=(0.3, 0.25, 0.25, 0.12, 0.08)), 4)
    last = np.where(skipped, np.maximum(last, 2), last)
    rows_deal, rows_stage, rows_date = [], [], []
    weights = rng.gamma(2.0, 1.0, (n, OPEN_STAGES))
    weights[np.arange(n), stall_stage] *= np.where(stalled, 12.0, 1.0)
    for k in range(OPEN_STAGES):  # a loop over 5 stages, vectorised over deals
        visits = (k <= last) & ~(skipped & (k == 1))
        share = np.where(np.arange(OPEN_STAGES)[None, :] <= last[:, None], weights, 0.0)
        share[skipped, 1] = 0.0
        frac = share[:, :k].sum(axis=1) / share.sum(axis=1)
        when = created + pd.to_timedelta(np.floor(frac * cycle), unit="D")
        take = visits & (when <= end)
        rows_deal.append(np.nonzero(take)[0])
        rows_stage.append(np.full(take.sum(), k))
        rows_date.append(when[take])
    final = ~is_open
    rows_deal.append(np.nonzero(final)[0])
    rows_stage.append(np.where(lost[final], 6, 5))
    rows_date.append(closed[final])

    stage_code = np.asarray([s[0] for s in STAGES])
    deal_idx = np.concatenate(rows_deal)
    stage_idx = np.concatenate(rows_stage)
    changes = pd.DataFrame(
        {
            "deal_id": deal_idx + 1,
            "date": pd.DatetimeIndex(np.concatenate([np.asarray(d) for d in rows_date])),
            "stage": stage_code[stage_idx],
            "order": np.asarray([s[2] for s in STAGES])[stage_idx],
            "late": np.asarray([s[3] for s in STAGES])[stage_idx],
            "qualification": np.asarray([s[4] for s in STAGES])[stage_idx],
            "stage_outcome": np.asarray([s[5] for s in STAGES])[stage_idx],
        }
    ).sort_values(["deal_id", "date", "order"], ignore_index=True)
    changes = changes.drop_duplicates(["deal_id", "stage"], keep="first", ignore_index=True)

    deals = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "amount": amount,
            "created": pd.DatetimeIndex(created),
            "closed": pd.DatetimeIndex(np.where(is_open, pd.NaT, closed)),
            "outcome": np.where(is_open, "open", np.where(lost, "lost", "won")),
            "lead_source": source,
            "segment": segment,
            "region": region,
            "owner": owner.astype(str),
            "expected_close": pd.DatetimeIndex(expected_close),
            "account": account,
        }
    )
    truth = pd.DataFrame(
        {
            "id": deals["id"],
            "p_loss": p_loss,
            "lost": lost,
            "stalled": stalled,
            "skipped_qualification": skipped,
            "partner": source == "partner",
            "big_long": big * long > 0.3,
            "drift": drift,
            "planned_close": pd.DatetimeIndex(closed),
        }
    )
    return deals, changes, truth


def seed_pipeline(*, n_deals=1200, seed=7, end=None, days=730):
    """Store a generated pipeline on the existing clients (their reps own the deals; clients
    are created when there are none) and return the number of deals. Deals get ids
    ``D000001``...; a second call with the same arguments changes nothing."""
    from django.db import transaction

    from crm.models import Client, User
    from deals.models import Opportunity, StageChange
    from deals.services import ensure_default_stages

    if Opportunity.objects.filter(external_id="D000001").exists():
        return 0
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(14,)))
    deals, changes, _ = generate(rng, n_deals, end=end, days=days)
    with transaction.atomic():
        clients = list(Client.objects.select_related("rep").order_by("pk"))
        if not clients:
            clients = Client.objects.bulk_create(
                Client(code=f"ACC{i:04d}", name=f"Account {i}") for i in range(1, 101)
            )
        reps = list(User.objects.filter(role=User.Role.REP).order_by("pk"))
        stages = ensure_default_stages()
        last_stage = changes.groupby("deal_id")["stage"].last()
        opps = []
        for row in deals.itertuples(index=False):
            client = clients[int(row.account) % len(clients)]
            owner = client.rep or (reps[int(row.owner) % len(reps)] if reps else None)
            opps.append(
                Opportunity(
                    external_id=f"D{row.id:06d}",
                    name=f"{row.segment} deal {row.id}",
                    client=client,
                    owner=owner,
                    amount=Decimal(str(row.amount)),
                    lead_source=row.lead_source,
                    region=row.region,
                    segment=row.segment,
                    stage=stages[last_stage.get(row.id, "prospecting")],
                    created_date=row.created.date(),
                    expected_close_date=row.expected_close.date(),
                    closed_date=None if pd.isna(row.closed) else row.closed.date(),
                    outcome=row.outcome,
                    lost_reason="",
                )
            )
        Opportunity.objects.bulk_create(opps, batch_size=1000)
        ids = dict(
            Opportunity.objects.filter(external_id__startswith="D").values_list("external_id", "pk")
        )
        owners = {o.external_id: o.owner_id for o in opps}
        StageChange.objects.bulk_create(
            (
                StageChange(
                    opportunity_id=ids[f"D{c.deal_id:06d}"],
                    stage=stages[c.stage],
                    date=c.date.date(),
                    changed_by_id=owners[f"D{c.deal_id:06d}"],
                )
                for c in changes.itertuples(index=False)
            ),
            batch_size=2000,
        )
    return len(opps)
