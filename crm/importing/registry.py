"""The sheet-reader registry: engines teach ``import_erp DIR`` to read their own sheets.

crm reads its own sheets (campaigns, clients, products, potentials, sales lines) by their
headers (:mod:`.formats`). An engine whose records come from other sheets (the deals engine's
opportunities and stage history; later, surveys) registers a reader in its
``AppConfig.ready()``, so crm never imports the engine::

    from crm.importing import registry

    registry.register(
        registry.SheetReader(
            engine="deals",
            recognise=recognise,          # (frozenset of header names) -> sheet kind or None
            import_sheets=import_sheets,  # (list of (Path, kind), ReaderOptions) -> [SheetReport]
        )
    )

``recognise`` gets the header's column names stripped and lower-cased and returns a short
kind ("opportunities") when the sheet is the engine's, else ``None``. Registered readers are
asked first, in registration order; a sheet one of them claims is not read by crm. After crm's
own sheets are stored (so the clients, products and users a sheet names exist), each reader
gets all the sheets it claimed at once (it decides their order) and returns one
:class:`~crm.importing.sheets.SheetReport` per sheet, whose ``result`` is an
:class:`~crm.importing.values.ImportResult` made by ``options.new_result(path)`` (so the
summary, the error cap and ``--errors FILE`` work as for crm's sheets): count ``read``,
``imported``, ``updated``, ``skipped``; ``reject(line, [FieldError(field, reason, message)])``
each bad row; ``note(...)`` each decision taken. ``options.create_missing`` is
``import_erp --create-missing-clients``: create unknown referenced records instead of
rejecting the row. An exception a reader raises marks its sheets as not imported.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReaderOptions:
    """What ``import_erp`` passes to a reader."""

    create_missing: bool = False
    #: ``new_result(path)``: an ImportResult with the run's error cap and ``--errors`` sink.
    new_result: Callable = None


@dataclass(frozen=True)
class SheetReader:
    engine: str
    recognise: Callable[[frozenset], str | None]
    import_sheets: Callable[[list, ReaderOptions], list]


_REGISTRY: dict[str, SheetReader] = {}


def register(reader: SheetReader) -> SheetReader:
    """Add ``reader`` (one per engine; registering again replaces it)."""
    _REGISTRY[reader.engine] = reader
    return reader


def unregister(engine: str) -> SheetReader | None:
    """Remove the reader of ``engine`` (for tests); returns what was there."""
    return _REGISTRY.pop(engine, None)


def readers() -> list[SheetReader]:
    return list(_REGISTRY.values())


def claim(header) -> tuple[SheetReader, str] | None:
    """``(reader, kind)`` of the first registered reader that recognises ``header`` (column
    names as written), or ``None`` (then crm's own formats read the sheet)."""
    names = frozenset((h or "").strip().lstrip("\ufeff").lower() for h in header)
    for reader in _REGISTRY.values():
        kind = reader.recognise(names)
        if kind:
            return reader, kind
    return None


def header_of(path: Path) -> list[str]:
    """The header row of a CSV file (delimiter ``;``, ``,`` or tab, whichever is commonest)."""
    import csv

    from .sheets import Lines

    lines = iter(Lines(path))
    first = next(lines, "")
    counts = {d: first.count(d) for d in ";,\t"}
    delimiter = max(counts, key=counts.get)
    return next(csv.reader([first], delimiter=delimiter), [])
