"""Import of ERP extracts and plain CSV files into the CRM tables.

A directory holds up to five sheets (campaigns, clients, products, potentials, sales lines),
each recognised by its header row in one of two formats: the distributor's ERP export
(Spanish headers, ``M/D/YYYY`` dates, ``1.234,56`` numbers) or the plain documented format
(English headers, ISO dates, decimal point). Reference sheets are small and read whole; the
sales sheet streams in chunks and is written with :func:`crm.bulkload.bulk_insert`.

Every sheet is validated row by row: a bad row is reported with its line, field and reason
and the good rows are kept. Re-importing a file changes nothing.
"""

import codecs
import csv
import json
import re
import sys
import unicodedata
from array import array
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import islice
from pathlib import Path

from django.db import connection, transaction

from .bulkload import analyze, bulk_insert
from .models import (
    Campaign,
    Client,
    Order,
    OrderLine,
    Potential,
    Product,
    ProductFamily,
    ProductLine,
    User,
)

CHUNK_SIZE = 50_000
CENT = Decimal("0.01")
KINDS = ("campaigns", "clients", "products", "potentials", "orders")


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


def text(raw, key, *, required=False, max_length=None):
    """Return the stripped value of ``key`` in ``raw`` ('' when absent)."""
    value = raw.get(key)
    if value.__class__ is str:
        value = value.strip()
    else:
        value = "" if value is None else str(value)
    if required and not value:
        raise FieldError(key, "missing value", "a value is required.")
    if "\x00" in value:
        raise FieldError(key, "invalid character", "contains a NUL character.")
    if max_length is not None and len(value) > max_length:
        raise FieldError(
            key, "value too long", f"{value!r} is longer than {max_length} characters."
        )
    return value


@lru_cache(maxsize=8192)
def _date_or_none(value):
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
    parsed = _date_or_none(value)
    if parsed is None:
        raise FieldError(key, "invalid date", f"{value!r} is not a date (M/D/YYYY or YYYY-MM-DD).")
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
    result = _decimal_or_reason(value, comma, max_digits)
    if isinstance(result, str):
        raise FieldError(key, result, f"{value!r} is {result.replace('invalid', 'not a')}.")
    return result


@lru_cache(maxsize=1 << 16)
def _decimal_or_reason(value, comma, max_digits):
    number = value.replace(" ", "").replace("\xa0", "")
    if comma:
        if "," in number:
            valid = _COMMA_NUMBER.fullmatch(number)
            number = number.replace(".", "").replace(",", ".") if valid else "x"
        elif _DOT_THOUSANDS.fullmatch(number):
            number = number.replace(".", "")
    if not _NUMBER.fullmatch(number):
        return "invalid number"
    result = Decimal(number).quantize(CENT, ROUND_HALF_UP)
    if abs(result) >= Decimal(10) ** (max_digits - 2):
        return "too large"
    return result


def _collect(raw, parsers, *args):
    """Run ``{key: callable(raw, *args)}``; return (values, errors) with every field's error."""
    values, errors = {}, []
    for key, parse in parsers.items():
        try:
            values[key] = parse(raw, *args)
        except FieldError as error:
            errors.append(error)
    return values, errors


def _batched(values, size=None):
    size = size or min(connection.features.max_query_params or 10_000, 10_000) - 1
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def _lookup(queryset, key, values, *fields):
    """Return ``{key value: (fields...)}`` for rows of ``queryset`` whose ``key`` is in
    ``values``, querying in batches the database accepts."""
    found = {}
    for batch in _batched(values):
        for row in queryset.filter(**{f"{key}__in": batch}).values_list(key, *fields):
            found[row[0]] = row[1:]
    return found


# --- Sales lines --------------------------------------------------------------------------


def _line_number(raw, comma):
    value = text(raw, "line")
    if value and (not value.isdigit() or int(value) < 1 or int(value) > 2**31 - 1):
        raise FieldError(
            "line", "invalid line number", f"{value!r} is not a line number (1, 2, ...)."
        )
    return int(value) if value else None


