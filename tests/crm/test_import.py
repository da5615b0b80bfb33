import csv
import shutil
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.importing import FieldError, detect_format, import_order_rows, parse_date, parse_decimal
from crm.models import (
    Campaign,
    Client,
    Order,
    OrderLine,
    Potential,
    Product,
    ProductFamily,
)

FIXTURES = Path(__file__).parent / "fixtures"
ERP_HEADER = "Num.Fact;Fecha;Id. Cliente;Id. Producto;Unidades;Valores_H\n"

pytestmark = pytest.mark.django_db


def run_import(directory, *args):
    out = StringIO()
    call_command("import_erp", str(directory), "--no-progress", *args, stdout=out)
    return out.getvalue()


def lines():
    """{(invoice, line): (date, client, product, family, units, net_value)}."""
    return {
        (ol.order.invoice_number, ol.line_number): (
            ol.date,
            ol.client.code,
            ol.product.code,
            ol.family.code,
            ol.units,
            ol.net_value,
        )
        for ol in OrderLine.objects.select_related("order", "client", "product", "family")
    }


@pytest.fixture
def erp_dir(tmp_path):
    target = tmp_path / "erp"
    shutil.copytree(FIXTURES / "erp", target)
    return target


def add_sales(directory, *rows, name="a_ventas.csv"):
    with open(directory / name, "a", encoding="utf-8") as f:
        f.writelines(row + "\n" for row in rows)


# --- ERP format --------------------------------------------------------------------------


def test_erp_export_imports_every_sheet():
    out = run_import(FIXTURES / "erp", "--technical", "IMPL")

    assert "a_ventas.csv (erp orders): read 6, imported 6" in out
    d, D = date, Decimal
    assert lines() == {
        ("F1001", 1): (d(2024, 1, 15), "C001", "P-ANE-1", "ANEST", D("10"), D("1234.56")),
        ("F1001", 2): (d(2024, 1, 15), "C001", "P-AGU-1", "AGUJAS", D("5"), D("45.50")),
        ("F1002", 1): (d(2024, 2, 3), "C002", "P-IMP-1", "IMPL", D("1"), D("850")),
        ("F1003", 1): (d(2024, 2, 20), "C001", "P-ANE-1", "ANEST", D("-2"), D("-246.91")),
        ("F1003", 2): (d(2024, 2, 20), "C001", "P-ANE-2", "ANEST", D("0"), D("-15")),
        ("F1004", 1): (d(2024, 3, 5), "C003", "P-AGU-1", "AGUJAS", D("1000"), D("2500")),
    }
    assert Order.objects.get(invoice_number="F1003").client.code == "C001"
    assert Client.objects.get(code="C002").province == "Barcelona"
    assert Client.objects.get(code="C002").postcode == "08001"
    assert Product.objects.get(code="P-IMP-1").attributes == {"category": "Implantes cónicos"}
    kinds = dict(ProductFamily.objects.values_list("code", "kind"))
    assert kinds == {"ANEST": "commodity", "AGUJAS": "commodity", "IMPL": "technical"}
    assert ProductFamily.objects.get(code="IMPL").line.name == "Cirugía"
    # Potential rows of the same client and family (split by category) add up.
    potentials = Potential.objects.values_list("client__code", "family__code", "annual_potential")
    assert set(potentials) == {
        ("C001", "ANEST", Decimal("1500.50")),
        ("C002", "IMPL", Decimal("15000")),
    }
    campaign = Campaign.objects.get(code="PRIMAVERA24")
    assert (campaign.start, campaign.end) == (date(2024, 3, 1), date(2024, 4, 15))


def test_reimport_changes_nothing():
    run_import(FIXTURES / "erp")
    before = lines()
    out = run_import(FIXTURES / "erp")

    assert lines() == before
    assert Order.objects.count() == 4
    assert (
        "a_ventas.csv (erp orders): read 6, imported 0, updated 0, skipped as already present 6"
        in out
    )
    assert (
        "clientes.csv (erp clients): read 3, imported 0, updated 0, skipped as already present 3"
        in out
    )
    assert "Total: read 17, imported 0, skipped as already present 16, rejected 0" in out


