"""The value parsers of imported sheets, cell by cell: what is stored, and the rejection a
user reads (field, reason used to group rejections, message). Pure functions, no database;
each case is checked by hand. They kill the mutants of ``crm/importing/values.py`` that the
import tests leave alive (docs/testing.md)."""

from datetime import date
from decimal import Decimal

import pytest

from crm.importing.values import (
    FieldError,
    collect,
    is_placeholder,
    parse_date,
    parse_decimal,
    shown,
    text,
)


def rejection(parse, *args, **kwargs):
    """(field, reason, message) of the FieldError that ``parse`` raises."""
    with pytest.raises(FieldError) as caught:
        parse(*args, **kwargs)
    error = caught.value
    assert str(error) == error.message
    return error.field, error.reason, error.message


# --- shown: how a rejected value is quoted in a message -----------------------------------


def test_a_value_up_to_sixty_characters_is_quoted_whole():
    assert shown("a" * 60) == "'" + "a" * 60 + "'"


def test_a_longer_value_is_cut_to_its_first_forty_characters_and_its_length():
    assert shown("a" * 61) == "'" + "a" * 40 + "'... (61 characters)"
    assert shown("b" * 1234) == "'" + "b" * 40 + "'... (1,234 characters)"


# --- text: placeholders, blanks, bad characters, length -----------------------------------


@pytest.mark.parametrize(
    "cell", ["(en blanco)", "(EN BLANCO)", "(blank)", "(Vacías)", "#N/A", "#n/d", "-"]
)
def test_spreadsheet_placeholders_are_read_as_empty(cell):
    assert is_placeholder(cell)
    assert text({"city": f"  {cell} "}, "city") == ""


@pytest.mark.parametrize("cell", ["--", "n/a", "blank", "(en blanco) x", "Madrid", "0"])
def test_other_short_values_are_not_placeholders(cell):
    assert not is_placeholder(cell)
    assert text({"city": cell}, "city") == cell


def test_a_value_is_stripped_and_a_missing_or_none_cell_is_empty():
    assert text({"city": "  Sevilla \t"}, "city") == "Sevilla"
    assert text({}, "city") == ""
    assert text({"city": None}, "city") == ""
    assert text({"units": 7}, "units") == "7"
    assert text({"city": ""}, "city", required=False) == ""


def test_a_required_value_that_is_blank_or_a_placeholder_is_rejected():
    assert rejection(text, {"code": "   "}, "code", required=True) == (
        "code",
        "missing value",
        "a value is required.",
    )
    assert rejection(text, {}, "code", required=True)[1] == "missing value"
    assert rejection(text, {"code": " #N/A "}, "code", required=True) == (
        "code",
        "missing value",
        "'#N/A' is a spreadsheet placeholder for an empty cell; a value is required.",
    )


def test_a_present_required_value_is_kept():
    assert text({"code": " C-7 "}, "code", required=True) == "C-7"


def test_nul_and_undecodable_bytes_are_rejected():
    assert rejection(text, {"name": "Ana\x00"}, "name") == (
        "name",
        "invalid character",
        "contains a NUL character.",
    )
    assert rejection(text, {"name": "Jos\ufffd"}, "name") == (
        "name",
        "invalid character",
        "contains a byte that is neither UTF-8 nor Windows-1252.",
    )


def test_a_value_may_be_exactly_as_long_as_its_column():
    assert text({"code": "abcde"}, "code", max_length=5) == "abcde"
    assert text({"code": "x" * 300}, "code") == "x" * 300  # no limit without max_length
    assert rejection(text, {"code": "abcdef"}, "code", max_length=5) == (
        "code",
        "value too long",
        "'abcdef' is longer than 5 characters.",
    )
    message = rejection(text, {"code": "z" * 100}, "code", max_length=80)[2]
    assert message == "'" + "z" * 40 + "'... (100 characters) is longer than 80 characters."


# --- parse_date ---------------------------------------------------------------------------


@pytest.mark.parametrize("cell, expected", [
    ("3/7/2024", date(2024, 3, 7)),  # month first
    (" 2024-03-07 ", date(2024, 3, 7)),
    ("2024-03-07T10:30:00", date(2024, 3, 7)),
    ("3/7/2024 10:30", date(2024, 3, 7)),
    (date(2023, 12, 31), date(2023, 12, 31)),  # a date cell (openpyxl) is taken as is
])  # fmt: skip
def test_dates_are_read_month_first_or_iso(cell, expected):
    assert parse_date({"date": cell}, "date") == expected