_ORDER_FIELDS = {
    "invoice": lambda r, comma: text(r, "invoice", required=True, max_length=64),
    "line": _line_number,
    "date": lambda r, comma: parse_date(r, "date"),
    "client": lambda r, comma: text(r, "client", required=True),
    "product": lambda r, comma: text(r, "product", required=True),
    "units": lambda r, comma: parse_decimal(r, "units", comma=comma, max_digits=12),
    "net_value": lambda r, comma: parse_decimal(r, "net_value", comma=comma, max_digits=14),
}


def clean_order_row(raw, *, comma=False):
    """Validate one sales row in plain keys; return (values, errors).

    ``line`` is optional: when blank the importer numbers the row within its invoice.
    """
    return _clean_order_fast(raw, comma) or _collect(raw, _ORDER_FIELDS, comma)


def _clean_order_fast(raw, comma):
    """The common case of :func:`clean_order_row` (string values, all valid) in fewer steps;
    None sends the row through the field-by-field path that explains what is wrong."""
    try:
        invoice, client, product = (raw[k].strip() for k in ("invoice", "client", "product"))
        line = (raw.get("line") or "").strip()
        day = _date_or_none(raw["date"].strip())
        units = _decimal_or_reason(raw["units"].strip(), comma, 12)
        value = _decimal_or_reason(raw["net_value"].strip(), comma, 14)
    except (KeyError, AttributeError):
        return None
    if (
        not (invoice and client and product and day)
        or "\x00" in invoice + client + product
        or len(invoice) > 64
        or units.__class__ is str
        or value.__class__ is str
        or (line and not (line.isdigit() and 0 < int(line) < 2**31))
    ):
        return None
    values = {"invoice": invoice, "line": int(line) if line else None, "date": day}
    values.update(client=client, product=product, units=units, net_value=value)
    return values, []