def test_small_chunks_give_the_same_result_as_one_chunk():
    run_import(FIXTURES / "erp", "--chunk-size", "1")
    assert len(lines()) == 6
    assert lines()[("F1003", 2)][2] == "P-ANE-2"


def test_rejected_row_keeps_its_line_number_when_fixed_and_reimported(erp_dir):
    add_sales(erp_dir, "F1005;3/6/2024;C001;P-ANE-1;1;10", "F1005;3/6/2024;C001;P-NEW;1;20",
              "F1005;3/6/2024;C001;P-AGU-1;1;30")  # fmt: skip
    run_import(erp_dir)
    assert {k: v[5] for k, v in lines().items() if k[0] == "F1005"} == {
        ("F1005", 1): Decimal("10"),
        ("F1005", 3): Decimal("30"),
    }
    add_sales(erp_dir, "P-NEW,Consumibles,Carpules,ANEST", name="articulos.csv")
    out = run_import(erp_dir)

    assert "read 9, imported 1, updated 0, skipped as already present 8, rejected 0" in out
    assert lines()[("F1005", 2)][2] == "P-NEW"


def test_technical_option_updates_existing_family():
    run_import(FIXTURES / "erp")
    assert ProductFamily.objects.get(code="AGUJAS").kind == "commodity"
    run_import(FIXTURES / "erp", "--technical", "AGUJAS,IMPL")
    assert ProductFamily.objects.get(code="AGUJAS").kind == "technical"
    assert ProductFamily.objects.get(code="IMPL").kind == "technical"


# --- Bad rows ----------------------------------------------------------------------------

BAD_ROWS = [
    ("F2001;13/45/2024;C001;P-ANE-1;1;1,00", "Fecha", "invalid date", "is not a date"),
    (
        "F2002;1/2/2024;C001;P-ANE-1;diez;1,00",
        "Unidades",
        "invalid number",
        "'diez' is not a number",
    ),
    ("F2003;1/2/2024;C001;P-ANE-1;1;1,2,3", "Valores_H", "invalid number", "is not a number"),
    (
        "F2004;1/2/2024;C001;P-NOPE;1;1,00",
        "Id. Producto",
        "unknown product",
        "'P-NOPE' does not exist",
    ),
    (
        "F2005;1/2/2024;C999;P-ANE-1;1;1,00",
        "Id. Cliente",
        "unknown client",
        "'C999' does not exist",
    ),
    (
        "F1001;1/16/2024;C001;P-IMP-1;1;1,00",
        "Fecha",
        "invoice contradicts earlier row",
        "dated 2024-01-15",
    ),
    (
        "F1001;1/15/2024;C002;P-IMP-1;1;1,00",
        "Id. Cliente",
        "invoice contradicts earlier row",
        "client C001",
    ),
    (
        "F1001;1/15/2024;C001;P-AGU-1;5;45,5",
        "Num.Fact",
        "duplicated line",
        "repeats an earlier row",
    ),
    (";1/15/2024;C001;P-AGU-1;5;45,5", "Num.Fact", "missing value", "a value is required"),
]


@pytest.mark.parametrize("row, column, reason, message", BAD_ROWS)
def test_bad_row_is_reported_and_good_rows_are_kept(erp_dir, row, column, reason, message):
    add_sales(erp_dir, row)
    errors = erp_dir.parent / "errors.csv"
    out = run_import(erp_dir, "--errors", str(errors))

    assert (
        "(erp orders): read 7, imported 6, updated 0, skipped as already present 0, rejected 1"
        in out
    )
    assert f"rejected 1: {reason}" in out
    assert f"a_ventas.csv line 8, {column}:" in out
    assert message in out
    assert len(lines()) == 6
    with open(errors, encoding="utf-8") as f:
        (written,) = list(csv.DictReader(f))
    assert (written["file"], written["line"], written["field"]) == ("a_ventas.csv", "8", column)
    assert written["reason"] == reason


