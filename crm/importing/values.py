"""Values of imported sheets: results and errors, and the parsers of text, dates and numbers.

Each parser reads one key of a raw row (a dict of plain keys to cell text) and returns the
value to store or raises :class:`FieldError` naming the field, a short reason (used to group
rejections) and a message for the user.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from ..bulkload import batched

CENT = Decimal("0.01")

# --- Results and errors -------------------------------------------------------------------


class FieldError(Exception):
    """A value that cannot be stored: ``field`` is the plain-format key, ``reason`` a short
    category used to group rejections, ``message`` the explanation shown to the user."""

    def __init__(self, field, reason, message):
        super().__init__(message)
        self.field, self.reason, self.message = field, reason, message


class SheetError(Exception):
    """A whole sheet cannot be read (unrecognised header, missing column)."""


@dataclass
class ImportResult:
    """Counts of one import. ``errors`` holds ``{"row", "field", "message"}`` dicts.

    ``rejected`` counts rejected rows and ``reasons`` groups them by the reason of their first
    error. ``max_errors`` caps ``errors`` (None keeps all); ``sink``, when set, is called with
    ``(row, field, reason, message, raw)`` for every error, so a large file can stream its
    rejections to disk. ``field_names`` maps plain keys to the column names of the file.
    """

    read: int = 0
    imported: int = 0
    skipped: int = 0
    errors: list = field(default_factory=list)
    updated: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    max_errors: int | None = field(default=None, repr=False)
    sink: object = field(default=None, repr=False, compare=False)
    field_names: dict = field(default_factory=dict, repr=False)
    #: ``{"row", "field", "message"}`` of rows kept despite a doubt (capped like ``errors``).
    warnings: list = field(default_factory=list)
    warned: int = 0
    #: The decisions the import took on its own, one sentence each, for the summary.
    notes: list = field(default_factory=list)

    def warn(self, row, key, message):
        """Record a doubt about input row ``row``, which is kept."""
        self.warned += 1
        if self.max_errors is None or len(self.warnings) < self.max_errors:
            name = self.field_names.get(key, key)
            self.warnings.append({"row": row, "field": name, "message": message})

    def note(self, message):
        """Record a decision the import took (created clients, split potentials, ...)."""
        self.notes.append(message)

    def reject(self, row, errors, raw=None):
        """Record that input row ``row`` (1-based) was rejected for ``errors``."""
        self.rejected += 1
        self.reasons[errors[0].reason] += 1
        for error in errors:
            name = self.field_names.get(error.field, error.field)
            if self.max_errors is None or len(self.errors) < self.max_errors:
                self.errors.append({"row": row, "field": name, "message": error.message})
            if self.sink is not None:
                self.sink(row, name, error.reason, error.message, raw)


# --- Values -------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_COMMA_NUMBER = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+),\d*")
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


#: What spreadsheet exports write in an empty cell; read as a missing value (compared casefolded).
PLACEHOLDERS = frozenset({"(en blanco)", "(blank)", "(vacías)", "#n/a", "#n/d", "-"})


def shown(value, limit=60):
    """``repr(value)``, cut to its start and length when longer than ``limit`` characters."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[: limit - 20]!r}... ({len(value):,} characters)"


def is_placeholder(value):
    """Whether ``value`` (stripped text) is an export's placeholder for an empty cell."""
    return len(value) <= 11 and value.casefold() in PLACEHOLDERS


def text(raw, key, *, required=False, max_length=None):
    """Return the stripped value of ``key`` in ``raw`` ('' when absent or a placeholder such
    as ``(en blanco)``, ``#N/A`` or ``-``)."""
    value = raw.get(key)
    if value.__class__ is str:
        value = value.strip()
    else:
        value = "" if value is None else str(value)
    if value and is_placeholder(value):
        if required:
            raise FieldError(
                key,
                "missing value",
                f"{value!r} is a spreadsheet placeholder for an empty cell; a value is required.",
            )
        value = ""
    if required and not value:
        raise FieldError(key, "missing value", "a value is required.")
    if "\x00" in value:
        raise FieldError(key, "invalid character", "contains a NUL character.")
    if "\ufffd" in value:
        raise FieldError(
            key, "invalid character", "contains a byte that is neither UTF-8 nor Windows-1252."
        )
    if max_length is not None and len(value) > max_length:
        raise FieldError(
            key, "value too long", f"{shown(value)} is longer than {max_length} characters."
        )
    return value


@lru_cache(maxsize=8192)
def date_or_none(value):
    value = value.split(" ")[0].split("T")[0]
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _US_DATE.fullmatch(value):
        month, day, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(raw, key, *, required=True):
    """Parse ``M/D/YYYY`` or ``YYYY-MM-DD`` (a trailing time is ignored); None when blank."""
    if isinstance(raw.get(key), date):
        return raw[key]
    value = text(raw, key, required=required)
    if not value:
        return None
    parsed = date_or_none(value)
    if parsed is None:
        message = f"{shown(value)} is not a date (M/D/YYYY or YYYY-MM-DD)."
        raise FieldError(key, "invalid date", message)
    return parsed


def parse_decimal(raw, key, *, comma=False, required=True, max_digits=12):
    """Parse a number to two decimals; None when blank.

    With ``comma`` (ERP sheets) a comma is the decimal mark and dots group thousands
    (``1.234,56``); without a comma, ``1.234.567`` and ``1.234`` are thousands and ``12.5`` is
    a decimal point. Plain sheets accept only a decimal point.
    """
    value = raw.get(key)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = format(Decimal(value), "f")
    value = text({key: value}, key, required=required)
    if not value:
        return None
    result = decimal_or_reason(value, comma, max_digits)
    if isinstance(result, str):
        raise FieldError(key, result, f"{shown(value)} is {result.replace('invalid', 'not a')}.")
    return result


@lru_cache(maxsize=1 << 16)
def decimal_or_reason(value, comma, max_digits):
    number = value.replace(" ", "").replace("\xa0", "")
    if comma:
        if "," in number:
            valid = _COMMA_NUMBER.fullmatch(number)
            number = number.replace(".", "").replace(",", ".") if valid else "x"
        elif _DOT_THOUSANDS.fullmatch(number):
            number = number.replace(".", "")
    if not _NUMBER.fullmatch(number):
        return "invalid number"
    whole = number.lstrip("+-").split(".")[0].lstrip("0")
    if len(whole) > max_digits - 2:  # before quantize, which fails past 28 digits
        return "too large"
    result = Decimal(number).quantize(CENT, ROUND_HALF_UP)
    if abs(result) >= Decimal(10) ** (max_digits - 2):
        return "too large"
    return result


def collect(raw, parsers, *args):
    """Run ``{key: callable(raw, *args)}``; return (values, errors) with every field's error."""
    values, errors = {}, []
    for key, parse in parsers.items():
        try:
            values[key] = parse(raw, *args)
        except FieldError as error:
            errors.append(error)
    return values, errors


def lookup(queryset, key, values, *fields):
    """Return ``{key value: (fields...)}`` for rows of ``queryset`` whose ``key`` is in
    ``values``, querying in batches the database accepts."""
    found = {}
    for batch in batched(values):
        for row in queryset.filter(**{f"{key}__in": batch}).values_list(key, *fields):
            found[row[0]] = row[1:]
    return found
