"""Numbers too large for the database are row errors naming file, line and field; the other
rows are kept (a 27-digit number used to raise decimal.InvalidOperation, ERP potentials adding
up past 10^12 a database overflow)."""

from decimal import Decimal

import pytest

from crm.importing import import_order_rows
from crm.models import Client, OrderLine, Potential, Product

pytestmark = pytest.mark.django_db

HUGE = "1" * 27
ERP_SALES = "Num.Fact;Fecha;Id. Cliente;Id. Producto;Unidades;Valores_H\n"


@pytest.mark.parametrize("column, row", [
    ("Unidades", f"N2;1/3/2024;C001;P-ANE-1;{HUGE};1,00"),
    ("Valores_H", f"N2;1/3/2024;C001;P-ANE-1;1;{HUGE},50"),
    ("Valores_H", "N2;1/3/2024;C001;P-ANE-1;1;1.000.000.000.000.000.000.000.000,00"),
])  # fmt: skip
def test_erp_sales_number_too_large(tmp_path, base, run_import, column, row):
    (tmp_path / "ventas.csv").write_text(
        ERP_SALES
        + "N1;1/3/2024;C001;P-ANE-1;1;1,00\n"
        + row
        + "\nN3;1/3/2024;C002;P-AGU-1;2;3,00\n"
    )
    out = run_import(tmp_path)

    assert "read 3, imported 2, updated 0, skipped as already present 0, rejected 1" in out
    assert f"ventas.csv line 3, {column}: " in out and "is too large." in out
    assert set(OrderLine.objects.filter(order__invoice_number__startswith="N").values_list(
        "order__invoice_number", flat=True)) == {"N1", "N3"}  # fmt: skip


@pytest.mark.parametrize("sheet, header, row, column", [
    ("orders.csv", "invoice,date,client,product,units,net_value",
     f"P2,2024-03-01,C001,P-ANE-1,1,{HUGE}", "net_value"),
    ("potentials.csv", "client,family,annual_potential", f"C002,AGUJAS,{HUGE}.5",
     "annual_potential"),
    ("products.csv", "code,family,list_price", f"NEW-2,AGUJAS,{HUGE}", "list_price"),
])  # fmt: skip
def test_plain_number_too_large(tmp_path, base, run_import, sheet, header, row, column):
    good = {
        "orders.csv": "P1,2024-03-01,C001,P-ANE-1,1,2.5",
        "potentials.csv": "C001,AGUJAS,100",
        "products.csv": "NEW-1,AGUJAS,9.90",
    }[sheet]
    (tmp_path / sheet).write_text(f"{header}\n{good}\n{row}\n")
    out = run_import(tmp_path)

    assert f"{sheet} line 3, {column}: " in out and "is too large." in out
    assert "imported 1, updated 0, skipped as already present 0, rejected 1" in out
    assert (OrderLine.objects.filter(order__invoice_number="P1").exists()
            or Potential.objects.filter(client__code="C001", family__code="AGUJAS").exists()
            or Product.objects.filter(code="NEW-1").exists())  # fmt: skip


def test_api_rows_with_a_27_digit_number_are_row_errors(base):
    rows = [{"invoice": "A1", "date": "2024-03-01", "client": "C001", "product": "P-ANE-1",
             "units": HUGE, "net_value": "1"},
            {"invoice": "A2", "date": "2024-03-01", "client": "C001", "product": "P-ANE-1",
             "units": 1, "net_value": Decimal(HUGE)}]  # fmt: skip
    result = import_order_rows(rows)

    assert [(e["row"], e["field"]) for e in result.errors] == [(1, "units"), (2, "net_value")]
    assert all("too large" in e["message"] for e in result.errors)


def test_erp_potentials_adding_up_past_the_column_are_a_row_error(tmp_path, base, run_import):
    (tmp_path / "potencial.csv").write_text(
        "Id.Cliente;Familia;Categoria Productos;Potencial_H\n"
        "C001;AGUJAS;Agujas;600.000.000.000,00\n"
        "C001;AGUJAS;Otras;600.000.000.000,00\n"
        "C002;AGUJAS;Agujas;10,00\n"
    )
    out = run_import(tmp_path)

    assert (
        "potencial.csv line 3, Potencial_H: the potentials of this client and family add up" in out
    )
    assert "rejected 1: too large" in out
    stored = dict(
        Potential.objects.filter(family__code="AGUJAS").values_list(
            "client__code", "annual_potential"
        )
    )
    assert stored == {"C001": Decimal("600000000000.00"), "C002": Decimal("10.00")}
    assert Client.objects.count() == 3
