"""A 200,000-character field used to stop the file as "unreadable CSV" with no line number
and lose the good rows around it; now it is a row error naming the line and field, and a field
past the 1 MiB reading limit is a row error naming the line."""

import pytest

from crm.models import Client, OrderLine

pytestmark = pytest.mark.django_db


def test_200000_character_field_is_a_row_error(tmp_path, run_import):
    long = "x" * 200_000
    (tmp_path / "clients.csv").write_text(f"code,name\nA1,Before\nA2,{long}\nA3,After\n")
    out = run_import(tmp_path)

    assert (
        "clients.csv line 3, name: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... "
        "(200,000 characters) is longer than 200 characters." in out
    )
    assert set(Client.objects.values_list("code", flat=True)) == {"A1", "A3"}


def test_200000_character_sales_field_keeps_the_other_lines(tmp_path, base, run_import):
    long = "9" * 200_000
    (tmp_path / "ventas.csv").write_text(
        "Num.Fact;Fecha;Id. Cliente;Id. Producto;Unidades;Valores_H\n"
        "L1;1/3/2024;C001;P-ANE-1;1;1,00\n"
        f"L2;1/3/2024;C001;P-ANE-1;{long};1,00\n"
        "L3;1/3/2024;C001;P-ANE-1;1;2,00\n"
    )
    out = run_import(tmp_path)

    assert "ventas.csv line 3, Unidades: '9999" in out and "is too large." in out
    assert OrderLine.objects.filter(order__invoice_number__in=["L1", "L3"]).count() == 2


def test_field_past_the_reading_limit_is_a_row_error(tmp_path, run_import):
    huge = "y" * (1 << 21)
    (tmp_path / "clients.csv").write_text(f"code,name\nB1,Before\nB2,{huge}\nB3,After\n")
    out = run_import(tmp_path)

    assert "clients.csv line 3, row: unreadable CSV row (field larger than field limit" in out
    assert "read 3, imported 2, updated 0, skipped as already present 0, rejected 1" in out
    assert set(Client.objects.values_list("code", flat=True)) == {"B1", "B3"}