def test_stored_invoice_with_another_client_is_rejected(erp_dir):
    run_import(FIXTURES / "erp")
    (erp_dir / "a_ventas.csv").write_text(ERP_HEADER + "F1002;2/3/2024;C003;P-IMP-1;1;850\n")
    out = run_import(erp_dir)

    assert "rejected 1: invoice contradicts stored order" in out
    assert Order.objects.get(invoice_number="F1002").client.code == "C002"


def test_missing_column_rejects_the_sheet_and_names_file_and_column(erp_dir):
    (erp_dir / "a_ventas.csv").write_text(
        "Num.Fact;Fecha;Id. Cliente;Id. Producto;Valores_H\nF1;1/1/2024;C001;P-ANE-1;1\n"
    )
    with pytest.raises(CommandError, match="a_ventas.csv"):
        out = StringIO()
        call_command("import_erp", str(erp_dir), "--no-progress", stdout=out)
    assert "a_ventas.csv: REJECTED" in out.getvalue()
    assert "'Unidades'" in out.getvalue()
    assert Order.objects.count() == 0
    assert Client.objects.count() == 3  # the other sheets are imported


def test_unrecognised_sheet_is_reported(erp_dir):
    (erp_dir / "notes.csv").write_text("foo,bar\n1,2\n")
    with pytest.raises(CommandError, match="notes.csv"):
        call_command("import_erp", str(erp_dir), "--no-progress", stdout=StringIO())
    assert OrderLine.objects.count() == 6


# --- Plain format ------------------------------------------------------------------------


def test_plain_format_imports_every_sheet(make_user):
    ana = make_user("ana")
    out = run_import(FIXTURES / "plain")

    assert "orders.csv (plain orders): read 4, imported 4" in out
    assert lines() == {
        ("INV-1", 1): (date(2024, 1, 10), "K1", "ART-1", "ANEST", Decimal("20"), Decimal("798")),
        ("INV-1", 2): (date(2024, 1, 10), "K1", "ART-1", "ANEST", Decimal("-1"), Decimal("-39.90")),
        ("INV-2", 1): (date(2024, 1, 11), "K2", "ART-2", "IMPL", Decimal("2"), Decimal("420")),
        ("INV-2", 3): (date(2024, 1, 11), "K2", "ART-2", "IMPL", Decimal("0"), Decimal("-20")),
    }
    k1 = Client.objects.get(code="K1")
    assert (k1.name, k1.rep, k1.province) == ("Clínica Dental Sol", ana, "Madrid")
    art = Product.objects.get(code="ART-1")
    assert (art.name, art.list_price, art.launch_date) == (
        "Articaine 4% cartridges x50",
        Decimal("39.90"),
        date(2019, 5, 1),
    )
    impl = ProductFamily.objects.get(code="IMPL")
    assert (impl.name, impl.kind, impl.line.name) == ("Implants", "technical", "Surgery")
    assert set(Potential.objects.values_list("client__code", "annual_potential", "source")) == {
        ("K1", Decimal("4200"), "survey"),
        ("K2", Decimal("18000"), "erp"),
    }
    assert Campaign.objects.get(code="SPRING24").name == "Spring anaesthesia push"

    again = run_import(FIXTURES / "plain")
    assert (
        "orders.csv (plain orders): read 4, imported 0, updated 0, skipped as already present 4"
        in again
    )


def test_plain_unknown_rep_and_changed_client_fields(tmp_path, make_user):
    make_user("ana")
    run_import(FIXTURES / "plain")
    (tmp_path / "clients.csv").write_text(
        "code,name,province,rep\nK1,Clínica Dental Sol,Toledo,ana\nK2,Centro,Barcelona,nobody\n"
    )
    out = run_import(tmp_path)

    assert "read 2, imported 0, updated 1, skipped as already present 0, rejected 1" in out
    assert "clients.csv line 3, rep: 'nobody' is not a user." in out
    assert Client.objects.get(code="K1").province == "Toledo"
    assert Client.objects.get(code="K2").name == "Centro Implantes Mar"


