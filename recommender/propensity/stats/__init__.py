"""Pure statistics of the cross-sell propensity (no Django, no app of the project).

Arrays and DataFrames in, arrays out; every function that depends on "today" takes ``as_of``.

- :mod:`.history`: :class:`History`, the purchases and client attributes as arrays.
- :mod:`.features`: the candidate pairs as of a date, their features and labels, the replay of
  past dates, the co-occurrence of families across all clients.
- :mod:`.learn`: the candidate models, the baselines, the figures and the model choice.
- :mod:`.reasons`: why a pair scores high, as structured reasons (words come later).
"""

from .features import HORIZON_WEEKS, Snapshot, labels, replay, snapshot
from .history import History
from .learn import Fitted, choose_and_fit, evaluate, figures, predict

__all__ = [
    "HORIZON_WEEKS",
    "Fitted",
    "History",
    "Snapshot",
    "choose_and_fit",
    "evaluate",
    "figures",
    "labels",
    "predict",
    "replay",
    "snapshot",
]
