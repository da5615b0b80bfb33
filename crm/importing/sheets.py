"""Sheets and directories: recognising a CSV file by its header, reading it, and importing a
directory of sheets in dependency order.

Two formats are known: the distributor's ERP export (Spanish headers, ``M/D/YYYY`` dates,
``1.234,56`` numbers) and the plain documented format (English headers, ISO dates, decimal
point).
"""

import codecs
import csv
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from ..bulkload import analyze, bulk_insert
from ..models import Client, Order, OrderLine, Potential, Product
from .orders import CHUNK_SIZE, OrderImport
from .reference import import_campaigns, import_clients, import_potentials, import_products
from .values import ImportResult, SheetError

KINDS = ("campaigns", "clients", "products", "potentials", "orders")


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
