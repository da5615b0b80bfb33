"""Import of ERP extracts and plain CSV files into the CRM tables.

A directory holds up to five sheets (campaigns, clients, products, potentials, sales lines),
each recognised by its header row (:mod:`.sheets`). Reference sheets are small and read whole
(:mod:`.reference`); the sales sheet streams in chunks (:mod:`.orders`). Values are parsed by
:mod:`.values`. Every sheet is validated row by row: a bad row is reported with its line,
field and reason and the good rows are kept. Re-importing a file changes nothing.
"""

from .orders import CHUNK_SIZE, OrderImport, clean_order_row, import_order_rows
from .reference import import_campaigns, import_clients, import_potentials, import_products
from .sheets import (
    FORMATS,
    KINDS,
    ErrorFile,
    Format,
    Sheet,
    SheetReport,
    detect_format,
    import_directory,
    import_sheet,
    normalise_header,
)
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
    "normalise_header",
    "parse_date",
    "parse_decimal",
    "text",
]