class OrderImport:
    """Streams sales rows into Order and OrderLine, ``chunk_size`` rows at a time.

    The only state kept across chunks is, per invoice seen in the input, its client, date,
    row count and the line keys already used (to number ERP rows and catch duplicates);
    clients, products and existing invoices are looked up per chunk.
    """

    def __init__(
        self,
        result,
        *,
        comma=False,
        chunk_size=CHUNK_SIZE,
        writer=bulk_insert,
        atomic_chunks=True,
        progress=None,
    ):
        self.result, self.comma, self.chunk_size = result, comma, chunk_size
        self.writer, self.atomic_chunks, self.progress = writer, atomic_chunks, progress
        # invoice -> [client code, date, rows seen, line numbers and row hashes used]
        self.invoices = {}
        self.clients, self.products = {}, {}  # code -> id / (id, family_id); None if unknown
        self.pending, self.counted = [], 0

    def feed(self, rows):
        """Validate and store ``rows``, an iterable of (row number, raw dict)."""
        for number, raw in rows:
            self.result.read += 1
            self._add(number, raw)
            if len(self.pending) >= self.chunk_size:
                self.flush()
        self.flush()

    def _add(self, number, raw):
        values, errors = clean_order_row(raw, comma=self.comma)
        invoice = values.get("invoice")
        if invoice:
            state = self.invoices.get(invoice)
            if state is None:
                state = self.invoices[invoice] = [None, None, 0, array("q")]
            state[2] += 1
        if errors:
            return self.result.reject(number, errors, raw)
        line = values["line"] or state[2]
        if state[0] is None:
            state[0], state[1] = sys.intern(values["client"]), values["date"]
        elif state[0] != values["client"]:
            errors.append(
                FieldError(
                    "client",
                    "invoice contradicts earlier row",
                    f"invoice {invoice} belongs to client {state[0]} on an earlier row.",
                )
            )
        elif state[1] != values["date"]:
            errors.append(
                FieldError(
                    "date",
                    "invoice contradicts earlier row",
                    f"invoice {invoice} is dated {state[1]} on an earlier row.",
                )
            )
        keys = [line]
        if values["line"] is None:  # ERP row: a second identical row is a duplicate
            keys.append(hash((values["product"], values["units"], values["net_value"])))
        if not errors and any(k in state[3] for k in keys):
            errors.append(
                FieldError(
                    "line" if values["line"] else "invoice",
                    "duplicated line",
                    f"invoice {invoice} line {line} repeats an earlier row of the input.",
                )
            )
        if errors:
            return self.result.reject(number, errors, raw)
        state[3].extend(keys)
        values["line"] = line
        self.pending.append((number, values, raw))

    def _resolve(self, cache, queryset, codes, *fields):
        missing = {code for code in codes if code not in cache}
        if missing:
            found = _lookup(queryset, "code", missing, *fields)
            for code in missing:
                row = found.get(code)
                cache[code] = None if row is None else (row if len(fields) > 1 else row[0])

    def flush(self):
        """Write the pending chunk: new orders, then lines not stored yet."""
        if self.pending:
            chunk, self.pending = self.pending, []
            with transaction.atomic() if self.atomic_chunks else nullcontext():
                self._write(chunk)
        if self.progress is not None:
            self.progress.update(self.result.read - self.counted)
            self.counted = self.result.read

    def _write(self, chunk):
        result = self.result
        self._resolve(self.clients, Client.objects, {v["client"] for _, v, _ in chunk}, "id")
        self._resolve(
            self.products, Product.objects, {v["product"] for _, v, _ in chunk}, "id", "family_id"
        )
        stored = _lookup(
            Order.objects,
            "invoice_number",
            {v["invoice"] for _, v, _ in chunk},
            "id",
            "client_id",
            "date",
        )
        good, new_orders = [], {}
        for number, values, raw in chunk:
            client_id = self.clients[values["client"]]
            product = self.products[values["product"]]
            errors = []
            if client_id is None:
                errors.append(
                    FieldError(
                        "client", "unknown client", f"client {values['client']!r} does not exist."
                    )
                )
            if product is None:
                errors.append(
                    FieldError(
                        "product",
                        "unknown product",
                        f"product {values['product']!r} does not exist.",
                    )
                )
            order = stored.get(values["invoice"])
            if not errors and order is not None and order[1:] != (client_id, values["date"]):
                errors.append(
                    FieldError(
                        "invoice",
                        "invoice contradicts stored order",
                        f"invoice {values['invoice']} is stored for another client or date.",
                    )
                )
            if errors:
                result.reject(number, errors, raw)
                continue
            if order is None:
                new_orders.setdefault(values["invoice"], (values["date"], client_id))
            good.append((values, client_id, product))
        if new_orders:
            self.writer(
                Order,
                ["invoice_number", "date", "client"],
                ((inv, d, c) for inv, (d, c) in new_orders.items()),
            )
        ids = {inv: row[0] for inv, row in stored.items()}
        ids.update(
            (inv, row[0])
            for inv, row in _lookup(Order.objects, "invoice_number", new_orders, "id").items()
        )
        old_ids = {row[0] for inv, row in stored.items()}
        present = set()
        for batch in _batched(old_ids):
            present.update(
                OrderLine.objects.filter(order_id__in=batch).values_list("order_id", "line_number")
            )
        lines = []
        for values, client_id, (product_id, family_id) in good:
            order_id = ids[values["invoice"]]
            if (order_id, values["line"]) in present:
                result.skipped += 1
                continue
            lines.append(
                (
                    order_id,
                    values["line"],
                    product_id,
                    values["units"],
                    values["net_value"],
                    values["date"],
                    client_id,
                    family_id,
                )
            )
        result.imported += self.writer(
            OrderLine,
            ["order", "line_number", "product", "units", "net_value", "date", "client", "family"],
            lines,
        )


def import_order_rows(rows, *, atomic=False):
    """Import sales rows given as dicts with the plain keys ``invoice, line, date, client,
    product, units, net_value`` (``line`` optional). Return an :class:`ImportResult` whose
    error rows are 1-based positions in ``rows``.

    With ``atomic`` nothing is stored when any row is rejected.
    """
    result = ImportResult()
    importer = OrderImport(result, atomic_chunks=not atomic)
    numbered = ((i, row) for i, row in enumerate(rows, start=1))
    with transaction.atomic() if atomic else nullcontext():
        importer.feed(numbered)
        if atomic and result.rejected:
            transaction.set_rollback(True)
            result.imported = 0
    result.errors.sort(key=lambda error: error["row"])
    return result