def test_plain_duplicated_line_and_plain_numbers(tmp_path, make_user):
    make_user("ana")
    run_import(FIXTURES / "plain")
    (tmp_path / "orders.csv").write_text(
        "invoice,line,date,client,product,units,net_value\n"
        "INV-9,1,2024-02-01,K1,ART-1,1,10.5\n"
        "INV-9,1,2024-02-01,K1,ART-1,2,21\n"
        'INV-9,2,2024-02-01,K1,ART-1,1,"1,5"\n'
    )
    out = run_import(tmp_path)

    assert "orders.csv line 3, line: invoice INV-9 line 1 repeats an earlier row" in out
    assert "orders.csv line 4, net_value: '1,5' is not a number." in out
    assert lines()[("INV-9", 1)][5] == Decimal("10.50")
    assert ("INV-9", 2) not in lines()


# --- Values and headers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, comma, expected",
    [
        ("1.234,56", True, "1234.56"),
        ("1.234.567,8", True, "1234567.80"),
        ("-246,91", True, "-246.91"),
        ("45,5", True, "45.50"),
        ("1.000", True, "1000.00"),
        ("12.5", True, "12.50"),
        ("850", True, "850.00"),
        ("1234.56", False, "1234.56"),
        ("1.000", False, "1.00"),
        ("-0.5", False, "-0.50"),
    ],
)
def test_parse_decimal(value, comma, expected):
    assert parse_decimal({"units": value}, "units", comma=comma) == Decimal(expected)


@pytest.mark.parametrize(
    "value, comma",
    [("1,234.56", True), ("1,5", False), ("abc", True), ("1e5", False), ("NaN", False)],
)
def test_parse_decimal_rejects(value, comma):
    with pytest.raises(FieldError, match="is not a number"):
        parse_decimal({"units": value}, "units", comma=comma)


@pytest.mark.parametrize(
    "value, expected",
    [("1/15/2024", date(2024, 1, 15)), ("2024-01-15", date(2024, 1, 15)),
     ("12/31/2023 0:00:00", date(2023, 12, 31))],
)  # fmt: skip
def test_parse_date(value, expected):
    assert parse_date({"date": value}, "date") == expected


@pytest.mark.parametrize("value", ["15/1/2024", "2024-02-30", "1/15/24", "yesterday"])
def test_parse_date_rejects(value):
    with pytest.raises(FieldError, match="is not a date"):
        parse_date({"date": value}, "date")


def test_header_is_recognised_despite_bom_case_and_spacing():
    fmt, indexes = detect_format(["\ufeff num.fact", "FECHA ", "Id.Cliente", "Id. Producto",
                                  "Unidades", "Valores_H", "extra"])  # fmt: skip
    assert (fmt.kind, fmt.name) == ("orders", "erp")
    assert indexes["invoice"] == 0 and indexes["net_value"] == 5


# --- Service for the API -----------------------------------------------------------------


def api_rows():
    return [
        {"invoice": "API-1", "line": 1, "date": "2024-05-02", "client": "C001",
         "product": "P-ANE-1", "units": "3", "net_value": "30.00"},
        {"invoice": "API-1", "line": 2, "date": "2024-05-02", "client": "C001",
         "product": "P-NOPE", "units": "1", "net_value": "5.00"},
        {"invoice": "API-2", "date": "2024-05-03", "client": "C002",
         "product": "P-IMP-1", "units": "x", "net_value": "5.00"},
    ]  # fmt: skip


def test_import_order_rows_keeps_good_rows():
    run_import(FIXTURES / "erp")
    result = import_order_rows(api_rows())

    assert (result.read, result.imported, result.skipped) == (3, 1, 0)
    assert result.errors == [
        {"row": 2, "field": "product", "message": "product 'P-NOPE' does not exist."},
        {"row": 3, "field": "units", "message": "'x' is not a number."},
    ]
    assert lines()[("API-1", 1)][4:] == (Decimal("3"), Decimal("30"))

    again = import_order_rows(api_rows()[:1])
    assert (again.read, again.imported, again.skipped, again.errors) == (1, 0, 1, [])


