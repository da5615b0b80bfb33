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
