import datetime as dt
import hashlib

import numpy as np
import pytest

from bench.propensity_world import generate, load

END = dt.date(2026, 6, 28)


@pytest.fixture
def loaded_world(db):
    """A small planted-adoption world in the crm tables: 160 clients, 4 reps."""
    world = generate(n_clients=160, n_reps=4, seed=5, end=str(END))
    clients, families, reps = load(world)
    return {"world": world, "clients": clients, "families": families, "reps": reps}


#: Fitted models by a digest of their inputs, shared by the tests of a session.
_FITS = {}


def _digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


@pytest.fixture
def refit(monkeypatch):
    """``refit(as_of)`` runs the whole refit. The choice and fit (seeded, so a pure function of
    its inputs) is memoised on the inputs' digest: the tests that refit the same world to check
    the scores, alerts and admin controls fit it once. tests/propensity/test_stats.py tests the
    fit itself, unmemoised."""
    from recommender.propensity import services

    fit = services.learn.choose_and_fit

    def memoised(X, y, group, queue, candidates):
        key = (_digest(X, y, group, queue), tuple(candidates))
        if key not in _FITS:
            _FITS[key] = fit(X, y, group, queue, candidates=candidates)
        return _FITS[key]

    monkeypatch.setattr(services.learn, "choose_and_fit", memoised)

    def run(as_of=END):
        return services.refit_and_score(as_of, candidates=("hgb",))

    return run