# --- Reference sheets ---------------------------------------------------------------------


def _upsert(model, result, wanted, existing, create):
    """Create missing objects and update changed fields; ``wanted`` maps a natural key to the
    field values a row asks for, ``existing`` maps keys to stored objects."""
    new, changed, fields = [], [], set()
    for key, values in wanted.items():
        obj = existing.get(key)
        if obj is None:
            new.append(create(key, values))
            continue
        diff = {name: v for name, v in values.items() if getattr(obj, name) != v}
        if diff:
            for name, v in diff.items():
                setattr(obj, name, v)
            changed.append(obj)
            fields.update(diff)
        else:
            result.skipped += 1
    model.objects.bulk_create(new, batch_size=1000)
    if changed:
        model.objects.bulk_update(changed, sorted(fields), batch_size=1000)
    result.imported += len(new)
    result.updated += len(changed)


def _by_code(model, codes):
    return {
        obj.code: obj for batch in _batched(codes) for obj in model.objects.filter(code__in=batch)
    }


def _clean_rows(rows, result, clean):
    """Yield (number, raw, values) of the rows ``clean`` accepts; reject the others."""
    for number, raw in rows:
        result.read += 1
        values, errors = clean(raw)
        if errors:
            result.reject(number, errors, raw)
        else:
            yield number, raw, values


def import_campaigns(rows, result, columns):
    """Campaigns by code: ``code``, ``start``, ``end`` and, when the sheet has it, ``name``."""

    def clean(raw):
        values, errors = _collect(
            raw,
            {
                "code": lambda r: text(r, "code", required=True, max_length=64),
                "start": lambda r: parse_date(r, "start"),
                "end": lambda r: parse_date(r, "end"),
            },
        )
        if "name" in columns:
            values["name"] = raw.get("name", "").strip()[:200]
        if not errors and values["end"] < values["start"]:
            errors.append(
                FieldError("end", "end before start", f"ends before it starts ({values['start']}).")
            )
        return values, errors

    wanted = {v.pop("code"): v for _, _, v in _clean_rows(rows, result, clean)}
    _upsert(
        Campaign,
        result,
        wanted,
        _by_code(Campaign, wanted),
        lambda code, v: Campaign(code=code, **v),
    )


def import_clients(rows, result, columns):
    """Clients by code; only the columns the sheet has are written. ``rep`` is a username."""
    reps = {}

    def rep(raw):
        username = text(raw, "rep")
        if not username:
            return None
        if username not in reps:
            reps[username] = (
                User.objects.filter(username=username).values_list("id", flat=True).first()
            )
        if reps[username] is None:
            raise FieldError("rep", "unknown rep", f"{username!r} is not a user.")
        return reps[username]

    parsers = {"code": lambda r: text(r, "code", required=True, max_length=64)}
    for key, length in (("name", 200), ("postcode", 16), ("province", 64)):
        if key in columns:
            parsers[key] = lambda r, key=key, length=length: text(r, key, max_length=length)
    if "rep" in columns:
        parsers["rep_id"] = rep
    wanted = {
        v.pop("code"): v for _, _, v in _clean_rows(rows, result, lambda r: _collect(r, parsers))
    }
    _upsert(
        Client, result, wanted, _by_code(Client, wanted), lambda code, v: Client(code=code, **v)
    )


