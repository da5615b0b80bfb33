"""Read-side queries of the pipeline: visibility and the DataFrames the statistics read."""

import pandas as pd
from django.db.models import Q
from django.http import Http404

from crm.models import User

from .models import Opportunity, Stage, StageChange

DEAL_COLUMNS = [
    "id",
    "amount",
    "created",
    "closed",
    "outcome",
    "lead_source",
    "segment",
    "region",
    "owner",
    "expected_close",
]
CHANGE_COLUMNS = ["deal_id", "date", "stage", "order", "late", "qualification", "stage_outcome"]


def _deal_q(user):
    """A rep sees their own deals (and deals on their clients); a manager their team's; an
    admin every deal. The client side is crm's rule (``crm.selectors.clients_visible_to``)."""
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role == User.Role.MANAGER:
        mine = Q(owner=user) | Q(owner__manager=user)
        return mine | Q(client__rep=user) | Q(client__rep__manager=user)
    return Q(owner=user) | Q(client__rep=user)


def opportunities_visible_to(user):
    if not user.is_authenticated:
        return Opportunity.objects.none()
    return Opportunity.objects.filter(_deal_q(user))


def visible_opportunity(user, pk):
    deal = (
        opportunities_visible_to(user)
        .select_related("client", "owner", "stage", "family")
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise Http404("No such opportunity.")
    return deal


def stages():
    return list(Stage.objects.order_by("order"))


def deals_frame(queryset=None) -> pd.DataFrame:
    """The deals of ``queryset`` (all by default) as the DataFrame of ``deals.stats``."""
    qs = Opportunity.objects.all() if queryset is None else queryset
    rows = list(
        qs.order_by("pk").values_list(
            "pk",
            "amount",
            "created_date",
            "closed_date",
            "outcome",
            "lead_source",
            "segment",
            "region",
            "owner_id",
            "expected_close_date",
        )
    )
    df = pd.DataFrame(rows, columns=DEAL_COLUMNS)
    df["amount"] = df["amount"].astype(float)
    for col in ("created", "closed", "expected_close"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
    df["owner"] = df["owner"].astype("string").fillna("")
    return df


def changes_frame(deal_ids=None) -> pd.DataFrame:
    """Stage changes (of ``deal_ids``, or all) with the attributes of their stage."""
    qs = StageChange.objects.all()
    if deal_ids is not None:
        qs = qs.filter(opportunity_id__in=list(deal_ids))
    rows = list(
        qs.order_by("opportunity_id", "date", "stage__order").values_list(
            "opportunity_id",
            "date",
            "stage__name",
            "stage__order",
            "stage__is_late",
            "stage__is_qualification",
            "stage__outcome",
        )
    )
    df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    df["deal_id"] = df["deal_id"].astype("int64")  # also when there is no history at all
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["order"] = df["order"].astype(int)
    df["late"] = df["late"].astype(bool)
    df["qualification"] = df["qualification"].astype(bool)
    return df
