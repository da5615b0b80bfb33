"""Does the demo's learned posterior rank the hidden true best action first? (bench only)"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from recommender import selectors
from recommender.models import Action, Outcome, Posterior
from seeds.history import TRUE_RATES


@dataclass
class ContextRanking:
    context: str
    events: int
    true_best: str
    prior_best: str
    posterior_best: str
    observed_best: str  # highest raw recovery rate among the actions with an outcome

    @property
    def prior_right(self):
        return self.prior_best == self.true_best

    @property
    def posterior_right(self):
        return self.posterior_best == self.true_best


def rankings(min_events=20):
    """One :class:`ContextRanking` per context with at least ``min_events`` folded rewards.

    The best action of the prior, of the posterior (highest mean) and of the hidden truth
    (:data:`seeds.history.TRUE_RATES`) among the active actions eligible in the context.
    """
    events = {}
    for context, n in Posterior.objects.values_list("context", "n_events"):
        events[context] = events.get(context, 0) + n
    contexts = sorted(
        c for c, n in events.items() if n >= min_events and c.split("|")[0] in TRUE_RATES
    )
    actions = list(Action.objects.filter(active=True))
    if not contexts:
        return []
    observed = defaultdict(lambda: [0, 0])
    for context, code, recovered in Outcome.objects.values_list(
        "context", "action__code", "recovered"
    ):
        observed[(context, code)][0] += recovered
        observed[(context, code)][1] += 1
    prior_a, prior_b, alpha, beta = selectors.arm_table(contexts, actions)
    prior_mean, mean = prior_a / (prior_a + prior_b), alpha / (alpha + beta)
    found = []
    for i, context in enumerate(contexts):
        kind = context.split("|")[0]
        truth = TRUE_RATES[kind]
        cols = [j for j, a in enumerate(actions) if a.code in truth and a.applies_to(kind)]
        codes = [actions[j].code for j in cols]
        true = np.array([truth[c] for c in codes])
        raw = np.array(
            [
                observed[(context, c)][0] / observed[(context, c)][1]
                if observed[(context, c)][1]
                else -1.0
                for c in codes
            ]
        )
        found.append(
            ContextRanking(
                context=context,
                events=events[context],
                true_best=codes[int(true.argmax())],
                prior_best=codes[int(prior_mean[i, cols].argmax())],
                posterior_best=codes[int(mean[i, cols].argmax())],
                observed_best=codes[int(raw.argmax())],
            )
        )
    return found