def import_products(rows, result, columns, *, comma=False, technical=()):
    """Products, creating their families and lines; families in ``technical`` become
    technical, other new ones default to the row's ``family_kind`` or commodity."""
    kinds = ProductFamily.Kind.values

    def clean(raw):
        parsers = {
            "code": lambda r: text(r, "code", required=True, max_length=64),
            "family": lambda r: text(r, "family", required=True, max_length=64),
            "line": lambda r: text(r, "line", max_length=64),
            "name": lambda r: text(r, "name", max_length=200),
            "family_name": lambda r: text(r, "family_name", max_length=120),
            "family_kind": lambda r: text(r, "family_kind").lower(),
            "category": lambda r: text(r, "category"),
        }
        if "list_price" in columns:
            parsers["list_price"] = lambda r: parse_decimal(
                r, "list_price", comma=comma, required=False
            )
        if "launch_date" in columns:
            parsers["launch_date"] = lambda r: parse_date(r, "launch_date", required=False)
        values, errors = _collect(raw, parsers)
        if values.get("family_kind") and values["family_kind"] not in kinds:
            errors.append(
                FieldError("family_kind", "invalid kind", f"must be one of {', '.join(kinds)}.")
            )
        return values, errors

    accepted = [values for _, _, values in _clean_rows(rows, result, clean)]
    lines = {obj.code: obj for obj in ProductLine.objects.all()}
    for code in {v["line"] for v in accepted if v["line"]} - set(lines):
        lines[code] = ProductLine.objects.create(code=code, name=code)
    families = {obj.code: obj for obj in ProductFamily.objects.all()}
    for v in accepted:
        family = families.get(v["family"])
        if family is None:
            family = families[v["family"]] = ProductFamily.objects.create(
                code=v["family"],
                name=v["family_name"] or v["family"],
                kind=v["family_kind"] or ProductFamily.Kind.COMMODITY,
            )
        if v["line"] and family.line_id is None:
            family.line = lines[v["line"]]
            family.save(update_fields=["line"])
    for code in technical:
        if code in families and families[code].kind != ProductFamily.Kind.TECHNICAL:
            families[code].kind = ProductFamily.Kind.TECHNICAL
            families[code].save(update_fields=["kind"])

    existing = _by_code(Product, {v["code"] for v in accepted})
    wanted = {}
    for v in accepted:
        fields = {"family_id": families[v["family"]].pk}
        fields.update({k: v[k] for k in ("name", "list_price", "launch_date") if k in columns})
        if "category" in columns:
            current = existing[v["code"]].attributes if v["code"] in existing else {}
            fields["attributes"] = {**current, "category": v["category"]}
        wanted[v["code"]] = fields
    _upsert(Product, result, wanted, existing, lambda code, v: Product(code=code, **v))


def import_potentials(rows, result, columns, *, comma=False):
    """Potentials per (client, family, source); rows of the same triple (the ERP splits a
    family by product category) are added up."""
    by_code, by_name = {}, {}
    for pk, code, name in ProductFamily.objects.values_list("pk", "code", "name"):
        by_code[code] = pk
        by_name.setdefault(name.casefold(), pk)
    parsed = list(
        _clean_rows(
            rows,
            result,
            lambda raw: _collect(
                raw,
                {
                    "client": lambda r: text(r, "client", required=True),
                    "family": lambda r: text(r, "family", required=True),
                    "annual_potential": lambda r: parse_decimal(
                        r, "annual_potential", comma=comma, max_digits=14
                    ),
                    "source": lambda r: text(r, "source", max_length=64) or "erp",
                },
            ),
        )
    )
    clients = _lookup(Client.objects, "code", {v["client"] for _, _, v in parsed}, "id")
    totals = {}
    for number, raw, v in parsed:
        client = clients.get(v["client"])
        family = by_code.get(v["family"]) or by_name.get(v["family"].casefold())
        errors = []
        if client is None:
            errors.append(
                FieldError("client", "unknown client", f"client {v['client']!r} does not exist.")
            )
        if family is None:
            errors.append(
                FieldError("family", "unknown family", f"family {v['family']!r} does not exist.")
            )
        if v["annual_potential"] < 0:
            errors.append(
                FieldError(
                    "annual_potential", "negative potential", "annual_potential is negative."
                )
            )
        if errors:
            result.reject(number, errors, raw)
            continue
        key = (client[0], family, v["source"])
        totals[key] = totals.get(key, Decimal(0)) + v["annual_potential"]
    existing = {}
    for batch in _batched({k[0] for k in totals}):
        for p in Potential.objects.filter(client_id__in=batch):
            existing[(p.client_id, p.family_id, p.source)] = p
    _upsert(
        Potential,
        result,
        {k: {"annual_potential": v} for k, v in totals.items()},
        existing,
        lambda k, v: Potential(client_id=k[0], family_id=k[1], source=k[2], **v),
    )


