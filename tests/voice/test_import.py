"""import_surveys: row errors naming file, line and field; good rows kept; idempotent."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from voice.models import COMMENT_MAX_LENGTH, SurveyResponse, TextAnalysis

FIXTURES = Path(__file__).parent / "fixtures"


def run(path):
    out = StringIO()
    call_command("import_surveys", str(path), stdout=out)
    return out.getvalue()


def test_bad_rows_are_named_and_good_rows_kept(team):
    out = run(FIXTURES / "surveys.csv")
    assert set(SurveyResponse.objects.values_list("response_id", flat=True)) == {
        "R-1",
        "R-4",
        "R-6",
    }
    assert "surveys.csv line 3, nps: '11' is not between 0 and 10." in out
    assert "surveys.csv line 4, comment: is empty and so is nps" in out
    assert "surveys.csv line 6, client: 'NOPE' is not a known client code." in out
    assert "surveys.csv line 8, nps: 'abc' is not a whole number." in out
    assert "surveys.csv line 9, would_recommend: 'maybe' is not yes or no." in out
    assert "8 rows read; 3 answers created, 0 updated, 0 unchanged; 5 rejected." in out
    # An empty comment with a score is a valid answer: kept, with no comment to analyse.
    quiet = SurveyResponse.objects.get(response_id="R-4")
    assert quiet.comment == "" and quiet.nps == 3 and quiet.analysis.nps_category == "detractor"
    loud = TextAnalysis.objects.get(survey__response_id="R-6")
    assert loud.language == "en" and loud.label == "neg" and loud.is_complaint
    assert set(loud.themes) >= {"late_delivery", "rude_service"}


def test_reimport_changes_nothing_and_an_edit_updates(team, tmp_path):
    run(FIXTURES / "surveys.csv")
    analysed_at = TextAnalysis.objects.get(survey__response_id="R-1").analysed_at
    out = run(FIXTURES / "surveys.csv")
    assert "0 answers created, 0 updated, 3 unchanged" in out
    assert SurveyResponse.objects.count() == 3
    assert TextAnalysis.objects.get(survey__response_id="R-1").analysed_at == analysed_at
    edited = tmp_path / "edit.csv"
    edited.write_text(
        "response_id;client;date;nps;comment\nR-1;C001;2026-10-01;2;Muy caro y llegó tarde.\n",
        encoding="utf-8",
    )
    assert "0 answers created, 1 updated" in run(edited)
    analysis = TextAnalysis.objects.get(survey__response_id="R-1")
    assert analysis.nps_category == "detractor" and analysis.is_complaint


def test_very_long_and_non_text_comments_are_kept_with_a_warning(team, tmp_path):
    path = tmp_path / "odd.csv"
    long = "El pedido llegó tarde. " * 400
    path.write_text(
        "response_id,client,date,nps,comment\n"
        f'L-1,C001,2026-10-01,4,"{long}"\n'
        "L-2,C001,2026-10-02,8,###### 12345\n"
        "L-3,C001,2026-10-03,8,bad\x00byte\n",
        encoding="utf-8",
    )
    out = run(path)
    assert f"odd.csv line 2, comment (kept): {len(long.strip()):,} characters, cut" in out
    assert "odd.csv line 3, comment (kept): '###### 12345' has no words" in out
    assert "odd.csv line 4, comment: contains a NUL character." in out
    cut = SurveyResponse.objects.get(response_id="L-1")
    assert len(cut.comment) == COMMENT_MAX_LENGTH and cut.analysis.label == "neg"
    assert SurveyResponse.objects.get(response_id="L-2").analysis.label == "neu"


def test_not_a_survey_sheet_or_missing_file_is_a_clear_error(team, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("invoice,date,amount\n1,2026-01-01,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not a survey sheet, missing column"):
        run(path)
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nope.csv")


def test_windows_1252_file_and_spanish_headers(team, tmp_path):
    path = tmp_path / "encuesta.csv"
    text = "respuesta;cliente;fecha;nps;comentario\nE-1;C002;2026-09-09;10;Atención excelente\n"
    path.write_bytes(text.encode("cp1252"))
    assert "1 answers created" in run(path)
    assert SurveyResponse.objects.get(response_id="E-1").analysis.label == "pos"


def test_import_erp_reads_a_survey_sheet_beside_crm_sheets(team, tmp_path):
    """``import_erp DIR`` recognises the survey sheet by its header (the registry), stores the
    client sheet first so an answer may name a client it creates, and reports bad rows."""
    (tmp_path / "clients.csv").write_text("code,name,rep\nC-new,New clinic,ana\n")
    (tmp_path / "encuestas.csv").write_text(
        "response_id,client,date,nps,comment\n"
        "S-1,C-new,2026-10-02,3,El pedido llegó tarde otra vez.\n"
        "S-2,C001,2026-10-03,11,Todo bien.\n"
    )
    out = StringIO()
    call_command("import_erp", str(tmp_path), "--no-progress", stdout=out)
    text = out.getvalue()
    assert list(SurveyResponse.objects.values_list("response_id", "client__code")) == [
        ("S-1", "C-new")
    ]
    assert "encuestas.csv line 3, nps: '11' is not between 0 and 10." in text
    call_command("import_erp", str(tmp_path), "--no-progress", stdout=StringIO())
    assert SurveyResponse.objects.count() == 1, "re-importing changes nothing"
