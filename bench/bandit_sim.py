"""A simulated world of alerts with known per-context action success rates. Pure numpy.

Used by ``manage.py bench_bandit`` to compare the production policy
(:func:`recommender.bandit.backoff_params` + :func:`recommender.bandit.thompson_sample`) with
simple baselines, and to check the off-policy estimators against the true value of a policy.
"""

from dataclasses import dataclass

import numpy as np

from recommender import bandit


@dataclass
class World:
    rates: np.ndarray  # (C, A) true success probability of each action in each context
    eligible: np.ndarray  # (C, A) bool
    weights: np.ndarray  # (C,) how often each context occurs

    @property
    def best(self):
        """(C,) success rate of the best eligible action per context."""
        return np.where(self.eligible, self.rates, -np.inf).max(axis=1)

    def value(self, probs):
        """True expected reward of a policy given as (C, A) probabilities per context."""
        return float(self.weights @ (probs * self.rates).sum(axis=1))


def make_world(eligible, rng, base_rate=0.2, action_sd=0.5, context_sd=0.8, skew=0.5):
    """Success rates ``logistic(base + action effect + context x action effect)``.

    Actions differ on average (so pooling helps) and by context (so context matters); context
    frequencies are Dirichlet(``skew``) so many contexts are rare.
    """
    eligible = np.asarray(eligible, dtype=bool)
    c, a = eligible.shape
    logit = (
        np.log(base_rate / (1 - base_rate))
        + rng.normal(0, action_sd, size=a)
        + rng.normal(0, context_sd, size=(c, a))
    )
    return World(
        rates=1 / (1 + np.exp(-logit)),
        eligible=eligible,
        weights=rng.dirichlet(np.full(c, skew)),
    )


class BackoffThompson:
    """The production policy: Beta posterior per (context, action) with pooled backoff.

    ``empirical`` (the production setting) estimates the backoff from the data
    (:func:`recommender.bandit.hierarchical_params`), ``strength`` serving until it can;
    otherwise the backoff is the pooled posterior shrunk to ``strength`` pseudo-observations.
    """

    name = "Thompson + backoff (this policy)"

    def __init__(self, eligible, strength=10.0, n_samples=200, optimistic=True, empirical=True):
        self.eligible = eligible
        self.strength = strength
        self.empirical = empirical
        self.optimistic = optimistic
        self.n_samples = n_samples
        self.succ = np.zeros(eligible.shape)
        self.fail = np.zeros(eligible.shape)

    def params(self):
        if self.empirical:
            return bandit.hierarchical_params(self.succ, self.fail, 1.0, 1.0, self.strength)
        pooled = bandit.pooled_params(self.succ, self.fail, 1.0, 1.0)
        return bandit.backoff_params(self.succ, self.fail, *pooled, self.strength)

    def choose(self, ctx, rng):
        alpha, beta = self.params()
        return bandit.thompson_sample(
            alpha, beta, self.eligible, rng, self.n_samples, self.optimistic, rows=ctx
        )

    def update(self, ctx, act, reward):
        np.add.at(self.succ, (ctx, act), reward)
        np.add.at(self.fail, (ctx, act), 1 - reward)


class ContextFreeThompson(BackoffThompson):
    """One Beta posterior per action, ignoring the context (eligibility still respected)."""

    name = "Thompson, context-free"

    def choose(self, ctx, rng):
        shape = self.eligible.shape
        alpha = np.broadcast_to(1 + self.succ.sum(axis=0), shape)
        beta = np.broadcast_to(1 + self.fail.sum(axis=0), shape)
        return bandit.thompson_sample(alpha, beta, self.eligible, rng, n_samples=1, rows=ctx)


class EpsilonGreedy(BackoffThompson):
    """Per-context greedy on smoothed means, uniform exploration with probability ``epsilon``."""

    name = "epsilon-greedy (0.1)"
    epsilon = 0.1

    def choose(self, ctx, rng):
        elig = self.eligible[ctx]
        means = (self.succ[ctx] + 1) / (self.succ[ctx] + self.fail[ctx] + 2)
        greedy = np.where(elig, means, -np.inf).argmax(axis=1)
        uniform = bandit.uniform_policy(elig)
        probs = self.epsilon * uniform
        probs[np.arange(len(ctx)), greedy] += 1 - self.epsilon
        return _draw(probs, rng), probs


class UniformRandom(BackoffThompson):
    name = "uniform random"

    def choose(self, ctx, rng):
        probs = bandit.uniform_policy(self.eligible[ctx])
        return _draw(probs, rng), probs


def _draw(probs, rng):
    """One action per row from (N, A) probabilities."""
    u = rng.random((probs.shape[0], 1))
    return np.minimum((probs.cumsum(axis=1) < u).sum(axis=1), probs.shape[1] - 1)


@dataclass
class Run:
    regret: np.ndarray  # (N,) cumulative expected regret after each decision
    contexts: np.ndarray  # (N,)
    actions: np.ndarray  # (N,)
    propensities: np.ndarray  # (N,) logged propensity of the chosen action
    rewards: np.ndarray  # (N,)
    snapshot: tuple | None = None  # the policy's (alpha, beta) after ``snapshot_at`` decisions


def simulate(world, policy, n_decisions, rng, batch=100, snapshot_at=None):
    """Run ``policy`` for ``n_decisions`` decisions, updating it after every ``batch``.

    Decisions come in batches, as alerts do from a scoring run: the posterior is frozen while
    a batch is decided and folded in afterwards. With ``snapshot_at`` (a multiple of
    ``batch``) the run keeps the policy's posterior parameters at that point.
    """
    snapshot = None
    contexts = rng.choice(world.weights.size, size=n_decisions, p=world.weights)
    actions = np.empty(n_decisions, dtype=int)
    propensities = np.empty(n_decisions)
    rewards = np.empty(n_decisions)
    for start in range(0, n_decisions, batch):
        if start == snapshot_at:
            snapshot = policy.params()
        ctx = contexts[start : start + batch]
        act, probs = policy.choose(ctx, rng)
        r = (rng.random(ctx.size) < world.rates[ctx, act]).astype(float)
        policy.update(ctx, act, r)
        sl = slice(start, start + ctx.size)
        actions[sl], rewards[sl] = act, r
        propensities[sl] = probs[np.arange(ctx.size), act]
    regret = np.cumsum(world.best[contexts] - world.rates[contexts, actions])
    return Run(regret, contexts, actions, propensities, rewards, snapshot)
