"""Accuracy and macro-F1 of predicted labels."""

import numpy as np
from sklearn.metrics import accuracy_score, f1_score


def scores(truth, predicted) -> dict:
    """``{"n", "accuracy", "macro_f1"}``; macro-F1 over the labels present in ``truth``."""
    truth, predicted = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    labels = sorted(set(truth.tolist()))
    if not len(truth):
        return {"n": 0, "accuracy": float("nan"), "macro_f1": float("nan")}
    return {
        "n": int(len(truth)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(
            f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
        ),
    }
