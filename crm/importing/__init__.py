"""Import of ERP extracts and plain CSV files into the CRM tables.

A directory holds up to five sheets (campaigns, clients, products, potentials, sales lines),
each recognised by its header row (:mod:`.formats`) and read by :mod:`.sheets`. Reference
sheets are small and read whole (:mod:`.reference`); the sales sheet streams in chunks
(:mod:`.orders`). Values are parsed by :mod:`.values`. Every sheet is validated row by row:
a bad row is reported with its line, field and reason and the good rows are kept.
Re-importing a file changes nothing.
"""

from .formats import (
    FORMATS,
    KINDS,
    Format,
    detect_format,
    match_format,
    normalise_header,
    parse_column_map,
)
from .orders import CHUNK_SIZE, OrderImport, clean_order_row, import_order_rows
from .potentials import import_potentials
from .reference import import_campaigns, import_clients, import_products
from .sheets import ErrorFile, Sheet, SheetReport, import_directory, import_sheet
from .values import FieldError, ImportResult, SheetError, parse_date, parse_decimal, text

__all__ = [
    "CHUNK_SIZE",
    "FORMATS",
    "KINDS",
    "ErrorFile",
    "FieldError",
    "Format",
    "ImportResult",
    "OrderImport",
    "Sheet",
    "SheetError",
    "SheetReport",
    "clean_order_row",
    "detect_format",
    "import_campaigns",
    "import_clients",
    "import_directory",
    "import_order_rows",
    "import_potentials",
    "import_products",
    "import_sheet",
    "match_format",
    "normalise_header",
    "parse_date",
    "parse_column_map",
    "parse_decimal",
    "text",
]
