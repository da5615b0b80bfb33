"""Import survey responses from a CSV sheet or from API rows.

Columns (header names are case-insensitive; aliases in :data:`ALIASES`): ``response_id``,
``client`` (client code), ``date`` (YYYY-MM-DD or M/D/YYYY), ``nps`` (0-10, may be empty),
``overall`` (0-5, may be empty), ``would_recommend`` (yes/no/sí/true/false/1/0, may be
empty), ``comment``, ``channel`` (email, web, phone, visit, other).

The importer conventions of ``crm.importing``: each bad row is reported with its line and
field (:class:`crm.importing.ImportResult`) and skipped, good rows are kept, and the import
is idempotent by ``response_id`` (re-importing the same file changes nothing; a changed row
updates its answer). A comment longer than :data:`~voice.models.COMMENT_MAX_LENGTH`
characters is cut there with a warning; a comment with no letters is kept with a warning.

:func:`read_survey_sheet` is a plain function ``(path, result=None) -> ImportResult``, so
``import_erp``'s sheet-reader registry can call it for a sheet whose header
:func:`matches_header`.
"""

import csv
import datetime as dt

from django.db import transaction

from crm.importing.sheets import Lines
from crm.importing.values import FieldError, ImportResult, SheetError, parse_date, shown, text
from crm.models import Client

from .analysis import analyse_survey
from .models import COMMENT_MAX_LENGTH, SurveyResponse
from .stats.text import has_letters

COLUMNS = (
    "response_id",
    "client",
    "date",
    "nps",
    "overall",
    "would_recommend",
    "comment",
    "channel",
)
REQUIRED = {"response_id", "client", "date"}
ALIASES = {
    "id": "response_id",
    "response": "response_id",
    "respuesta": "response_id",
    "client_code": "client",
    "cliente": "client",
    "fecha": "date",
    "score": "nps",
    "nps_score": "nps",
    "satisfaction": "overall",
    "satisfaccion": "overall",
    "overall_score": "overall",
    "recommend": "would_recommend",
    "recomendaria": "would_recommend",
    "comentario": "comment",
    "comments": "comment",
    "canal": "channel",
}
_YES = {"yes", "y", "si", "sí", "s", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}
CHANNELS = set(SurveyResponse.Channel.values)


def normalise(name):
    key = (name or "").strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def matches_header(header) -> bool:
    """Whether a sheet's column names are a survey sheet's."""
    return REQUIRED | {"nps"} <= {normalise(h) for h in header} or (
        REQUIRED | {"comment"} <= {normalise(h) for h in header}
    )


def _score(raw, key, top):
    value = text(raw, key)
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise FieldError(key, "invalid number", f"{shown(value)} is not a whole number.") from None
    if number != int(number):
        raise FieldError(key, "invalid number", f"{shown(value)} is not a whole number.")
    if not 0 <= number <= top:
        raise FieldError(key, "out of range", f"{shown(value)} is not between 0 and {top}.")
    return int(number)


def _boolean(raw, key):
    value = text(raw, key).lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise FieldError(key, "invalid value", f"{shown(value)} is not yes or no.")


def clean_row(raw, clients, today):
    """``(values, errors, warnings)`` of one raw row; ``clients`` maps codes to ids."""
    values, errors, warnings = {}, [], []

    def field(key, parse):
        try:
            values[key] = parse()
        except FieldError as error:
            errors.append(error)

    field("response_id", lambda: text(raw, "response_id", required=True, max_length=64))
    field("client", lambda: text(raw, "client", required=True, max_length=64))
    field("date", lambda: parse_date(raw, "date"))
    field("nps", lambda: _score(raw, "nps", 10))
    field("overall", lambda: _score(raw, "overall", 5))
    field("would_recommend", lambda: _boolean(raw, "would_recommend"))
    field("channel", lambda: text(raw, "channel").lower() or "other")
    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        warnings.append(("comment", f"is not text ({type(comment).__name__}); stored as text."))
        comment = str(comment)
    field("comment", lambda: text({"comment": comment}, "comment"))
    if values.get("client") and values["client"] not in clients:
        errors.append(
            FieldError(
                "client", "unknown client", f"{shown(values['client'])} is not a known client code."
            )
        )
    if values.get("date") and values["date"] > today:
        errors.append(FieldError("date", "future date", f"{values['date']} is in the future."))
    if values.get("channel") and values["channel"] not in CHANNELS:
        errors.append(
            FieldError(
                "channel",
                "invalid value",
                f"{shown(values['channel'])} is not one of {', '.join(sorted(CHANNELS))}.",
            )
        )
    if "comment" in values and "nps" in values and not values["comment"] and values["nps"] is None:
        errors.append(
            FieldError(
                "comment", "missing value", "is empty and so is nps: the answer says nothing."
            )
        )
    body = values.get("comment") or ""
    if len(body) > COMMENT_MAX_LENGTH:
        warnings.append(
            ("comment", f"{len(body):,} characters, cut to the first {COMMENT_MAX_LENGTH:,}.")
        )
        values["comment"] = body[:COMMENT_MAX_LENGTH]
    elif body and not has_letters(body):
        warnings.append(("comment", f"{shown(body)} has no words: stored, read as neutral."))
    return values, errors, warnings


