"""import_deals: both layouts, row-level errors naming file, line and field, idempotent."""

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.models import Client, User
from deals.models import Opportunity, StageChange

FIXTURES = Path(__file__).parent / "fixtures"


def run(path, *args):
    out = StringIO()
    call_command("import_deals", str(path), *args, stdout=out)
    return out.getvalue()


def test_plain_layout_keeps_good_rows_and_names_each_bad_one(team):
    out = run(FIXTURES / "plain")
    assert set(Opportunity.objects.values_list("external_id", flat=True)) == {"OP-1", "OP-2"}
    op1 = Opportunity.objects.get(external_id="OP-1")
    assert op1.amount == Decimal("12000.50") and op1.lead_source == "partner"
    assert op1.owner == team["ana"] and op1.outcome == "open" and op1.stage.code == "proposal"
    op2 = Opportunity.objects.get(external_id="OP-2")
    assert op2.outcome == "won" and op2.closed_date == dt.date(2026, 2, 20)
    assert list(op1.stage_changes.values_list("stage__code", flat=True)) == [
        "prospecting",
        "qualification",
        "proposal",
    ]
    assert "opportunities.csv line 4, amount: is negative (-500)" in out
    assert "opportunities.csv line 5, stage: unknown stage 'Frozen'" in out
    assert "opportunities.csv line 6, closed_date: 2026-02-01 is before the created date" in out
    assert "opportunities.csv line 7, opportunity_id: duplicate opportunity id 'OP-1'" in out
    assert "opportunities.csv line 8, created_date: '31-02-2026' is not a date" in out
    assert "opportunities.csv line 9, client: unknown account 'NOPE'" in out
    assert "stage_history.csv line 6, opportunity_id: unknown opportunity 'OP-9'" in out
    assert "stage_history.csv line 7, date: 2025-12-01 is before the deal was created" in out
    assert "8 rows rejected" in out

    changes = StageChange.objects.count()
    again = run(FIXTURES / "plain")
    assert "0 created, 0 updated, 2 unchanged; 0 stage changes added" in again
    assert StageChange.objects.count() == changes


def test_public_layout_reports_unknown_accounts_and_agents_per_row(db):
    out = run(FIXTURES / "public")
    assert Opportunity.objects.count() == 0
    assert "sales_pipeline.csv line 2, sales_agent: unknown sales agent 'Dustin Brinkman'" in out
    assert "accounts.csv: accounts" in out and "sales_teams.csv: teams" in out


def test_public_layout_with_create_missing(db):
    out = run(FIXTURES / "public", "--create-missing")
    ids = set(Opportunity.objects.values_list("external_id", flat=True))
    assert ids == {"1C1I7A6R", "Z063OYW0", "EC4QE1BX", "MV1LWRNH", "PE84CX4O", "ZZZZ0001"}
    # Day-first dates: 20-10-16 is 20 October 2016.
    day_first = Opportunity.objects.get(external_id="Z063OYW0")
    assert day_first.created_date == dt.date(2016, 10, 20)
    assert day_first.closed_date == dt.date(2017, 3, 1) and day_first.amount == Decimal("4514")
    # A lost deal's close_value is 0 in this layout: its amount is the product's price.
    lost = Opportunity.objects.get(external_id="EC4QE1BX")
    assert lost.outcome == "lost" and lost.amount == Decimal("55")
    assert lost.segment == "retail" and lost.region == "Central"
    engaging = Opportunity.objects.get(external_id="MV1LWRNH")
    assert engaging.outcome == "open" and engaging.stage.code == "qualification"
    moses = User.objects.get(first_name="Moses", last_name="Frase")
    assert moses.manager.get_full_name() == "Dustin Brinkman" and moses.manager.is_manager
    assert Client.objects.filter(code="Nowhere Inc").exists()
    assert "sales_pipeline.csv line 8, deal_stage: unknown stage 'Stalled'" in out
    assert "sales_pipeline.csv line 9, closed_date: 2016-12-10 is before the created date" in out
    assert "sales_pipeline.csv line 10, opportunity_id: duplicate opportunity id" in out
    won = Opportunity.objects.get(external_id="1C1I7A6R")
    assert list(won.stage_changes.values_list("stage__code", "date")) == [
        ("qualification", dt.date(2016, 10, 20)),
        ("won", dt.date(2017, 3, 1)),
    ]
    again = run(FIXTURES / "public", "--create-missing")
    assert "0 created, 0 updated, 6 unchanged; 0 stage changes added" in again


def test_a_missing_directory_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        run(tmp_path / "nope")