# --- Sheets and directories ---------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """One known header layout: ``columns`` maps header -> plain key."""

    kind: str
    name: str
    columns: dict
    optional: frozenset = frozenset()

    @property
    def comma(self):
        return self.name == "erp"


FORMATS = [
    Format("orders", "erp", {"Num.Fact": "invoice", "Fecha": "date", "Id. Cliente": "client",
        "Id. Producto": "product", "Unidades": "units", "Valores_H": "net_value"}),
    Format("products", "erp", {"Id.Prod": "code", "Bloque analítico": "line",
        "Categoria_H": "category", "Familia_H": "family"},
        frozenset({"Bloque analítico", "Categoria_H"})),
    Format("clients", "erp", {"Id. Cliente": "code", "postcode": "postcode",
        "Provincia": "province"}),
    Format("potentials", "erp", {"Id.Cliente": "client", "Familia": "family",
        "Categoria Productos": "category", "Potencial_H": "annual_potential"},
        frozenset({"Categoria Productos"})),
    Format("campaigns", "erp", {"Campaña": "code", "Fecha inicio": "start", "Fecha fin": "end"}),
    Format("orders", "plain", {k: k for k in
        ("invoice", "line", "date", "client", "product", "units", "net_value")},
        frozenset({"line"})),
    Format("products", "plain", {k: k for k in ("code", "name", "family", "family_name",
        "family_kind", "line", "list_price", "launch_date")},
        frozenset({"name", "family_name", "family_kind", "line", "list_price", "launch_date"})),
    Format("clients", "plain", {k: k for k in ("code", "name", "postcode", "province", "rep")},
        frozenset({"name", "postcode", "province", "rep"})),
    Format("potentials", "plain", {k: k for k in ("client", "family", "annual_potential",
        "source")}, frozenset({"source"})),
    Format("campaigns", "plain", {k: k for k in ("code", "name", "start", "end")},
        frozenset({"name"})),
]  # fmt: skip


def normalise_header(name):
    """``' Id. Cliente\\ufeff'`` -> ``'idcliente'``: no BOM, accents, case, spaces, ``._-``."""
    name = unicodedata.normalize("NFKD", name.replace("\ufeff", "")).casefold()
    return "".join(c for c in name if c.isalnum())


def detect_format(header):
    """Return (format, {plain key: column index}) for a header row.

    The format sharing most columns wins; a missing required column raises
    :class:`SheetError` naming it, and so does a header no format recognises.
    """
    seen = {normalise_header(h): i for i, h in reversed(list(enumerate(header)))}

    def matches(fmt):
        return sum(normalise_header(h) in seen for h in fmt.columns)

    best = max(FORMATS, key=lambda f: (matches(f), matches(f) / len(f.columns)))
    if matches(best) < 2:
        raise SheetError(f"header not recognised: {', '.join(h.strip() for h in header)}")
    missing = [
        h for h in best.columns if h not in best.optional and normalise_header(h) not in seen
    ]
    if missing:
        raise SheetError(
            f"looks like {best.name} {best.kind} but lacks the column "
            f"{', '.join(repr(m) for m in missing)}; sheet rejected"
        )
    indexes = {
        key: seen[normalise_header(h)]
        for h, key in best.columns.items()
        if normalise_header(h) in seen
    }
    return best, indexes


