"""Read the CRM records a launch targeting needs into the frames of :mod:`.stats`."""

import pandas as pd

from crm.models import Client, OrderLine, Product

from . import stats
from .models import LaunchAttributeWeight


def lines_frame(until=None):
    """Every order line (``client, product, family, date, units, value``), before ``until``
    when given (a date, exclusive)."""
    qs = OrderLine.objects.all()
    if until is not None:
        qs = qs.filter(date__lt=until)
    rows = list(
        qs.values_list("client_id", "product_id", "family_id", "date", "units", "net_value")
    )
    frame = pd.DataFrame(rows, columns=["client", "product", "family", "date", "units", "value"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["units"] = frame["units"].astype(float)
    frame["value"] = frame["value"].astype(float)
    return frame


def clients_frame():
    """``client, province, rep`` of every client."""
    rows = list(Client.objects.values_list("pk", "province", "rep_id"))
    return pd.DataFrame(rows, columns=["client", "province", "rep"])


def products_frame():
    """``product, code, name, family, line, kind, price, launch_date`` and one ``attr:<key>``
    column per key of ``Product.attributes`` (NaN where a product lacks it)."""
    rows = []
    for p in Product.objects.select_related("family", "family__line").order_by("pk"):
        fam = p.family
        row = {
            "product": p.pk,
            "code": p.code,
            "name": p.name or p.code,
            "family": fam.code if fam else None,
            "family_name": fam.name if fam else "",
            "line": (fam.line.code if fam and fam.line else None),
            "kind": fam.kind if fam else None,
            "price": float(p.list_price) if p.list_price is not None else None,
            "launch_date": p.launch_date,
        }
        for key, value in (p.attributes or {}).items():
            if isinstance(value, str | int | float | bool) and value is not None:
                row[f"attr:{key}"] = value
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(
            columns=["product", "code", "name", "family", "line", "kind", "price", "launch_date"]
        )
    frame["launch_date"] = pd.to_datetime(frame["launch_date"])
    return frame


def weights():
    """``{attribute: weight}`` edited in the admin (missing attributes weigh 1)."""
    return dict(LaunchAttributeWeight.objects.values_list("attribute", "weight"))


def data(until=None):
    """A :class:`stats.Data` of everything stored (order lines before ``until``)."""
    return stats.Data(
        lines=lines_frame(until),
        clients=clients_frame(),
        products=products_frame(),
        weights=weights(),
    )
