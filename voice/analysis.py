"""Analysing texts: one survey comment or visit note -> a :class:`TextAnalysis` row.

Cheap and pure (lexicon, no model), so it runs when a survey is imported or a note saved,
and again in each run for whatever is still pending (bulk-created rows send no signal).
"""

import hashlib

import pandas as pd
from django.db import transaction
from django.utils import timezone

from crm.models import VisitNote

from .models import SurveyResponse, TextAnalysis
from .stats import complaints, nps, sentiment
from .stats.text import clean

BATCH = 500


def text_hash(text, nps_score=None):
    raw = f"{nps_score}|{clean(text)}".encode("utf-8", "replace")
    return hashlib.sha1(raw).hexdigest()


def analyse_text(text, nps_score=None) -> dict:
    """The analysis fields of ``text`` (a comment or a note) answered with ``nps_score``."""
    text = clean(text)
    result = sentiment.analyse(text)
    found = complaints.themes(text)
    themes = complaints.complaint_themes(result.polarity, found, nps_score)
    quote, _value = sentiment.worst_sentence(text, result.language or None)
    return {
        "language": result.language,
        "polarity": result.polarity,
        "label": result.label,
        "is_complaint": bool(themes),
        "themes": themes,
        "quote": quote,
        "nps_category": nps.category(nps_score) or "",
        "nps_predicted": False,
        "text_hash": text_hash(text, nps_score),
    }


def _row_for_survey(survey):
    return TextAnalysis(
        survey=survey,
        client_id=survey.client_id,
        date=survey.date,
        analysed_at=timezone.now(),
        **analyse_text(survey.comment, survey.nps),
    )


def _row_for_note(note):
    return TextAnalysis(
        note=note,
        client_id=note.client_id,
        date=timezone.localtime(note.created_at).date(),
        analysed_at=timezone.now(),
        **analyse_text(note.text),
    )


def analyse_survey(survey) -> TextAnalysis:
    row = _row_for_survey(survey)
    with transaction.atomic():
        TextAnalysis.objects.filter(survey=survey).delete()
        row.save()
    return row


def analyse_note(note) -> TextAnalysis:
    row = _row_for_note(note)
    with transaction.atomic():
        TextAnalysis.objects.filter(note=note).delete()
        row.save()
    return row


def analyse_pending() -> int:
    """Analyse every survey and note without an analysis, or whose text or score changed
    since; return how many were (re)analysed."""
    done = 0
    current = dict(
        TextAnalysis.objects.filter(survey__isnull=False).values_list("survey_id", "text_hash")
    )
    stale = []
    for survey in SurveyResponse.objects.only("id", "client_id", "date", "nps", "comment"):
        if current.get(survey.pk) != text_hash(survey.comment, survey.nps):
            stale.append(survey)
    for start in range(0, len(stale), BATCH):
        chunk = stale[start : start + BATCH]
        rows = [_row_for_survey(s) for s in chunk]
        with transaction.atomic():
            TextAnalysis.objects.filter(survey__in=[s.pk for s in chunk]).delete()
            TextAnalysis.objects.bulk_create(rows)
        done += len(rows)
    current = dict(
        TextAnalysis.objects.filter(note__isnull=False).values_list("note_id", "text_hash")
    )
    stale = [
        n
        for n in VisitNote.objects.only("id", "client_id", "created_at", "text")
        if current.get(n.pk) != text_hash(n.text)
    ]
    for start in range(0, len(stale), BATCH):
        chunk = stale[start : start + BATCH]
        rows = [_row_for_note(n) for n in chunk]
        with transaction.atomic():
            TextAnalysis.objects.filter(note__in=[n.pk for n in chunk]).delete()
            TextAnalysis.objects.bulk_create(rows)
        done += len(rows)
    return done


def surveys_frame(as_of=None) -> pd.DataFrame:
    """Survey answers (dated up to ``as_of`` when given) as the frame :mod:`.stats.nps` reads."""
    qs = SurveyResponse.objects.all()
    if as_of is not None:
        qs = qs.filter(date__lte=as_of)
    rows = list(qs.values("id", "date", "nps", "overall", "would_recommend", "comment"))
    columns = ["id", "date", "nps", "overall", "would_recommend", "comment"]
    return pd.DataFrame(rows, columns=columns)


def predict_missing_categories(as_of) -> dict:
    """Fit the NPS-category model on answers with a score dated up to ``as_of`` and store its
    prediction for the answers without one. Returns the model's facts for the run."""
    frame = surveys_frame(as_of)
    if frame.empty:
        return {"nps_train": 0, "nps_predicted": 0, "nps_model": False}
    model = nps.fit(frame.astype({"nps": "float"}))
    missing = frame.loc[frame["nps"].isna()]
    predicted = 0
    if len(missing) and model.has_signal:
        categories = model.predict(missing)
        by_id = dict(zip(missing["id"].astype(int), categories, strict=True))
        rows = TextAnalysis.objects.filter(survey_id__in=list(by_id))
        for row in rows:
            row.nps_category = by_id[row.survey_id]
            row.nps_predicted = True
        TextAnalysis.objects.bulk_update(rows, ["nps_category", "nps_predicted"], batch_size=BATCH)
        predicted = len(rows)
    return {"nps_train": model.n_train, "nps_predicted": predicted, "nps_model": model.has_signal}
