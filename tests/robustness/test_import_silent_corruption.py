"""Rows that used to be stored wrong or dropped without a word: an unquoted decimal comma in
a comma-delimited file, an invoice split over two ERP files, a repeated client code, and a
``code,name`` clients sheet taken for campaigns."""

from decimal import Decimal

import pytest

from crm.models import Client, OrderLine, Product

pytestmark = pytest.mark.django_db


def test_unquoted_decimal_comma_in_comma_delimited_file_is_a_row_error(tmp_path, base, run_import):
    (tmp_path / "orders.csv").write_text(
        "invoice,line,date,client,product,units,net_value\n"
        "D1,1,2024-02-01,C001,P-ANE-1,1,10.5\n"
        "D1,2,2024-02-01,C001,P-ANE-1,1,1,5\n"
        "D1,3,2024-02-01,C001,P-ANE-1,2,3\n"
    )
    out = run_import(tmp_path)

    assert (
        "orders.csv line 3, net_value: 8 cells where the header has 7: "
        "'1,5' looks like a number with a decimal comma" in out
    )
    assert "rejected 1: extra cells" in out
    stored = dict(
        OrderLine.objects.filter(order__invoice_number="D1").values_list("line_number", "net_value")
    )
    assert stored == {1: Decimal("10.50"), 3: Decimal("3.00")}


def test_trailing_empty_cells_are_not_extra(tmp_path, run_import):
    (tmp_path / "clients.csv").write_text("code,name\nE1,Uno,,\nE2,Dos,\n")
    out = run_import(tmp_path)
    assert "imported 2, updated 0, skipped as already present 0, rejected 0" in out


def test_invoice_split_over_two_erp_files_keeps_every_line(tmp_path, base, run_import):
    header = "Num.Fact;Fecha;Id. Cliente;Id. Producto;Unidades;Valores_H\n"
    (tmp_path / "ventas_1.csv").write_text(
        header + "S1;1/3/2024;C001;P-ANE-1;1;1,00\nS1;1/3/2024;C001;P-AGU-1;2;2,00\n"
    )
    (tmp_path / "ventas_2.csv").write_text(header + "S1;1/3/2024;C001;P-IMP-1;3;3,00\n")
    out = run_import(tmp_path)

    assert (
        "ventas_2.csv (erp orders): read 1, imported 1, updated 0, skipped as already present 0"
        in out
    )
    lines = dict(
        OrderLine.objects.filter(order__invoice_number="S1").values_list(
            "line_number", "product__code"
        )
    )
    assert lines == {1: "P-ANE-1", 2: "P-AGU-1", 3: "P-IMP-1"}

    again = run_import(tmp_path)
    assert (
        "ventas_1.csv (erp orders): read 2, imported 0, updated 0, skipped as already present 2"
        in again
    )
    assert (
        "ventas_2.csv (erp orders): read 1, imported 0, updated 0, skipped as already present 1"
        in again
    )
    assert OrderLine.objects.filter(order__invoice_number="S1").count() == 3


def test_repeated_client_code_is_a_row_error_and_the_first_row_is_kept(tmp_path, run_import):
    (tmp_path / "clients.csv").write_text(
        "code,name,province\nR1,First,Madrid\nR2,Other,Soria\nR1,Second,Toledo\n"
    )
    out = run_import(tmp_path)

    assert (
        "clients.csv line 4, code: client R1 is on line 2 with other values; line 2 is kept." in out
    )
    assert "rejected 1: repeated client code" in out
    assert Client.objects.get(code="R1").name == "First"


def test_code_name_clients_sheet_is_clients_and_the_summary_says_why(tmp_path, run_import):
    (tmp_path / "clients.csv").write_text("code,name\nN1,Clínica Norte\n")
    out = run_import(tmp_path)

    assert "clients.csv (plain clients): read 1, imported 1" in out
    assert "read as plain clients, whose required columns are all present" in out
    assert "plain campaigns, which lacks 'start', 'end'" in out
    assert Client.objects.get(code="N1").name == "Clínica Norte"


def test_repeated_product_code_keeps_the_first_row(tmp_path, run_import):
    (tmp_path / "products.csv").write_text(
        "code,name,family\nX1,First,FAM\nX1,First,FAM\nX1,Second,FAM\n"
    )
    out = run_import(tmp_path)

    assert "products.csv line 3, code: product X1 repeats line 2 identically." in out
    assert "products.csv line 4, code: product X1 is on line 2 with other values" in out
    assert Product.objects.get(code="X1").name == "First"
