"""The distributor's real ERP layout (fixtures/distributor, written by make_distributor.py):
it loads whole, every decision is named in the summary, and it scores on its own dates."""

import csv
import shutil
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse

from crm.importing import detect_format, import_order_rows, match_format
from crm.models import Alert, Client, Order, OrderLine, Potential, ProductFamily, ProductLine
from twins.models import ScoringRun

DISTRIBUTOR = Path(__file__).parent / "fixtures" / "distributor"

pytestmark = pytest.mark.django_db


def run_import(directory, *args):
    out = StringIO()
    call_command("import_erp", str(directory), "--no-progress", *args, stdout=out)
    return out.getvalue()


def sheet(name):
    with open(DISTRIBUTOR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def euros(text):
    return Decimal(text.replace(".", "").replace(",", "."))


def block(out, name):
    """The summary lines of one sheet."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(name))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")), None)
    return "\n".join(lines[start:end])


@pytest.fixture
def imported():
    return run_import(DISTRIBUTOR, "--create-missing-clients")


def test_fixture_has_the_traits_of_the_real_export():
    raw = (DISTRIBUTOR / "Clientes.csv").read_bytes()
    assert raw.startswith(b"Id. Cliente,,Provincia\r\n")
    sales = sheet("Ventas.csv")
    assert any("," in row["Valores_H"] for row in sales)
    assert any(row["Num.Fact"] == "(en blanco)" for row in sales)
    potentials = sheet("Potencial.csv")
    assert {row["Categoria Productos"] for row in potentials} == {
        "Categoria C1",
        "Categoria C2",
        "Categoria T1",
    }
    assert sum(row["Potencial_H"] == "0,00" for row in potentials) >= len(potentials) // 3


def test_loads_whole_with_only_the_genuinely_bad_rows_rejected(imported):
    out = imported
    assert "Total: read 1424, imported 1435, skipped as already present 1, rejected 2" in out
    assert "Ventas.csv line 1362, Num.Fact: '(en blanco)' is a spreadsheet placeholder" in out
    assert "Clientes.csv line 15, Id. Cliente: client C106 is on line 7 with other values" in out
    # Net values add up to the export's (credit notes and adjustments included).
    good = [row for row in sheet("Ventas.csv") if row["Num.Fact"] != "(en blanco)"]
    assert OrderLine.objects.count() == len(good)
    stored = OrderLine.objects.aggregate(total=Sum("net_value"))["total"]
    assert stored == sum(euros(row["Valores_H"]) for row in good)


def test_unnamed_postcode_column_duplicates_and_province_doubts(imported):
    clients = block(imported, "Clientes.csv")
    assert "decided: unnamed column 2 read as postcode: its values are 5-digit codes" in clients
    assert "client C105 repeats line 6 identically" in clients
    assert "postcode 07001 is in Baleares, not in Barcelona; both kept as given." in clients
    assert Client.objects.get(code="C101").postcode == "29101"
    assert Client.objects.get(code="C103").province == "Barcelona"  # kept, as warned
    assert Client.objects.get(code="C106").province == "Zaragoza"  # the first occurrence
    assert Client.objects.get(code="C112").province == ""  # "-" is a placeholder
    assert not ProductLine.objects.filter(name="#N/A").exists()


def test_missing_clients_are_created_and_listed(imported):
    sales = block(imported, "Ventas.csv")
    assert "created 2 clients absent from the clients sheet" in sales and "C190, C191" in sales
    assert OrderLine.objects.filter(client__code="C190").exists()
    assert Potential.objects.filter(client__code="C191").count() == 4  # C1, C2, T1 split in two


def test_without_the_option_the_summary_suggests_it():
    out = run_import(DISTRIBUTOR)
    assert "rejected 165: unknown client" in block(out, "Ventas.csv")
    assert "`import_erp DIR --create-missing-clients` creates them" in out
    assert not Client.objects.filter(code__in=["C190", "C191"]).exists()


def test_credit_notes_keep_their_own_date_on_the_original_invoice(imported):
    assert "5 credit notes or adjustments on an earlier invoice" in block(imported, "Ventas.csv")
    order = Order.objects.get(invoice_number="F5001")
    assert order.date == date(2024, 1, 1)
    dates = sorted(order.lines.values_list("date", "net_value"))
    assert dates[0][0] == date(2024, 1, 1)
    assert dates[-1] == (date(2025, 12, 30), Decimal("-20.00"))


def test_potentials_map_through_the_category_and_split_by_sales(imported):
    names = dict(ProductFamily.objects.values_list("code", "name"))
    assert names["Familia C1"] == "Anestesia"
    assert names["Familia T2"] == "Biomateriales (Familia T2)"
    stated = {
        (row["Id.Cliente"], row["Categoria Productos"]): euros(row["Potencial_H"])
        for row in sheet("Potencial.csv")
    }

    def stored(client, *families):
        rows = Potential.objects.filter(client__code=client, family__code__in=families)
        return rows.aggregate(total=Sum("annual_potential"))["total"]

    for client in ("C101", "C104", "C108", "C190"):
        assert stored(client, "Familia C1") == stated[(client, "Categoria C1")]
        assert stored(client, "Familia T1", "Familia T2") == stated[(client, "Categoria T1")]
    # C104 buys only T-1 (Familia T1), C108 only T-2: each split follows the client's sales.
    c108 = dict(
        Potential.objects.filter(client__code="C108").values_list("family__code", "estimated_share")
    )
    assert (c108["Familia T1"], c108["Familia T2"], c108["Familia C1"]) == (0, 1, None)
    c104 = dict(
        Potential.objects.filter(client__code="C104").values_list("family__code", "estimated_share")
    )
    assert (c104["Familia T1"], c104["Familia T2"]) == (1, 0)
    # C101 bought no T1 product: the base's shares, strictly between 0 and 1.
    c101 = Potential.objects.get(client__code="C101", family__code="Familia T1")
    assert 0 < c101.estimated_share < 1
    potentials = block(imported, "Potencial.csv")
    assert "split between them (estimated split)" in potentials
    assert "Categoria T1 -> Familia T1, Familia T2" in potentials


def test_zero_potentials_are_stored(imported):
    zeros = sum(row["Potencial_H"] == "0,00" for row in sheet("Potencial.csv"))
    assert f"{zeros} potentials of 0,00 stored" in block(imported, "Potencial.csv")
    assert Potential.objects.filter(annual_potential=0).count() >= zeros


def test_reimport_changes_nothing_and_a_later_extract_adds_only_new_rows(imported, tmp_path):
    before = sorted(
        OrderLine.objects.values_list("order__invoice_number", "line_number", "date", "net_value")
    )
    potentials = sorted(Potential.objects.values_list("client_id", "family_id", "annual_potential"))
    again = run_import(DISTRIBUTOR, "--create-missing-clients")
    for line in again.splitlines():
        if " read " in line and not line.startswith(("Total", " ")):
            assert "imported 0, updated 0" in line, line
    assert (
        sorted(
            OrderLine.objects.values_list(
                "order__invoice_number", "line_number", "date", "net_value"
            )
        )
        == before
    )
    assert (
        sorted(Potential.objects.values_list("client_id", "family_id", "annual_potential"))
        == potentials
    )

    later = tmp_path / "later"
    shutil.copytree(DISTRIBUTOR, later)
    with open(later / "Ventas.csv", "a", encoding="utf-8", newline="") as f:
        f.write('F9001,1/7/2026,C101,A-1,2,"25,00"\r\nF9001,1/7/2026,C101,B-1,1,"40,00"\r\n')
        f.write('F5003,1/9/2026,C103,A-1,0,"-5,00"\r\n')  # a later credit note on an old invoice
    out = run_import(later, "--create-missing-clients")
    assert "imported 3, updated 0, skipped as already present 1360, rejected 1" in out
    assert OrderLine.objects.count() == len(before) + 3


def test_columns_option_names_a_column(tmp_path):
    (tmp_path / "Clientes.csv").write_text("Id. Cliente,CP,Provincia\r\nC1,28001,Madrid\r\n")
    out = StringIO()
    with pytest.raises(CommandError, match="Clientes.csv"):
        call_command("import_erp", str(tmp_path), "--no-progress", stdout=out)
    assert "lacks the column 'postcode'" in out.getvalue()
    out = run_import(tmp_path, "--columns", "clients:2=postcode")
    assert "decided: column 2 (CP) read as postcode, as --columns asks" in out
    assert Client.objects.get(code="C1").postcode == "28001"
    out = run_import(tmp_path, "--columns", "clients:CP=postcode")
    assert "skipped as already present 1" in out
    with pytest.raises(CommandError, match="a clients key is one of"):
        run_import(tmp_path, "--columns", "clients:2=zip")


def test_unnamed_column_that_is_not_a_postcode_is_not_guessed():
    with pytest.raises(Exception, match="lacks the column 'postcode'"):
        match_format(["Id. Cliente", "", "Provincia"], sample=[["C1", "Calle Mayor 1", "Madrid"]])
    fmt, indexes, notes = match_format(
        ["Id. Cliente", "", "Provincia"], sample=[["C1", "28001", "Madrid"], ["C2", "08001", "x"]]
    )
    assert (fmt.kind, indexes["postcode"]) == ("clients", 1)


def test_a_sheet_with_all_required_columns_wins_and_says_why():
    fmt, _ = detect_format(["code", "name"])
    assert (fmt.name, fmt.kind) == ("plain", "clients")
    _, _, notes = match_format(["code", "name"])
    assert any("plain campaigns, which lacks 'start', 'end'" in note for note in notes)


@pytest.mark.parametrize("placeholder", ["(en blanco)", "(blank)", "#N/A", "-"])
def test_spreadsheet_placeholders_are_missing_values(imported, placeholder):
    row = {"invoice": placeholder, "date": "2025-06-02", "client": "C101", "product": "A-1"}
    result = import_order_rows([{**row, "units": "1", "net_value": "1"}])
    assert result.imported == 0
    assert result.errors[0]["field"] == "invoice"
    assert "placeholder for an empty cell; a value is required" in result.errors[0]["message"]


# --- Scoring on the data's own dates -----------------------------------------------------


def test_score_defaults_to_the_week_of_the_latest_order(imported, client, make_user):
    out = StringIO()
    call_command("score", "--inline", "--no-progress", stdout=out)

    run = ScoringRun.objects.get()
    assert run.as_of == date(2026, 1, 4)  # the Sunday ending the week of 12/30/2025
    assert "As of 2026-01-04: the week of the latest order (2025-12-30)" in out.getvalue()
    assert run.pairs > 0 and run.alerts_created > 0
    assert Alert.objects.filter(as_of=date(2026, 1, 4)).count() == run.alerts_created
    zero = Potential.objects.filter(annual_potential=0).values_list("client_id", "family_id")
    uncaptured = Alert.objects.filter(kind="uncaptured_potential")
    assert not set(uncaptured.values_list("client_id", "family_id")) & set(zero)

    client.force_login(make_user("boss", role="manager", language="en"))
    html = client.get(reverse("web:run_status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "as of 2026-01-04" in html
    assert "Dated on the week of the latest order (2025-12-30)" in html


def test_a_run_long_after_the_data_is_warned(imported, client, make_user):
    out = StringIO()
    call_command("score", "--inline", "--no-progress", "--as-of", "2026-11-29", stdout=out)

    assert "Warning: as of 2026-11-29 is 47 weeks after the latest order (2025-12-30)" in (
        out.getvalue()
    )
    client.force_login(make_user("boss", role="manager", language="en"))
    html = client.get(reverse("web:run_status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "dated 47 weeks after the latest order (2025-12-30)" in html
