"""Sheets and directories: opening a CSV file (encoding, delimiter, header matched to a format
by :mod:`.formats`), reading its rows, and importing a directory of sheets in dependency
order."""

import csv
import io
import json
import re
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from ..bulkload import analyze, bulk_insert
from ..models import Client, Order, OrderLine, Potential, Product
from .formats import KINDS, match_format
from .orders import CHUNK_SIZE, OrderImport
from .potentials import import_potentials
from .reference import import_campaigns, import_clients, import_products
from .values import FieldError, ImportResult, SheetError

#: Longest field read (the csv module's default is 128 KiB); a longer one is a row error.
FIELD_LIMIT = 1 << 20
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
_DIGITS = re.compile(r"[+-]?\d+")


class Lines:
    """The text lines of a file, each decoded as UTF-8 or, when it is not UTF-8, as
    Windows-1252 (a byte undefined there reads as U+FFFD, which :func:`.values.text` rejects).
    The encoding is thus decided line by line over the whole file; ``fallback`` counts the
    lines read as Windows-1252 and ``first`` keeps the first few of their numbers."""

    def __init__(self, path):
        self.path, self.fallback, self.first, self.total = path, 0, [], 0

    def __iter__(self):
        with open(self.path, "rb") as f:
            head = f.read(1 << 16)
            f.seek(0)
            if b"\r" in head and b"\n" not in head:  # old Mac line ends: CR only
                f = io.BytesIO(f.read().replace(b"\r", b"\n"))
            for number, raw in enumerate(f, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = raw.decode("cp1252", errors="replace")
                    self.fallback += 1
                    if len(self.first) < 5:
                        self.first.append(number)
                self.total = number
                yield line.lstrip("\ufeff") if number == 1 else line

    def note(self):
        """A sentence for the summary when some lines were not UTF-8, else None."""
        if not self.fallback:
            return None
        if self.fallback == self.total:
            return "the file is not UTF-8: read as Windows-1252"
        shown = ", ".join(map(str, self.first)) + (", ..." if self.fallback > 5 else "")
        return (
            f"{self.fallback} lines are not UTF-8 and were read as Windows-1252 (lines {shown}); "
            "the others as UTF-8"
        )


class Sheet:
    """A CSV file opened for reading: its format, delimiter and rows as plain-key dicts."""

    #: Data rows read ahead to recognise an unnamed column by its values.
    SAMPLE = 200

    def __init__(self, path, columns=None):
        self.path = Path(path)
        with closing(iter(Lines(self.path))) as lines:
            first = next(lines, "")
        counts = {d: first.count(d) for d in ";,\t"}
        self.delimiter = max(counts, key=counts.get)
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        with closing(self._cells()) as rows:
            sample = [row[1] for _, row in zip(range(self.SAMPLE), rows, strict=False)]
        self.format, self.indexes, self.notes = match_format(
            self.header, columns=columns, sample=[c for c in sample if c is not None]
        )
        self.kind = self.format.kind
        # Plain key -> the header as written in the file, for error messages.
        self.field_names = {key: self.header[i] or key for key, i in self.indexes.items()}

    def count_lines(self):
        """Number of data lines, counted quickly in binary."""
        with open(self.path, "rb") as f:
            return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1

    def _cells(self, lines=None):
        """Yield (line number, cells or None, csv error) of the data rows."""
        reader = csv.reader(lines or Lines(self.path), delimiter=self.delimiter)
        next(reader, None)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield reader.line_num, None, error
                continue
            yield reader.line_num, cells, None

    def rows(self, result=None):
        """Yield (line number, {plain key: value}); blank lines are skipped.

        A row the csv module cannot read (a field over :data:`FIELD_LIMIT`) and a row with more
        cells than the header (``1,5`` unquoted in a comma-delimited file) are rejected into
        ``result`` and the next rows read; without ``result`` they are skipped.
        """
        items = list(self.indexes.items())
        width, lines = len(self.header), Lines(self.path)
        for number, cells, error in self._cells(lines):
            if error is not None:
                message = f"unreadable CSV row ({error}); the rows around it are read."
                self._reject(result, number, "row", "unreadable row", message, None)
                continue
            if not any(c.strip() for c in cells):
                continue
            n = len(cells)
            raw = {k: cells[i] if i < n else "" for k, i in items}
            if n > width and any(c.strip() for c in cells[width:]):
                key, message = self._extra_cells(cells, items)
                self._reject(result, number, key, "extra cells", message, raw)
                continue
            yield number, raw
        if result is not None and lines.note():
            result.note(lines.note())

    def _extra_cells(self, cells, items):
        message = f"{len(cells)} cells where the header has {len(self.header)}"
        digits = [bool(_DIGITS.fullmatch(c.strip())) for c in cells] + [False]
        split = [k for k, i in sorted(items, key=lambda kv: kv[1]) if digits[i] and digits[i + 1]]
        split = split[-1:]  # 1,1,5 in units, net_value: the value is the likelier split
        if self.delimiter == "," and split:
            value = f"{cells[self.indexes[split[0]]]},{cells[self.indexes[split[0]] + 1]}"
            message += (
                f": {value!r} looks like a number with a decimal comma split by the comma "
                "delimiter; quote it or use a decimal point"
            )
        return (split[0] if split else "row"), message + ". Row not imported."

    def _reject(self, result, number, key, reason, message, raw):
        if result is not None:
            result.read += 1
            result.reject(number, [FieldError(key, reason, message)], raw)


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
    rows, columns, comma = sheet.rows(result), set(sheet.indexes), sheet.format.comma
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
    from . import registry

    reports, sheets, claimed = [], [], {}
    for path in sorted(Path(directory).glob("*.csv")):
        report = SheetReport(path)
        reports.append(report)
        try:
            owner = registry.claim(registry.header_of(path))
        except (UnicodeDecodeError, csv.Error):
            owner = None
        if owner is not None:  # an engine's sheet (registry.register), read after crm's
            reader, report.kind = owner
            report.format = reader.engine
            claimed.setdefault(reader.engine, (reader, []))[1].append((path, report))
            continue
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
    for reader, items in claimed.values():
        _read_claimed(reader, items, create_missing_clients, max_errors, errors_to)

    def order(r):
        return (KINDS.index(r.kind) if r.kind in KINDS else len(KINDS), r.path.name)

    return sorted(reports, key=order)


def _read_claimed(reader, items, create_missing, max_errors, errors_to):
    """Let ``reader`` import the sheets it claimed; fill their reports."""
    from .registry import ReaderOptions

    def new_result(path):
        result = ImportResult(max_errors=max_errors)
        if errors_to is not None:
            result.sink = errors_to.sink_for(Path(path).name)
        return result

    by_path = {path: report for path, report in items}
    options = ReaderOptions(create_missing=create_missing, new_result=new_result)
    try:
        done = reader.import_sheets([(path, report.kind) for path, report in items], options)
    except Exception as error:  # the reader's bug must not hide crm's imported sheets
        for report in by_path.values():
            report.error = f"{reader.engine} reader failed: {error!r}"
        return
    for sheet in done:
        report = by_path.get(Path(sheet.path))
        if report is not None:
            report.result, report.error = sheet.result, sheet.error
            report.kind = sheet.kind or report.kind
    for report in by_path.values():
        if report.result is None and not report.error:
            report.error = f"the {reader.engine} reader did not import it"