def test_import_order_rows_atomic_stores_nothing_on_error():
    run_import(FIXTURES / "erp")
    result = import_order_rows(api_rows(), atomic=True)

    assert result.imported == 0
    assert [e["row"] for e in result.errors] == [2, 3]
    assert not Order.objects.filter(invoice_number__startswith="API").exists()

    good = import_order_rows(api_rows()[:1], atomic=True)
    assert (good.imported, good.errors) == (1, [])
    assert Order.objects.filter(invoice_number="API-1").exists()


def test_windows_1252_sheet_is_read(tmp_path):
    (tmp_path / "clientes.csv").write_bytes(
        "Id. Cliente;postcode;Provincia\nC010;11001;Cádiz\n".encode("cp1252")
    )
    run_import(tmp_path)
    assert Client.objects.get(code="C010").province == "Cádiz"


def test_errors_file_lists_every_rejected_row(erp_dir, tmp_path):
    add_sales(erp_dir, *(f"F3{i:03d};1/2/2024;C001;P-X{i};1;1,00" for i in range(30)))
    out = run_import(erp_dir, "--errors", str(tmp_path / "errors.csv"))

    assert "rejected 30: unknown product" in out
    assert "(first 20 errors shown; --errors FILE writes them all)" in out
    with open(tmp_path / "errors.csv", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [int(row["line"]) for row in written] == list(range(8, 38))
    assert written[0]["row"] == (
        '{"invoice": "F3000", "date": "1/2/2024", "client": "C001", "product": "P-X0", '
        '"units": "1", "net_value": "1,00"}'
    )


def test_reference_sheet_bad_rows_are_reported(tmp_path):
    run_import(FIXTURES / "erp")
    (tmp_path / "campaigns.csv").write_text(
        "code,name,start,end\nOK,Fine,2024-01-01,2024-01-31\nBAD,Backwards,2024-02-01,2024-01-01\n"
    )
    (tmp_path / "products.csv").write_text("code,family,family_kind\nP9,NEWFAM,premium\n")
    (tmp_path / "potentials.csv").write_text(
        "client,family,annual_potential\nC001,NOFAM,100\nC003,AGUJAS,250.5\n"
    )
    out = run_import(tmp_path)

    assert "campaigns.csv line 3, end: ends before it starts (2024-02-01)." in out
    assert "products.csv line 2, family_kind: must be one of commodity, technical." in out
    assert "potentials.csv line 2, family: family 'NOFAM' does not exist." in out
    assert set(Campaign.objects.values_list("code", flat=True)) == {"PRIMAVERA24", "OK"}
    assert not Product.objects.filter(code="P9").exists()
    assert Potential.objects.get(client__code="C003").annual_potential == Decimal("250.50")


def test_bench_import_prints_a_table_and_cleans_up():
    out = StringIO()
    call_command("bench_import", "--lines", "300", "--sample", "40", "--clients", "20", stdout=out)

    rows = [
        line.split() for line in out.getvalue().splitlines() if line.startswith(("import", "sales"))
    ]
    assert [(r[-5], r[-6]) for r in rows] == [
        ("300", "bulk_insert"),
        ("40", "bulk_insert"),
        ("40", "bulk_create"),
    ]
    assert not Client.objects.filter(code__startswith="BENCH-").exists()
    assert not Order.objects.exists()


def test_nul_character_is_a_row_error_not_a_crash():
    run_import(FIXTURES / "erp")
    row = {"invoice": "N1", "date": "2024-05-02", "client": "C0\x0001", "product": "P-ANE-1"}
    result = import_order_rows([{**row, "units": "1", "net_value": "1"}])

    assert result.errors == [{"row": 1, "field": "client", "message": "contains a NUL character."}]
