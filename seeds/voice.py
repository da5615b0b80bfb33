"""Synthetic satisfaction surveys and visit notes with planted detractors (numpy; no Django
until :func:`seed_voice`).

Each client has a latent satisfaction; about every quarter it may answer a survey whose NPS,
overall score and would-recommend follow it, with a comment written from phrase pools of its
NPS category (one comment in six is drawn from a neighbouring category's pool, one in five
answers has no comment, one in ten has no NPS). Two thirds are in Spanish, a third in English.

Planted truth:
- **high-value detractors**: ``n_detractors`` of the clients with the largest sales answer a
  survey 1-4 weeks before the end with NPS 1-5 and a complaint (late delivery, stock-out,
  price, defective product, rude service);
- **complaints before falling orders**: every client with a planted churn (``GroundTruth``
  partial or full churn) whose onset is 8-17 weeks before the end gets a visit note with a
  complaint 1-3 weeks before the onset.
"""

import datetime as dt

import numpy as np
import pandas as pd

POOLS = {
    "es": {
        "promoter": [
            "Muy contentos con el servicio, todo llega a tiempo.",
            "Excelente atención del delegado, siempre disponible.",
            "La calidad de los carpules es muy buena.",
            "Entregas puntuales y buen precio, gracias.",
            "Os recomendamos a otras clínicas sin dudarlo.",
            "Nunca hemos tenido un problema con los pedidos.",
            "Rápidos y profesionales, seguid así.",
        ],
        "passive": [
            "Correcto en general, aunque el catálogo es algo corto.",
            "No está mal, pero los precios podrían mejorar.",
            "Servicio normal, sin grandes novedades.",
            "Bien, aunque a veces cuesta contactar por teléfono.",
            "El material cumple, el plazo de entrega es mejorable.",
            "Aceptable, comparamos con otro proveedor.",
        ],
        "detractor": [
            "El pedido llegó tarde otra vez, así no podemos trabajar.",
            "Sin stock de anestesia dos semanas seguidas.",
            "Los precios han subido demasiado, es muy caro.",
            "Varias agujas venían defectuosas y nadie nos ha contestado.",
            "El comercial fue maleducado en la última visita.",
            "Muy decepcionados, estamos pensando en cambiar de proveedor.",
            "La factura tenía errores y la devolución tarda meses.",
        ],
    },
    "en": {
        "promoter": [
            "Very happy with the service, everything arrives on time.",
            "Excellent support from our rep, always available.",
            "The cartridges are of great quality.",
            "Punctual deliveries and a fair price, thanks.",
            "We recommend you to other clinics.",
            "Never had a problem with our orders.",
        ],
        "passive": [
            "Fine overall, although the catalogue is a bit short.",
            "Not bad, but prices could be better.",
            "Regular service, nothing special.",
            "Okay, although it is sometimes hard to reach you by phone.",
            "Acceptable, we compare with another supplier.",
        ],
        "detractor": [
            "The order was late again, we cannot work like this.",
            "Out of stock of anaesthetic two weeks in a row.",
            "Prices went up too much, far too expensive.",
            "Several needles were defective and nobody answered us.",
            "The sales rep was rude at the last visit.",
            "Very disappointed, we are thinking of switching supplier.",
        ],
    },
}
NOTES = {
    "es": [
        "Visita de seguimiento, revisamos el pedido mensual.",
        "Contentos con la última entrega.",
        "Piden información del nuevo implante.",
        "Hablamos de la campaña de otoño.",
        "Todo correcto, volver en dos meses.",
    ],
    "en": [
        "Follow-up visit, went through the monthly order.",
        "Happy with the last delivery.",
        "They asked about the new implant.",
        "Discussed the autumn campaign.",
    ],
}
COMPLAINT_NOTES = {
    "es": [
        "Queja fuerte: el último pedido llegó con diez días de retraso y faltaban cajas.",
        "Se quejan de rotura de stock de carpules; han comprado fuera.",
        "Muy molestos por la subida de precios; dicen que la competencia es más barata.",
        "Reclaman un lote defectuoso de agujas que nadie ha recogido.",
    ],
    "en": [
        "Strong complaint: the last order arrived ten days late and boxes were missing.",
        "They complain about a stock-out of cartridges; bought elsewhere.",
    ],
}
CHANNELS = ("email", "web", "phone", "visit")
_NEIGHBOUR = {"promoter": "passive", "passive": "detractor", "detractor": "passive"}


def _category(score):
    return "detractor" if score <= 6 else ("passive" if score <= 8 else "promoter")


