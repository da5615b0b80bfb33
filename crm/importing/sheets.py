"""Sheets and directories: opening a CSV file (encoding, delimiter, header matched to a format
by :mod:`.formats`), reading its rows, and importing a directory of sheets in dependency
order."""

import codecs
import csv
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from ..bulkload import analyze, bulk_insert
from ..models import Client, Order, OrderLine, Potential, Product
from .formats import KINDS, match_format
from .orders import CHUNK_SIZE, OrderImport
from .potentials import import_potentials
from .reference import import_campaigns, import_clients, import_products
from .values import ImportResult, SheetError


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

    #: Data rows read ahead to recognise an unnamed column by its values.
    SAMPLE = 200

    def __init__(self, path, columns=None):
        self.path = Path(path)
        self.encoding = _encoding(self.path)
        with open(self.path, encoding=self.encoding, newline="") as f:
            first = f.readline()
        counts = {d: first.count(d) for d in ";,\t"}
        self.delimiter = max(counts, key=counts.get)
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        with open(self.path, encoding=self.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            next(reader, None)
            sample = [cells for _, cells in zip(range(self.SAMPLE), reader, strict=False)]
        self.format, self.indexes, self.notes = match_format(
            self.header, columns=columns, sample=sample
        )
        self.kind = self.format.kind
        # Plain key -> the header as written in the file, for error messages.
        self.field_names = {key: self.header[i] or key for key, i in self.indexes.items()}

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
    sheet,
    result,
    *,
    technical=(),
    chunk_size=CHUNK_SIZE,
    writer=bulk_insert,
    progress=None,
    create_missing_clients=False,
):
    """Import one opened :class:`Sheet` into ``result``."""
    rows, columns, comma = sheet.rows(), set(sheet.indexes), sheet.format.comma
    for note in sheet.notes:
        result.note(note)
    if sheet.kind == "orders":
        OrderImport(
            result,
            comma=comma,
            chunk_size=chunk_size,
            writer=writer,
            progress=progress,
            create_missing_clients=create_missing_clients,
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
            import_potentials(
                rows, result, columns, comma=comma, create_missing_clients=create_missing_clients
            )


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
    columns=None,
    create_missing_clients=False,
):
    """Import every ``*.csv`` sheet of ``directory`` in dependency order (campaigns, clients,
    products, sales, then potentials, whose split between families reads the sales).

    Return a list of :class:`SheetReport`, one per file; an unreadable sheet has ``error``
    set and nothing of it is stored. ``errors_to`` is an :class:`ErrorFile` or None;
    ``progress(total, desc)`` returns a tqdm-like bar for the sales sheets, or None;
    ``columns`` maps columns to keys (:func:`.formats.parse_column_map`);
    ``create_missing_clients`` creates the clients that sales or potentials name but no
    clients sheet has, instead of rejecting their rows.
    """
    reports, sheets = [], []
    for path in sorted(Path(directory).glob("*.csv")):
        report = SheetReport(path)
        reports.append(report)
        try:
            sheet = Sheet(path, columns)
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
                create_missing_clients=create_missing_clients,
            )
        except csv.Error as error:
            report.error = f"unreadable CSV: {error}"
        finally:
            if bar is not None:
                bar.close()
    if sheets:
        analyze(Client, Product, Order, OrderLine, Potential)
    return sorted(reports, key=lambda r: (KINDS.index(r.kind) if r.kind else 9, r.path.name))
