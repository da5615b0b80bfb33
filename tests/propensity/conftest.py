import datetime as dt

import pytest

from bench.propensity_world import generate, load

END = dt.date(2026, 6, 28)


@pytest.fixture
def loaded_world(db):
    """A small planted-adoption world in the crm tables: 160 clients, 4 reps."""
    world = generate(n_clients=160, n_reps=4, seed=5, end=str(END))
    clients, families, reps = load(world)
    return {"world": world, "clients": clients, "families": families, "reps": reps}


@pytest.fixture
def refit():
    from recommender.propensity import services

    def run(as_of=END):
        return services.refit_and_score(as_of, candidates=("hgb",))

    return run
