"""NPS categories and the category predicted from text and scores where the number is
missing.

Categories: detractor (0-6), passive (7-8), promoter (9-10). The NPS of a set of answers is
% promoters - % detractors (-100..+100). :class:`CategoryModel` is TF-IDF of the comment
(words and word pairs) with the lexicon polarity, the overall score (0-5) and
would-recommend, into a multinomial logistic regression; :func:`majority` is the baseline.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from .sentiment import analyse
from .text import fold

CATEGORIES = ("detractor", "passive", "promoter")
#: Fewer labelled answers than this (or a single category) and the model is not fitted.
MIN_TRAIN = 30


def category(score):
    """The category of an NPS score 0-10, or ``None`` when missing."""
    if score is None or (isinstance(score, float) and np.isnan(score)):
        return None
    score = int(score)
    if score <= 6:
        return "detractor"
    return "passive" if score <= 8 else "promoter"


def categories(scores) -> np.ndarray:
    """Vectorised :func:`category` ('' for missing)."""
    s = pd.to_numeric(pd.Series(scores, dtype="object"), errors="coerce").to_numpy(float)
    out = np.full(len(s), "", dtype=object)
    out[s <= 6] = "detractor"
    out[(s >= 7) & (s <= 8)] = "passive"
    out[s >= 9] = "promoter"
    return out


def nps(scores) -> float | None:
    """% promoters - % detractors of the non-missing scores; ``None`` when there are none."""
    cats = categories(scores)
    cats = cats[cats != ""]
    if not len(cats):
        return None
    return round(100.0 * (np.mean(cats == "promoter") - np.mean(cats == "detractor")), 1)


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs from columns ``comment``, ``overall`` (0-5 or missing) and
    ``would_recommend`` (True/False/missing)."""
    comment = frame["comment"].fillna("").astype(str)
    overall = pd.to_numeric(frame.get("overall"), errors="coerce")
    recommend = frame.get("would_recommend")
    rec = pd.Series(recommend, index=frame.index, dtype="object") if recommend is not None else None
    out = pd.DataFrame(index=frame.index)
    out["text"] = comment.map(fold)
    out["polarity"] = [analyse(t).polarity for t in comment]
    out["overall"] = (overall.fillna(2.5) / 5.0) if overall is not None else 0.5
    out["overall_missing"] = overall.isna().astype(float) if overall is not None else 1.0
    if rec is None:
        out["recommend"] = 0.0
    else:
        out["recommend"] = rec.map({True: 1.0, False: -1.0}).fillna(0.0).astype(float)
    return out


def _numeric(x):
    return x[["polarity", "overall", "overall_missing", "recommend"]].to_numpy(float) * 3.0


@dataclass
class CategoryModel:
    pipeline: Pipeline | None
    classes: tuple
    n_train: int
    majority: str | None

    @property
    def has_signal(self) -> bool:
        return self.pipeline is not None

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted categories; the majority category when the model was not fitted."""
        if not len(frame):
            return np.zeros(0, dtype=object)
        if self.pipeline is None:
            return np.full(len(frame), self.majority or "", dtype=object)
        return self.pipeline.predict(features(frame)).astype(object)


def fit(frame: pd.DataFrame, seed: int = 0) -> CategoryModel:
    """Fit on the rows of ``frame`` with an ``nps`` score (columns as :func:`features`)."""
    cats = categories(frame["nps"])
    train = frame.loc[cats != ""]
    y = cats[cats != ""]
    majority = pd.Series(y).mode().iloc[0] if len(y) else None
    if len(y) < MIN_TRAIN or len(set(y)) < 2:
        return CategoryModel(None, tuple(sorted(set(y))), len(y), majority)
    pipeline = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1), "text"),
                        (
                            "scores",
                            FunctionTransformer(_numeric),
                            ["polarity", "overall", "overall_missing", "recommend"],
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=3.0, max_iter=2000, random_state=seed)),
        ]
    )
    pipeline.fit(features(train), y)
    return CategoryModel(pipeline, tuple(pipeline.classes_), len(y), majority)


def majority(train_categories, n: int) -> np.ndarray:
    """The baseline: the most frequent training category, ``n`` times."""
    cats = [c for c in train_categories if c]
    top = pd.Series(cats).mode().iloc[0] if cats else ""
    return np.full(n, top, dtype=object)
