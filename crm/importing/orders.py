"""Sales sheets: rows streamed in chunks into Order and OrderLine.

Validation is row by row (a bad row is rejected with its line, field and reason, the good
rows are kept); clients, products and stored invoices are looked up per chunk and the lines
are written with :func:`crm.bulkload.bulk_insert`. Re-importing a file changes nothing.
"""

import sys
from array import array
from collections import Counter
from contextlib import nullcontext

from django.db import transaction

from ..bulkload import batched, bulk_insert
from ..models import Client, Order, OrderLine, Product
from .reference import create_clients, note_created_clients
from .values import (
    FieldError,
    ImportResult,
    collect,
    date_or_none,
    decimal_or_reason,
    is_placeholder,
    lookup,
    parse_date,
    parse_decimal,
    shown,
    text,
)

CHUNK_SIZE = 50_000


def _line_number(raw, comma):
    value = text(raw, "line")
    if value and (not value.isdigit() or int(value) < 1 or int(value) > 2**31 - 1):
        raise FieldError(
            "line", "invalid line number", f"{shown(value)} is not a line number (1, 2, ...)."
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
    return _clean_order_fast(raw, comma) or collect(raw, _ORDER_FIELDS, comma)


def _clean_order_fast(raw, comma):
    """The common case of :func:`clean_order_row` (string values, all valid) in fewer steps;
    None sends the row through the field-by-field path that explains what is wrong."""
    try:
        invoice, client, product = (raw[k].strip() for k in ("invoice", "client", "product"))
        line = (raw.get("line") or "").strip()
        day = date_or_none(raw["date"].strip())
        units = decimal_or_reason(raw["units"].strip(), comma, 12)
        value = decimal_or_reason(raw["net_value"].strip(), comma, 14)
    except (KeyError, AttributeError):
        return None
    if (
        not (invoice and client and product and day)
        or "\x00" in invoice + client + product
        or len(invoice) > 64
        or is_placeholder(invoice)
        or is_placeholder(client)
        or is_placeholder(product)
        or units.__class__ is str
        or value.__class__ is str
        or (line and not (line.isdigit() and 0 < int(line) < 2**31))
    ):
        return None
    values = {"invoice": invoice, "line": int(line) if line else None, "date": day}
    values.update(client=client, product=product, units=units, net_value=value)
    return values, []


def is_adjustment(values):
    """A credit note or adjustment: a negative value, or no units (``0`` units with ``0,00`` or
    any value). ERP exports book them on the original invoice number with their own, later
    date; they are kept as lines of that invoice dated on their own day."""
    return values["net_value"] < 0 or values["units"] == 0


class OrderImport:
    """Streams sales rows into Order and OrderLine, ``chunk_size`` rows at a time.

    The only state kept across chunks is, per invoice seen in the input, its client, date,
    row count and the line keys already used (to number ERP rows and catch duplicates);
    clients, products and existing invoices are looked up per chunk. With
    ``create_missing_clients`` a client code absent from the database is created (code only)
    instead of rejecting its rows; the codes are listed in ``created_clients``.
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
        create_missing_clients=False,
    ):
        self.result, self.comma, self.chunk_size = result, comma, chunk_size
        self.create_missing_clients, self.created_clients = create_missing_clients, []
        self.adjustments = 0
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
        self._notes()

    def _notes(self):
        result = self.result
        note_created_clients(result, self.created_clients)
        if self.adjustments:
            result.note(
                f"{self.adjustments} credit notes or adjustments on an earlier invoice with a "
                "later date imported as lines of that invoice, each dated on its own day"
            )

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
        values["numbered"] = values["line"] is not None
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
        elif state[1] != values["date"] and not (
            values["date"] > state[1] and is_adjustment(values)
        ):
            errors.append(
                FieldError(
                    "date",
                    "invoice contradicts earlier row",
                    f"invoice {invoice} is dated {state[1]} on an earlier row.",
                )
            )
        keys = [line]
        if values["line"] is None:  # ERP row: a second identical row is a duplicate
            keys.append(
                hash((values["product"], values["units"], values["net_value"], values["date"]))
            )
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
        values["adjustment"] = values["date"] != state[1]
        self.pending.append((number, values, raw))

    def _resolve(self, cache, queryset, codes, *fields):
        missing = {code for code in codes if code not in cache}
        if missing:
            found = lookup(queryset, "code", missing, *fields)
            for code in missing:
                row = found.get(code)
                cache[code] = None if row is None else (row if len(fields) > 1 else row[0])

    def _create_clients(self, codes):
        """Create the clients ``codes`` (code only) and remember their ids."""
        created = create_clients(codes)
        self.clients.update(created)
        self.created_clients.extend(created)

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
        codes = {v["client"] for _, v, _ in chunk}
        self._resolve(self.clients, Client.objects, codes, "id")
        if self.create_missing_clients:
            self._create_clients(sorted(c for c in codes if self.clients[c] is None))
        self._resolve(
            self.products, Product.objects, {v["product"] for _, v, _ in chunk}, "id", "family_id"
        )
        stored = lookup(
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
            if not errors and order is not None and not _fits(order, client_id, values):
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
                first = self.invoices[values["invoice"]][1]
                new_orders.setdefault(values["invoice"], (first, client_id))
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
            for inv, row in lookup(Order.objects, "invoice_number", new_orders, "id").items()
        )
        taken, same = _stored_lines({row[0] for row in stored.values()})
        lines = []
        for values, client_id, (product_id, family_id) in good:
            order_id = ids[values["invoice"]]
            used = taken.setdefault(order_id, set())
            if values["numbered"]:
                if values["line"] in used:
                    result.skipped += 1
                    continue
            else:
                # An ERP row is present when its invoice has a stored line with the same content;
                # otherwise it is new, and takes the next free number when its ordinal is used
                # (an invoice whose lines are split over two files).
                key = (order_id, product_id, values["units"], values["net_value"], values["date"])
                if same[key] > 0:
                    same[key] -= 1
                    result.skipped += 1
                    continue
                if values["line"] in used:
                    values["line"] = max(used) + 1
            used.add(values["line"])
            self.adjustments += values["adjustment"]
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


def _fits(order, client_id, values):
    """Whether a row fits the stored order ``(id, client id, date)``: same client, and the
    same date unless the row is a later credit note or adjustment."""
    if order[1] != client_id:
        return False
    return order[2] == values["date"] or (order[2] < values["date"] and is_adjustment(values))


def _stored_lines(order_ids):
    """``({order id: line numbers}, Counter of (order id, product id, units, net value, date))``
    of the lines stored for ``order_ids``."""
    taken, same = {}, Counter()
    for batch in batched(order_ids):
        rows = OrderLine.objects.filter(order_id__in=batch).values_list(
            "order_id", "line_number", "product_id", "units", "net_value", "date"
        )
        for order_id, line, product_id, units, net_value, day in rows:
            taken.setdefault(order_id, set()).add(line)
            same[(order_id, product_id, units, net_value, day)] += 1
    return taken, same