def test_a_date_is_required_unless_said_otherwise():
    assert rejection(parse_date, {"date": ""}, "date") == (
        "date",
        "missing value",
        "a value is required.",
    )
    assert parse_date({"date": " "}, "date", required=False) is None
    assert parse_date({"date": "(en blanco)"}, "date", required=False) is None


def test_a_date_that_is_not_one_names_the_formats():
    assert rejection(parse_date, {"fecha": "31/12/2024"}, "fecha") == (
        "fecha",
        "invalid date",
        "'31/12/2024' is not a date (M/D/YYYY or YYYY-MM-DD).",
    )


# --- parse_decimal ------------------------------------------------------------------------


def test_numbers_are_rounded_half_up_to_cents():
    assert parse_decimal({"v": "2.345"}, "v") == Decimal("2.35")
    assert parse_decimal({"v": "-2.345"}, "v") == Decimal("-2.35")
    assert parse_decimal({"v": " 1 234.5 "}, "v") == Decimal("1234.50")


def test_a_plain_sheet_reads_a_dot_as_the_decimal_mark_an_erp_sheet_as_thousands():
    assert parse_decimal({"v": "1.234"}, "v") == Decimal("1.23")  # plain: decimal point
    assert parse_decimal({"v": "1.234"}, "v", comma=True) == Decimal("1234.00")
    assert parse_decimal({"v": "1.234,5"}, "v", comma=True) == Decimal("1234.50")


def test_numbers_from_the_api_are_taken_at_their_value():
    assert parse_decimal({"v": 12}, "v") == Decimal("12.00")
    assert parse_decimal({"v": Decimal("12.345")}, "v") == Decimal("12.35")
    # A JSON number read as Decimal keeps its exponent: 1e3 is a thousand, 1e-7 rounds to 0.
    assert parse_decimal({"v": Decimal("1E+3")}, "v") == Decimal("1000.00")
    assert parse_decimal({"v": Decimal("1E-7")}, "v") == Decimal("0.00")


def test_a_boolean_is_not_a_number():
    assert rejection(parse_decimal, {"v": True}, "v") == (
        "v",
        "invalid number",
        "'True' is not a number.",
    )


def test_a_number_is_required_unless_said_otherwise():
    assert rejection(parse_decimal, {"units": " "}, "units") == (
        "units",
        "missing value",
        "a value is required.",
    )
    assert parse_decimal({"units": "#N/A"}, "units", required=False) is None
    assert parse_decimal({}, "units", required=False) is None


def test_a_value_that_is_not_a_number_is_rejected_with_its_reason():
    assert rejection(parse_decimal, {"net_value": "12 euros"}, "net_value") == (
        "net_value",
        "invalid number",
        "'12 euros' is not a number.",
    )
    assert rejection(parse_decimal, {"v": "1,5"}, "v", comma=False)[1] == "invalid number"


def test_a_number_fits_twelve_digits_with_two_decimals_by_default():
    assert parse_decimal({"v": "9999999999.99"}, "v") == Decimal("9999999999.99")
    assert rejection(parse_decimal, {"v": "10000000000"}, "v") == (
        "v",
        "too large",
        "'10000000000' is too large.",
    )
    assert parse_decimal({"v": "999.99"}, "v", max_digits=5) == Decimal("999.99")
    assert rejection(parse_decimal, {"v": "1000"}, "v", max_digits=5)[1] == "too large"


# --- collect: every field's error of a row ------------------------------------------------


def test_collect_returns_the_parsed_fields_and_every_fields_error():
    raw = {"date": "2024-02-30", "units": "3,5", "net_value": "abc", "client": "K1"}
    parsers = {
        "client": lambda raw, required: text(raw, "client", required=required),
        "date": lambda raw, required: parse_date(raw, "date", required=required),
        "units": lambda raw, required: parse_decimal(raw, "units", comma=required),
        "net_value": lambda raw, required: parse_decimal(raw, "net_value"),
    }
    values, errors = collect(raw, parsers, True)
    assert values == {"client": "K1", "units": Decimal("3.50")}
    assert [(e.field, e.reason) for e in errors] == [
        ("date", "invalid date"),
        ("net_value", "invalid number"),
    ]
