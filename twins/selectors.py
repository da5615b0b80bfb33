"""Read-side queries about scoring runs."""

import pandas as pd

from .models import ScoringRun, TwinState


def latest_run():
    """The most recently created run that was not refused at start, or ``None``."""
    return (
        ScoringRun.objects.exclude(status=ScoringRun.Status.SUPERSEDED, shards_total=0)
        .order_by("-created_at", "-pk")
        .first()
    )


def forecast_euros_by_client():
    """DataFrame indexed by client id: ``euros`` (the expected euros over the twins' horizon,
    summed over the client's pairs: each pair's expected units x its unit price) and
    ``weeks`` (that horizon), from the published twins. Empty when the twins never ran."""
    rows = TwinState.objects.values_list(
        "client_id", "forecast_units", "forecast_weeks", "params__unit_price"
    )
    df = pd.DataFrame.from_records(list(rows), columns=["client", "units", "weeks", "price"])
    df["euros"] = pd.to_numeric(df["units"]).fillna(0.0) * pd.to_numeric(df["price"]).fillna(0.0)
    return df.groupby("client").agg(euros=("euros", "sum"), weeks=("weeks", "max"))


def forecast_euros_by_pair(client_ids):
    """DataFrame ``client``, ``family``, ``euros`` (the pair's expected euros over the twins'
    horizon: expected units x unit price) and ``weeks`` (that horizon) of the published twins
    of ``client_ids``."""
    rows = []
    ids = [int(c) for c in client_ids]
    for start in range(0, len(ids), 2000):
        rows += TwinState.objects.filter(client_id__in=ids[start : start + 2000]).values_list(
            "client_id", "family_id", "forecast_units", "forecast_weeks", "params__unit_price"
        )
    df = pd.DataFrame.from_records(rows, columns=["client", "family", "units", "weeks", "price"])
    units = pd.to_numeric(df["units"]).fillna(0.0)
    df["euros"] = units * pd.to_numeric(df["price"]).fillna(0.0)
    return df[["client", "family", "euros", "weeks"]]
