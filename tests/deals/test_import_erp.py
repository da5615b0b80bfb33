"""import_erp DIR reads the deal sheets too, through crm.importing.registry: crm's own sheets
first (so the clients a deal names exist), then the deals engine's, with the same summary."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.importing import registry
from crm.models import Client
from deals.models import Opportunity, StageChange

FIXTURES = Path(__file__).parent / "fixtures"


def import_erp(path, *args):
    out = StringIO()
    try:
        call_command("import_erp", str(path), "--no-progress", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_crm_and_deal_sheets_in_one_directory(team, tmp_path):
    shutil.copy(FIXTURES / "plain" / "stage_history.csv", tmp_path)
    (tmp_path / "clients.csv").write_text("code,name,rep\nC-new,New clinic,ben\n")
    rows = (FIXTURES / "plain" / "opportunities.csv").read_text().splitlines()
    rows.append("OP-8,New client deal,C-new,ben,700,inbound,South,Retail,proposal,2026-01-05,,,")
    (tmp_path / "opportunities.csv").write_text("\n".join(rows) + "\n")

    out, error = import_erp(tmp_path)
    assert error is None, out
    assert Client.objects.filter(code="C-new", name="New clinic").exists()
    ids = set(Opportunity.objects.values_list("external_id", flat=True))
    assert ids == {"OP-1", "OP-2", "OP-8"}, "the client sheet is read before the deals"
    assert "opportunities.csv (deals opportunities): read 9, imported 3, updated 0" in out
    assert "stage_history.csv (deals stage_history)" in out
    assert "opportunities.csv line 4, amount: is negative (-500)" in out
    assert "opportunities.csv line 5, stage: unknown stage 'Frozen'" in out
    changes = StageChange.objects.count()

    again, error = import_erp(tmp_path)
    assert (
        "opportunities.csv (deals opportunities): read 9, imported 0, updated 0, skipped " in again
    )
    assert StageChange.objects.count() == changes and Opportunity.objects.count() == 3


def test_the_public_sample_is_recognised_by_its_headers(db, tmp_path):
    for name in ("accounts.csv", "products.csv", "sales_pipeline.csv", "sales_teams.csv"):
        shutil.copy(FIXTURES / "public" / name, tmp_path / name)
    out, error = import_erp(tmp_path)
    # Not read as crm's products or clients: each is the deals engine's.
    assert "products.csv (deals sample_products)" in out
    assert "accounts.csv (deals sample_accounts)" in out
    assert "sales_teams.csv (deals sample_teams)" in out
    assert "sales_pipeline.csv line 2, sales_agent: unknown sales agent" in out
    assert Opportunity.objects.count() == 0

    out, error = import_erp(tmp_path, "--create-missing-clients")
    assert Opportunity.objects.count() == 6
    assert "sales_pipeline.csv line 8, deal_stage: unknown stage 'Stalled'" in out
    assert "decided: created account Nowhere Inc" in out


def test_another_engine_can_register_a_reader(db, tmp_path):
    (tmp_path / "surveys.csv").write_text("survey_id,client,score\nS1,C1,9\nS2,C1,x\n")
    seen = []

    def import_sheets(sheets, options):
        from crm.importing import FieldError
        from crm.importing.sheets import SheetReport

        reports = []
        for path, kind in sheets:
            result = options.new_result(path)
            result.read, result.imported = 2, 1
            result.reject(3, [FieldError("score", "bad score", "'x' is not a number")])
            seen.append((path.name, kind))
            reports.append(SheetReport(path, kind=kind, format="surveys", result=result))
        return reports

    registry.register(
        registry.SheetReader(
            "surveys", lambda h: "surveys" if {"survey_id", "score"} <= h else None, import_sheets
        )
    )
    try:
        out, _ = import_erp(tmp_path)
    finally:
        registry.unregister("surveys")
    assert seen == [("surveys.csv", "surveys")]
    assert "surveys.csv (surveys surveys): read 2, imported 1" in out
    assert "surveys.csv line 3, score: 'x' is not a number" in out


@pytest.mark.parametrize("header", ["opportunity_id,stage,date", "Opportunity_ID;Stage;Date"])
def test_headers_are_matched_case_and_delimiter_blind(db, tmp_path, header):
    path = tmp_path / "h.csv"
    path.write_text(header + "\n")
    reader, kind = registry.claim(registry.header_of(path))
    assert reader.engine == "deals" and kind == "stage_history"


def test_a_semicolon_sheet_is_read_too(team, tmp_path):
    (tmp_path / "opps.csv").write_text(
        "opportunity_id;client;owner;amount;stage;created_date\nOP-9;C-ana;ana;1500,5;proposal;"
        "2026-01-05\n"
    )
    out, error = import_erp(tmp_path)
    assert error is None, out
    assert str(Opportunity.objects.get(external_id="OP-9").amount) == "1500.50"
