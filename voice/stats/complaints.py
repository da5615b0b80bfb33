"""Complaints: which themes a text talks about, whether it is a complaint, and the most
frequent complaint themes per month and territory.

A text is a complaint when it names a complaint theme and is not positive ("no hubo
retrasos" names delivery but praises it), or when it is negative and comes with a low NPS
(0-6). Themes are matched on folded words (stems end with ``*``), Spanish and English.
"""

from collections import Counter

import pandas as pd

from .sentiment import NEUTRAL_BAND
from .text import clean, fold, tokens

#: theme -> (words or stems, phrases)
THEMES = {
    "late_delivery": (
        "retras* tarde tardia tardio tardan tardaron tardo late delay* waiting esperando".split(),
        ["sin llegar", "not arrived", "took ten days", "still has not"],
    ),
    "delivery_error": (
        "equivocad* wrong rota roto dañad* damaged incomplet* faltaba* faltaban faltaron"
        " missing perdid* lost".split(),
        ["en la calle"],
    ),
    "price": (
        "caro cara caros carisim* expensive overpriced precio* price* prices tarifa* rates"
        " portes shipping abusiv* outrageous".split(),
        ["subido las tarifas", "raised prices", "subida de precios", "price increase"],
    ),
    "stock_out": (
        "agotad* unavailable".split(),
        [
            "sin stock",
            "sin existencias",
            "rotura de stock",
            "out of stock",
            "sold out",
            "stock out",
        ],
    ),
    "defective": (
        "defect* defectuos* faulty caducad* expired broken rompe* tear fallo* fail* inservible"
        " unusable desgast*".split(),
        [],
    ),
    "rude_service": (
        "maleducad* grosero* borde rude unprofessional unhelpful ignorad* nadie nobody"
        " pesima terrible".split(),
        ["no contesta", "no responden", "do not answer", "nadie contesta"],
    ),
    "billing": (
        "factura* invoice* cobro* cobraron charged charge indebid* refund devolucion".split(),
        [],
    ),
}
THEME_CODES = tuple(THEMES)
#: A complaint with no named theme.
OTHER = "other"

_STOP = frozenset(
    """de la el los las un una y o que en con por para es son a al del se nos no lo le su muy
    mas the a an of and or to in on for with is are was were we they it our this that not no
    have has had be been do does did from at by very again otra vez ya sin without han hemos
    pero but all todo fue era ser estar esta este esto está están estaba hay has como cuando
    porque también tan otro otros otra otras ese esa eso nada nadie nunca sus mis mi tu yo
    ellos ellas nosotros usted ustedes several nobody nothing anyone someone some any more most
    too much many just only also again still when what which who whom how why there their them
    us you your i me my he she his her its would could should will can cannot about after
    before into over than then once up down out off so""".split()
)


def themes(text) -> list[str]:
    """The complaint themes ``text`` mentions, in :data:`THEMES` order."""
    toks = tokens(clean(text))
    joined = " " + " ".join(toks) + " "
    found = []
    for code, (words, phrases) in THEMES.items():
        hit = any(f" {fold(p)} " in joined for p in phrases)
        if not hit:
            for w in words:
                if w.endswith("*"):
                    stem = w[:-1]
                    hit = any(t.startswith(stem) for t in toks)
                else:
                    hit = w in toks
                if hit:
                    break
        if hit:
            found.append(code)
    return found


def is_complaint(polarity: float, found_themes, nps=None) -> bool:
    """Complaint vocabulary in a text that is not positive, or a negative text with NPS 0-6."""
    if found_themes and polarity <= NEUTRAL_BAND:
        return True
    return polarity < -NEUTRAL_BAND and nps is not None and nps <= 6


def complaint_themes(polarity: float, found_themes, nps=None) -> list[str]:
    """The themes to count for a complaint ([] when it is not one; [OTHER] when none named)."""
    if not is_complaint(polarity, found_themes, nps):
        return []
    return list(found_themes) or [OTHER]


def monthly_themes(frame: pd.DataFrame, as_of, months: int = 6) -> pd.DataFrame:
    """Complaint counts per (month, territory, theme) over the ``months`` months up to
    ``as_of``. ``frame`` has columns ``date``, ``territory`` and ``themes`` (lists); rows
    dated after ``as_of`` are ignored. Sorted by month, territory, then count (descending)."""
    columns = ["month", "territory", "theme", "count"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    as_of = pd.Timestamp(as_of)
    start = (as_of.to_period("M") - (months - 1)).to_timestamp()
    dates = pd.to_datetime(frame["date"])
    keep = frame.loc[(dates <= as_of) & (dates >= start)].copy()
    keep["month"] = pd.to_datetime(keep["date"]).dt.strftime("%Y-%m")
    keep = keep.explode("themes").dropna(subset=["themes"])
    if keep.empty:
        return pd.DataFrame(columns=columns)
    keep["territory"] = keep["territory"].fillna("").astype(str)
    counts = (
        keep.groupby(["month", "territory", "themes"]).size().reset_index(name="count")
    ).rename(columns={"themes": "theme"})
    return counts.sort_values(
        ["month", "territory", "count", "theme"], ascending=[True, True, False, True]
    ).reset_index(drop=True)[columns]


def top_terms(texts, n: int = 10) -> list[tuple[str, int]]:
    """The ``n`` most frequent content words of ``texts`` (stop words and numbers left out):
    the keywords of a set of complaints."""
    counts = Counter()
    for text in texts:
        counts.update(
            {t for t in tokens(text) if t not in _STOP and len(t) > 2 and not t.isdigit()}
        )
    return counts.most_common(n)