def _encoding(path):
    """``utf-8-sig`` when the start of the file decodes as UTF-8, else Windows-1252."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


class Sheet:
    """A CSV file opened for reading: its format, delimiter and rows as plain-key dicts."""

    def __init__(self, path):
        self.path = Path(path)
        self.encoding = _encoding(self.path)
        with open(self.path, encoding=self.encoding, newline="") as f:
            first = f.readline()
        counts = {d: first.count(d) for d in ";,\t"}
        self.delimiter = max(counts, key=counts.get)
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        self.format, self.indexes = detect_format(self.header)
        self.kind = self.format.kind
        # Plain key -> the header as written in the file, for error messages.
        self.field_names = {key: self.header[i] for key, i in self.indexes.items()}

    def count_lines(self):
        """Number of data lines, counted quickly in binary."""
        with open(self.path, "rb") as f:
            return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1

    def rows(self):
        """Yield (line number, {plain key: value}); blank lines are skipped."""
        items = list(self.indexes.items())
        with open(self.path, encoding=self.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            next(reader, None)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                n = len(cells)
                yield reader.line_num, {k: cells[i] if i < n else "" for k, i in items}


@dataclass
class SheetReport:
    path: Path
    kind: str = ""
    format: str = ""
    result: ImportResult | None = None
    error: str = ""


def import_sheet(
    sheet, result, *, technical=(), chunk_size=CHUNK_SIZE, writer=bulk_insert, progress=None
):
    """Import one opened :class:`Sheet` into ``result``."""
    rows, columns, comma = sheet.rows(), set(sheet.indexes), sheet.format.comma
    if sheet.kind == "orders":
        OrderImport(
            result, comma=comma, chunk_size=chunk_size, writer=writer, progress=progress
        ).feed(rows)
        return
    with transaction.atomic():
        if sheet.kind == "campaigns":
            import_campaigns(rows, result, columns)
        elif sheet.kind == "clients":
            import_clients(rows, result, columns)
        elif sheet.kind == "products":
            import_products(rows, result, columns, comma=comma, technical=technical)
        else:
            import_potentials(rows, result, columns, comma=comma)


class ErrorFile:
    """Writes rejected rows to a CSV: file, line, field, reason, message, row (as JSON)."""

    def __init__(self, path):
        self.file = open(path, "w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(["file", "line", "field", "reason", "message", "row"])

    def sink_for(self, name):
        def sink(row, field, reason, message, raw):
            data = json.dumps(raw, ensure_ascii=False) if raw is not None else ""
            self.writer.writerow([name, row, field, reason, message, data])

        return sink

    def close(self):
        self.file.close()


def import_directory(
    directory,
    *,
    technical=(),
    errors_to=None,
    max_errors=20,
    chunk_size=CHUNK_SIZE,
    writer=bulk_insert,
    progress=None,
):
    """Import every ``*.csv`` sheet of ``directory`` in dependency order.

    Return a list of :class:`SheetReport`, one per file; an unreadable sheet has ``error``
    set and nothing of it is stored. ``errors_to`` is an :class:`ErrorFile` or None;
    ``progress(total, desc)`` returns a tqdm-like bar for the sales sheets, or None.
    """
    reports, sheets = [], []
    for path in sorted(Path(directory).glob("*.csv")):
        report = SheetReport(path)
        reports.append(report)
        try:
            sheet = Sheet(path)
        except (SheetError, UnicodeDecodeError, csv.Error) as error:
            report.error = str(error)
            continue
        report.kind, report.format = sheet.kind, sheet.format.name
        sheets.append((KINDS.index(sheet.kind), path.name, sheet, report))
    for _, name, sheet, report in sorted(sheets, key=lambda s: s[:2]):
        report.result = ImportResult(max_errors=max_errors, field_names=sheet.field_names)
        if errors_to is not None:
            report.result.sink = errors_to.sink_for(name)
        bar = None
        if progress is not None and sheet.kind == "orders":
            bar = progress(sheet.count_lines(), name)
        try:
            import_sheet(
                sheet,
                report.result,
                technical=technical,
                chunk_size=chunk_size,
                writer=writer,
                progress=bar,
            )
        except csv.Error as error:
            report.error = f"unreadable CSV: {error}"
        finally:
            if bar is not None:
                bar.close()
    if sheets:
        analyze(Client, Product, Order, OrderLine, Potential)
    return sorted(reports, key=lambda r: (KINDS.index(r.kind) if r.kind else 9, r.path.name))
