"""Checks of a bulk order upload before the importer sees it, and its storage with retries.

The importer reports bad values row by row; these checks first bound what it is handed, so no
value can overflow a column or its decimal arithmetic: text no longer than its column, numbers
finite and within their column's digits. A rejected value is a row error naming the row
(1-based position in ``rows``) and the field; the other rows are stored. The messages are in
English like the importer's row messages, which share the report.
"""

import random
import re
import time
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError

from crm.models import Client, Order, OrderLine, Product

#: Longest text each key may hold (its column's length; a date needs 10, allow spaces).
MAX_TEXT = {
    "invoice": Order._meta.get_field("invoice_number").max_length,
    "client": Client._meta.get_field("code").max_length,
    "product": Product._meta.get_field("code").max_length,
    "date": 32,
    "line": 32,
    "units": 32,
    "net_value": 32,
}
#: Number columns: key -> the model field whose digits bound it.
DECIMALS = {
    "units": OrderLine._meta.get_field("units"),
    "net_value": OrderLine._meta.get_field("net_value"),
}
#: Largest line number (PostgreSQL's integer).
MAX_LINE = 2_147_483_647
#: A unique violation, as Django reports it or as psycopg's COPY (crm.bulkload) raises it.
COLLISIONS = (IntegrityError,)
try:
    import psycopg
except ImportError:  # SQLite only
    pass
else:
    COLLISIONS += (psycopg.IntegrityError,)
#: Attempts at storing an upload that collides with a parallel identical one.
ATTEMPTS = 5

_DIGIT = re.compile(r"\d")


class UploadCollision(Exception):
    """A parallel upload kept storing the same lines at the same time; send it again."""


def _plain_decimal(text):
    """``text`` as a Decimal when it is a plain number (``-12.5``, ``1e3``), else None."""
    try:
        return Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None


def _value_error(key, text):
    """Why ``text`` cannot be stored under ``key``, or None (the importer checks the rest)."""
    if len(text) > MAX_TEXT[key]:
        return f"Too long: at most {MAX_TEXT[key]} characters."
    if key in DECIMALS:
        field = DECIMALS[key]
        integer_digits = field.max_digits - field.decimal_places
        number = _plain_decimal(text)
        if number is not None and not number.is_finite():
            return "Not a finite number."
        too_big = number is not None and abs(number) >= Decimal(10) ** integer_digits
        if too_big or len(_DIGIT.findall(text)) > field.max_digits + 6:
            return f"Out of range: at most {integer_digits} digits before the decimal point."
    if key == "line" and text.strip():
        number = _plain_decimal(text)
        if number is None or not number.is_finite() or number != number.to_integral_value():
            return "Not a whole number."
        if not 1 <= number <= MAX_LINE:
            return f"Out of range: from 1 to {MAX_LINE}."
    return None


def _place(positions, row):
    """The position in the upload of the importer's row ``row`` (1-based in the good rows)."""
    if isinstance(row, int) and 1 <= row <= len(positions):
        return positions[row - 1]
    return row


def check_rows(rows):
    """Split text rows into ``(positions, good rows, errors)``: ``positions[i]`` is the 1-based
    place in ``rows`` of ``good[i]``; ``errors`` are importer-shaped row errors."""
    positions, good, errors = [], [], []
    for number, row in enumerate(rows, start=1):
        found = [
            {"row": number, "field": key, "message": message}
            for key, text in row.items()
            if (message := _value_error(key, text))
        ]
        if found:
            errors.extend(found)
        else:
            positions.append(number)
            good.append(row)
    return positions, good, errors


def store(rows, *, atomic, importer):
    """Check and import ``rows`` (text dicts) with ``importer(rows, atomic=...)``.

    Returns the report ``{"read", "imported", "skipped", "errors"}`` and whether anything was
    refused in atomic mode. A collision with a parallel identical upload (a unique violation)
    is retried: the lines the other upload stored count as already present. Raises
    :class:`UploadCollision` when the collisions persist.
    """
    positions, good, errors = check_rows(rows)
    report = {"read": len(rows), "imported": 0, "skipped": 0, "errors": errors}
    if atomic and errors:
        return report, True
    for attempt in range(ATTEMPTS):
        try:
            result = importer(good, atomic=atomic)
            break
        except COLLISIONS:
            if attempt == ATTEMPTS - 1:
                raise UploadCollision from None
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # let the other one commit
    report["imported"], report["skipped"] = result.imported, result.skipped
    report["errors"] = sorted(
        errors + [{**e, "row": _place(positions, e.get("row"))} for e in result.errors],
        key=lambda e: e["row"],
    )
    return report, atomic and bool(report["errors"])
