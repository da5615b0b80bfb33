"""Read-side queries of the voice engine for the client page, the manager's voice page and
the API. Visibility is crm's: a rep sees their clients, a manager the team's, an admin all."""

import datetime as dt

import pandas as pd
from django.db.models import Exists, OuterRef

from crm.models import Feedback, VisitNote
from crm.selectors import clients_visible_to

from . import alert_kinds
from .models import SurveyResponse, TextAnalysis
from .stats import complaints, nps

#: Detractor answers of the last this-many days are listed until a visit note or an answer to
#: a detractor alert follows them.
CONTACT_WINDOW_DAYS = 90
MIN_ANSWERS_FOR_NPS = 5


def client_voice(client, *, limit=20):
    """The client page's section: survey answers (newest first) with their analysis, the NPS
    points (oldest first) and the notes' sentiment."""
    surveys = list(
        SurveyResponse.objects.filter(client=client)
        .select_related("analysis")
        .order_by("-date", "-id")[:limit]
    )
    points = [(s.date.isoformat(), s.nps) for s in reversed(surveys) if s.nps is not None]
    notes = list(
        TextAnalysis.objects.filter(client=client, note__isnull=False)
        .select_related("note", "note__author")
        .order_by("-date", "-id")[:limit]
    )
    scores = [s.nps for s in surveys if s.nps is not None]
    return {
        "surveys": surveys,
        "points": points,
        "note_analyses": notes,
        "nps": nps.nps(scores) if len(scores) >= MIN_ANSWERS_FOR_NPS else None,
        "n_scores": len(scores),
    }


def _visible_surveys(user):
    return SurveyResponse.objects.filter(client__in=clients_visible_to(user).values("pk"))


def nps_by_month(user, as_of, months=12):
    """``[{"month", "n", "nps", "promoters", "detractors"}]`` for the months up to ``as_of``;
    ``nps`` is None for months with fewer than :data:`MIN_ANSWERS_FOR_NPS` scores."""
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()
    rows = list(
        _visible_surveys(user)
        .filter(date__gte=start, date__lte=as_of, nps__isnull=False)
        .values_list("date", "nps")
    )
    frame = pd.DataFrame(rows, columns=["date", "nps"])
    out = []
    for period in pd.period_range(start, as_of, freq="M"):
        month = period.strftime("%Y-%m")
        scores = (
            frame.loc[pd.to_datetime(frame["date"]).dt.to_period("M") == period, "nps"]
            if len(frame)
            else []
        )
        cats = nps.categories(list(scores))
        n = len(cats)
        out.append(
            {
                "month": month,
                "n": n,
                "nps": nps.nps(list(scores)) if n >= MIN_ANSWERS_FOR_NPS else None,
                "promoters": int((cats == "promoter").sum()),
                "detractors": int((cats == "detractor").sum()),
            }
        )
    return out


def complaint_themes(user, as_of, months=6):
    """``(table, top_terms)``: complaint counts per month, territory and theme over the last
    ``months`` months, and the most frequent words of the complaints of the last 90 days."""
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()
    visible = clients_visible_to(user).values("pk")
    rows = list(
        TextAnalysis.objects.filter(
            client__in=visible, is_complaint=True, date__gte=start, date__lte=as_of
        ).values_list("date", "client__territory__name", "themes", "survey__comment", "note__text")
    )
    frame = pd.DataFrame(rows, columns=["date", "territory", "themes", "comment", "note"])
    table = complaints.monthly_themes(frame, as_of, months)
    recent = frame.loc[pd.to_datetime(frame["date"]) > pd.Timestamp(as_of) - pd.Timedelta(days=90)]
    texts = [c or n or "" for c, n in zip(recent["comment"], recent["note"], strict=True)]
    return table, complaints.top_terms(texts, 12)


def themes_matrix(table):
    """The theme table as ``(themes, [(month, territory, {theme: count}, total)])``."""
    if table.empty:
        return [], []
    themes = table.groupby("theme")["count"].sum().sort_values(ascending=False).index.tolist()
    rows = []
    for (month, territory), group in table.groupby(["month", "territory"], sort=True):
        counts = dict(zip(group["theme"], group["count"], strict=True))
        rows.append((month, territory, [counts.get(t, 0) for t in themes], sum(counts.values())))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return themes, rows


def detractors_not_contacted(user, as_of, days=CONTACT_WINDOW_DAYS):
    """Each visible client's latest detractor answer (NPS 0-6, or predicted so) of the last
    ``days`` days that no visit note and no answer to a detractor alert followed."""
    since = as_of - dt.timedelta(days=days)
    noted = VisitNote.objects.filter(
        client_id=OuterRef("client_id"), created_at__date__gte=OuterRef("date")
    )
    answered = Feedback.objects.filter(
        alert__client_id=OuterRef("client_id"),
        alert__kind=alert_kinds.DETRACTOR,
        created_at__date__gte=OuterRef("date"),
    )
    rows = (
        TextAnalysis.objects.filter(
            client__in=clients_visible_to(user).values("pk"),
            survey__isnull=False,
            nps_category="detractor",
            date__gt=since,
            date__lte=as_of,
        )
        .annotate(noted=Exists(noted), answered=Exists(answered))
        .filter(noted=False, answered=False)
        .select_related("survey", "client", "client__rep")
        .order_by("client_id", "-date", "-id")
    )
    latest = {}
    for row in rows:
        latest.setdefault(row.client_id, row)
    return sorted(latest.values(), key=lambda r: (r.date, r.pk))


def summary(user, as_of, days=90):
    """Figures of the last ``days`` days: answers, NPS, complaints, negative notes."""
    since = as_of - dt.timedelta(days=days)
    visible = clients_visible_to(user).values("pk")
    scores = list(
        SurveyResponse.objects.filter(
            client__in=visible, date__gt=since, date__lte=as_of, nps__isnull=False
        ).values_list("nps", flat=True)
    )
    analyses = TextAnalysis.objects.filter(client__in=visible, date__gt=since, date__lte=as_of)
    notes = analyses.filter(note__isnull=False)
    return {
        "days": days,
        "answers": len(scores),
        "nps": nps.nps(scores) if len(scores) >= MIN_ANSWERS_FOR_NPS else None,
        "complaints": analyses.filter(is_complaint=True).count(),
        "notes": notes.count(),
        "negative_notes": notes.filter(label=TextAnalysis.Label.NEGATIVE).count(),
    }


def client_signals(since, until):
    """The voice events other engines read per client (``insights``' features), dated in
    (``since``, ``until``]: ``notes`` (client, date, polarity of each analysed visit note),
    ``complaints`` (client, date of each note or survey comment flagged as a complaint) and
    ``surveys`` (client, date, nps of each answer with a score). DataFrames, maybe empty."""
    texts = TextAnalysis.objects.filter(date__gt=since, date__lte=until).order_by()
    notes = texts.filter(note__isnull=False).values_list("client_id", "date", "polarity")
    complaints = texts.filter(is_complaint=True).values_list("client_id", "date")
    surveys = (
        SurveyResponse.objects.filter(date__gt=since, date__lte=until, nps__isnull=False)
        .order_by()
        .values_list("client_id", "date", "nps")
    )
    return {
        "notes": pd.DataFrame(list(notes), columns=["client", "date", "polarity"]),
        "complaints": pd.DataFrame(list(complaints), columns=["client", "date"]),
        "surveys": pd.DataFrame(list(surveys), columns=["client", "date", "nps"]),
    }