def generate(rng, n_clients, *, end, months=18):
    """Survey answers of ``n_clients`` clients over ``months`` months up to ``end``.

    Columns: ``client`` (index), ``date``, ``nps`` (NaN when missing), ``true_nps``,
    ``overall``, ``would_recommend``, ``comment``, ``channel``, ``language``."""
    end = pd.Timestamp(end).normalize()
    start = end - pd.DateOffset(months=months)
    mood = rng.normal(7.6, 1.6, n_clients)
    language = np.where(rng.random(n_clients) < 2 / 3, "es", "en")
    rows = []
    quarters = max(1, months // 3)
    for q in range(quarters):
        answers = rng.random(n_clients) < 0.55
        for c in np.flatnonzero(answers):
            offset = int(rng.integers(0, 90))
            date = start + pd.Timedelta(days=q * 91 + offset)
            if date > end:
                continue
            score = int(np.clip(np.round(mood[c] + rng.normal(0, 1.3)), 0, 10))
            cat = _category(score)
            lang = str(language[c])
            pool_cat = _NEIGHBOUR[cat] if rng.random() < 1 / 6 else cat
            pool = POOLS[lang][pool_cat]
            comment = pool[int(rng.integers(0, len(pool)))] if rng.random() >= 0.2 else ""
            overall = int(np.clip(np.round(score / 2 + rng.normal(0, 0.7)), 0, 5))
            rows.append(
                {
                    "client": int(c),
                    "date": date.date(),
                    "nps": np.nan if (comment and rng.random() < 0.1) else float(score),
                    "true_nps": score,
                    "overall": overall,
                    "would_recommend": bool(score >= 8) if rng.random() < 0.9 else None,
                    "comment": comment,
                    "channel": CHANNELS[int(rng.integers(0, len(CHANNELS)))],
                    "language": lang,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.sort_values(["date", "client"], kind="stable").reset_index(drop=True)


def planted_detractor(rng, language, end):
    """A recent detractor answer: ``(date, nps, overall, comment)``."""
    pool = POOLS[language]["detractor"]
    comment = pool[int(rng.integers(0, len(pool)))]
    date = pd.Timestamp(end).date() - dt.timedelta(days=int(rng.integers(7, 29)))
    return date, int(rng.integers(1, 6)), int(rng.integers(0, 3)), comment


def seed_voice(*, seed, end, n_detractors=6):
    """Store surveys and visit notes on the existing clients (planted as above) and analyse
    them (sentiment, complaints, missing NPS categories as of ``end``); the alerts come from
    ``manage.py run_voice`` (``make seed`` runs it), as the other engines' scoring.
    Returns ``{"surveys", "notes", "detractors", "complaints"}``."""
    from django.db.models import Sum
    from django.utils import timezone

    from crm.models import Client, OrderLine, User, VisitNote
    from voice.analysis import analyse_pending, predict_missing_categories
    from voice.models import SurveyResponse

    from .models import GroundTruth

    end = pd.Timestamp(end).date()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(16,)))
    clients = list(Client.objects.select_related("rep").order_by("pk"))
    if not clients:
        return {"surveys": 0, "notes": 0, "detractors": 0, "complaints": 0}
    reps = list(User.objects.filter(role=User.Role.REP).order_by("pk"))
    frame = generate(rng, len(clients), end=end)
    surveys = [
        SurveyResponse(
            response_id=f"S{seed}-{i:06d}",
            client=clients[row.client],
            date=row.date,
            nps=None if np.isnan(row.nps) else int(row.nps),
            overall=row.overall,
            would_recommend=row.would_recommend,
            comment=row.comment,
            channel=row.channel,
        )
        for i, row in enumerate(frame.itertuples(index=False))
    ]
    since = end - dt.timedelta(days=365)
    sales = dict(
        OrderLine.objects.filter(date__gt=since, date__lte=end)
        .values("client_id")
        .annotate(total=Sum("net_value"))
        .values_list("client_id", "total")
    )
    by_id = {c.pk: i for i, c in enumerate(clients)}
    top = sorted(sales, key=lambda cid: -float(sales[cid] or 0))[:n_detractors]
    for k, client_id in enumerate(top):
        client = clients[by_id[client_id]]
        lang = "es" if k % 3 else "en"
        date, score, overall, comment = planted_detractor(rng, lang, end)
        # The planted answer is the client's latest: a later routine answer would replace it.
        surveys = [s for s in surveys if not (s.client is client and s.date >= date)]
        surveys.append(
            SurveyResponse(
                response_id=f"S{seed}-D{k:03d}",
                client=client,
                date=date,
                nps=score,
                overall=overall,
                would_recommend=False,
                comment=comment,
                channel="email",
            )
        )
    SurveyResponse.objects.bulk_create(surveys, batch_size=500)

    def author(client):
        return client.rep or (reps[client.pk % len(reps)] if reps else None)

    def at(day):
        moment = dt.datetime.combine(day, dt.time(11, int(rng.integers(0, 60))))
        return timezone.make_aware(moment)

    notes = []
    for i in np.flatnonzero(rng.random(len(clients)) < 0.5):
        client = clients[int(i)]
        who = author(client)
        if who is None:
            continue
        lang = "es" if rng.random() < 2 / 3 else "en"
        day = end - dt.timedelta(days=int(rng.integers(3, 180)))
        text = NOTES[lang][int(rng.integers(0, len(NOTES[lang])))]
        notes.append(VisitNote(client=client, author=who, text=text, created_at=at(day)))
    churned = (
        GroundTruth.objects.filter(
            scenario__in=["partial_churn", "full_churn"],
            onset__gte=end - dt.timedelta(weeks=17),
            onset__lte=end - dt.timedelta(weeks=8),
        )
        .order_by("client_id", "onset")
        .values_list("client_id", "onset")
    )
    complained = {}
    for client_id, onset in churned:
        complained.setdefault(client_id, onset)
    for client_id, onset in complained.items():
        client = clients[by_id[client_id]]
        who = author(client)
        if who is None:
            continue
        lang = "es" if client_id % 3 else "en"
        pool = COMPLAINT_NOTES[lang]
        day = onset - dt.timedelta(days=int(rng.integers(7, 22)))
        text = pool[int(rng.integers(0, len(pool)))]
        notes.append(VisitNote(client=client, author=who, text=text, created_at=at(day)))
    VisitNote.objects.bulk_create(notes, batch_size=500)
    analyse_pending()
    predict_missing_categories(end)
    return {
        "surveys": len(surveys),
        "notes": len(notes),
        "detractors": len(top),
        "complaints": len(complained),
    }
