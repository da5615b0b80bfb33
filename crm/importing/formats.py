"""Sheet layouts: the known header formats and how a header row is matched to one.

Two formats are known: the distributor's ERP export (Spanish headers, ``M/D/YYYY`` dates,
``1.234,56`` numbers) and the plain documented format (English headers, ISO dates, decimal
point). A sheet is recognised by its header: the format whose required columns are all present
wins (then the one sharing most columns). A required column the header lacks may come from the
user (``--columns clients:2=postcode``) or, for an unnamed column whose values are evidently
postcodes, from the data; every such decision is returned as a note for the import summary.
"""

import re
import unicodedata
from dataclasses import dataclass

from .values import SheetError

KINDS = ("campaigns", "clients", "products", "orders", "potentials")


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

    def required(self):
        return [key for h, key in self.columns.items() if h not in self.optional]


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


#: Plain keys a sheet's unnamed column may be recognised as, by what its values look like.
_EVIDENT = {"postcode": (re.compile(r"\d{5}"), "5-digit codes")}
_SAMPLE_SHARE = 0.9


def normalise_header(name):
    """``' Id. Cliente\\ufeff'`` -> ``'idcliente'``: no BOM, accents, case, spaces, ``._-``."""
    name = unicodedata.normalize("NFKD", name.replace("\ufeff", "")).casefold()
    return "".join(c for c in name if c.isalnum())


def parse_column_map(specs):
    """``["clients:2=postcode", ...]`` -> ``{"clients": {2: "postcode"}}``.

    The column is a 1-based number or a header as written; the key one of the kind's plain
    keys. Raises ValueError with the reason for a malformed spec.
    """
    mapping = {}
    for spec in specs or ():
        for part in filter(None, (p.strip() for p in spec.split(","))):
            match = re.fullmatch(r"(\w+):([^=]+)=(\w+)", part)
            if not match:
                raise ValueError(
                    f"--columns {part!r}: expected KIND:COLUMN=KEY, e.g. clients:2=postcode"
                )
            kind, column, key = match.groups()
            keys = {k for f in FORMATS if f.kind == kind for k in f.columns.values()}
            if not keys:
                raise ValueError(f"--columns {part!r}: the kind is one of {', '.join(KINDS)}")
            if key not in keys:
                raise ValueError(
                    f"--columns {part!r}: a {kind} key is one of {', '.join(sorted(keys))}"
                )
            column = column.strip()
            if column.isdigit():
                if int(column) < 1:
                    raise ValueError(f"--columns {part!r}: columns are numbered from 1")
                column = int(column)
            mapping.setdefault(kind, {})[column] = key
    return mapping


def detect_format(header):
    """Return (format, {plain key: column index}) for a header row; see :func:`match_format`."""
    fmt, indexes, _ = match_format(header)
    return fmt, indexes


def match_format(header, *, columns=None, sample=()):
    """Return (format, {plain key: column index}, notes) for a header row.

    ``columns`` is :func:`parse_column_map`'s mapping, ``sample`` a few data rows (lists of
    cells) to recognise an unnamed column by its values. The format whose required columns are
    all present wins, then the one sharing most columns; a header no format shares two columns
    with, or whose best format lacks a required column, raises :class:`SheetError` naming it.
    """
    seen = {}
    for i, h in reversed(list(enumerate(header))):
        if normalise_header(h):
            seen[normalise_header(h)] = i
    candidates = [_candidate(fmt, header, seen, columns or {}, sample) for fmt in FORMATS]
    best = max(candidates, key=lambda c: (not c[3], len(c[1]), len(c[1]) / len(c[0].columns)))
    fmt, indexes, notes, missing = best
    if len(indexes) < 2:
        raise SheetError(f"header not recognised: {', '.join(h.strip() for h in header)}")
    if missing:
        raise SheetError(
            f"looks like {fmt.name} {fmt.kind} but lacks the column "
            f"{', '.join(repr(m) for m in missing)}; sheet rejected"
        )
    for other, found, _, lacking in candidates:
        if other.kind != fmt.kind and lacking and len(found) >= len(indexes):
            notes.append(
                f"read as {fmt.name} {fmt.kind}, whose required columns are all present; it also "
                f"shares {len(found)} columns with {other.name} {other.kind}, which lacks "
                f"{', '.join(repr(m) for m in lacking)}"
            )
    return fmt, indexes, notes


def _candidate(fmt, header, seen, columns, sample):
    """(format, indexes, notes, missing headers) of ``header`` read as ``fmt``."""
    indexes = {
        key: seen[normalise_header(h)]
        for h, key in fmt.columns.items()
        if normalise_header(h) in seen
    }
    notes = []
    for column, key in columns.get(fmt.kind, {}).items():
        if key not in fmt.columns.values():
            continue
        i = column - 1 if isinstance(column, int) else seen.get(normalise_header(column))
        if i is None or i >= len(header):
            continue
        indexes[key] = i
        notes.append(
            f"column {i + 1} ({header[i].strip() or 'unnamed'}) read as {key}, as --columns asks"
        )
    taken = set(indexes.values())
    for h, key in fmt.columns.items():
        if key in indexes or h in fmt.optional or key not in _EVIDENT:
            continue
        pattern, what = _EVIDENT[key]
        unnamed = [i for i, h in enumerate(header) if not h.strip() and i not in taken]
        fits = [i for i in unnamed if _evident(pattern, sample, i)]
        if len(fits) == 1:
            indexes[key] = fits[0]
            taken.add(fits[0])
            notes.append(
                f"unnamed column {fits[0] + 1} read as {key}: its values are {what} "
                f"(--columns {fmt.kind}:{fits[0] + 1}=KEY reads it otherwise)"
            )
    missing = [h for h, key in fmt.columns.items() if h not in fmt.optional and key not in indexes]
    return fmt, indexes, notes, missing


def _evident(pattern, sample, i):
    values = [row[i].strip() for row in sample if i < len(row) and row[i].strip()]
    hits = sum(1 for v in values if pattern.fullmatch(v))
    return bool(values) and hits >= _SAMPLE_SHARE * len(values)