def import_survey_rows(rows, result=None, *, today=None) -> ImportResult:
    """Import ``rows`` (``(line number, {column: value})``) into ``result``; return it."""
    result = result or ImportResult()
    today = today or dt.date.today()
    rows = [(line, {normalise(k): v for k, v in raw.items() if k}) for line, raw in rows]
    codes = {str(raw.get("client") or "").strip() for _, raw in rows}
    clients = dict(Client.objects.filter(code__in=codes).values_list("code", "id"))
    seen = {}
    for line, raw in rows:
        result.read += 1
        values, errors, warnings = clean_row(raw, clients, today)
        rid = values.get("response_id")
        if rid and rid in seen and not errors:
            errors.append(
                FieldError("response_id", "repeated", f"{shown(rid)} repeats line {seen[rid]}.")
            )
        if errors:
            result.reject(line, errors, raw)
            continue
        seen[rid] = line
        for key, message in warnings:
            result.warn(line, key, message)
        _store(values, clients, result)
    return result


def _store(values, clients, result):
    fields = {
        "client_id": clients[values["client"]],
        "date": values["date"],
        "nps": values["nps"],
        "overall": values["overall"],
        "would_recommend": values["would_recommend"],
        "comment": values["comment"],
        "channel": values["channel"],
    }
    with transaction.atomic():
        survey = SurveyResponse.objects.filter(response_id=values["response_id"]).first()
        if survey is None:
            survey = SurveyResponse.objects.create(response_id=values["response_id"], **fields)
            result.imported += 1
        elif all(getattr(survey, k) == v for k, v in fields.items()):
            result.skipped += 1
            return
        else:
            for key, value in fields.items():
                setattr(survey, key, value)
            survey.save()
            result.updated += 1
        analyse_survey(survey)


def read_rows(path):
    """``(line number, {column: value})`` of a CSV file (UTF-8 or Windows-1252, delimiter
    ``,``, ``;`` or tab), header normalised; :class:`SheetError` when it is not a survey sheet."""
    lines = list(Lines(path))
    if not lines:
        raise SheetError(f"{path}: the file is empty.")
    counts = {d: lines[0].count(d) for d in ";,\t"}
    delimiter = max(counts, key=counts.get)
    reader = csv.reader(lines, delimiter=delimiter)
    header = [normalise(h) for h in next(reader)]
    missing = REQUIRED - set(header)
    if missing:
        raise SheetError(
            f"{path}: not a survey sheet, missing column(s) {', '.join(sorted(missing))} "
            f"(found: {', '.join(h for h in header if h) or 'none'})."
        )
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
    return rows


def read_survey_sheet(path, result=None, *, today=None) -> ImportResult:
    """Import the survey sheet at ``path``; the reader ``import_erp`` can register."""
    return import_survey_rows(read_rows(path), result, today=today)


def recognise(names) -> str | None:
    """``import_erp``'s registry hook: ``"surveys"`` when the header is a survey sheet's."""
    return "surveys" if matches_header(names) else None


def import_erp_sheets(sheets, options):
    """Import the survey sheets ``import_erp`` found ours (``[(path, kind)]``): one crm
    ``SheetReport`` per sheet, with its counts and rejected rows."""
    from crm.importing.sheets import SheetReport

    reports = []
    for path, kind in sorted(sheets, key=lambda s: str(s[0])):
        result = read_survey_sheet(path, options.new_result(path))
        reports.append(SheetReport(path=path, kind=kind, format="surveys", result=result))
    return reports
