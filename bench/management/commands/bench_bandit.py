"""Compare the recommender's policy with baselines on a simulated world with known answers."""

import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from bench import bandit_sim as simulation
from crm.models import ProductFamily
from recommender import bandit
from recommender.models import MAGNITUDE_BUCKETS, MATURITY_BUCKETS, Action, BanditConfig
from twins.kinds import Kind as TwinKind

CHECKPOINTS = (1_000, 10_000, 100_000)


class Command(BaseCommand):
    help = (
        "Simulate reps and clients with known per-context action success rates; print the "
        "cumulative regret of this policy, context-free Thompson, epsilon-greedy and uniform "
        "random, and off-policy estimates against true values."
    )

    def add_arguments(self, parser):
        parser.add_argument("--decisions", type=int, default=100_000)
        parser.add_argument(
            "--batch", type=int, default=100, help="Decisions per posterior update."
        )
        parser.add_argument(
            "--samples", type=int, help="Draws per propensity (default: the bandit settings')."
        )
        parser.add_argument("--reps", type=int, default=5, help="Simulated worlds.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, decisions, batch, samples, reps, seed, **options):
        if decisions < 2 * batch or decisions % (2 * batch):
            raise CommandError("--decisions must be a positive multiple of 2 x --batch.")
        if reps < 1:
            raise CommandError("--reps must be at least 1.")
        actions = list(Action.objects.filter(active=True))
        if not actions:
            raise CommandError("No active actions: run migrate (it creates the default ones).")
        config = BanditConfig.get()
        strength = config.backoff_strength
        samples = samples or config.propensity_samples
        contexts = [
            (kind, fk, mat, mag)
            for kind in TwinKind.values
            for fk in ProductFamily.Kind.values
            for _, mat in MATURITY_BUCKETS
            for _, mag in MAGNITUDE_BUCKETS
        ]
        eligible = np.array([[a.applies_to(c[0]) for a in actions] for c in contexts])
        self.stdout.write(
            f"{reps} simulated worlds of {len(contexts)} contexts x {len(actions)} actions; "
            f"{decisions:,} decisions each in batches of {batch}; empirical-Bayes backoff "
            f"(strength {strength:g} until estimated), optimistic {config.optimistic}, "
            f"{samples} draws per propensity in the first world; seed {seed}\n"
        )
        marks = [c for c in CHECKPOINTS if c <= decisions]
        half = decisions // 2
        regrets, seconds = {}, {}
        for rep in range(reps):
            world = simulation.make_world(eligible, np.random.default_rng(seed + rep))
            # Regret does not depend on the propensity estimate: later worlds skip it.
            policies = [
                simulation.BackoffThompson(
                    eligible, strength, samples if rep == 0 else 1, config.optimistic
                ),
                simulation.ContextFreeThompson(eligible),
                simulation.EpsilonGreedy(eligible),
                simulation.UniformRandom(eligible),
            ]
            for policy in policies:
                started = time.perf_counter()
                run = simulation.simulate(
                    world, policy, decisions, np.random.default_rng(seed + 1000 + rep), batch, half
                )
                regrets.setdefault(policy.name, []).append(run.regret[np.array(marks) - 1])
                seconds[policy.name] = seconds.get(policy.name, 0) + time.perf_counter() - started
                if rep == 0 and policy is policies[0]:
                    first_world, ours = world, run
        self.stdout.write(
            f"Cumulative regret (expected successes lost against the best action), mean over "
            f"{reps} worlds ± standard error:"
        )
        self.stdout.write(
            f"{'policy':34}" + "".join(f"{f'after {m:,}':>18}" for m in marks) + f"{'secs':>8}"
        )
        for name, rows in regrets.items():
            rows = np.array(rows)
            se = rows.std(axis=0, ddof=1) / np.sqrt(reps) if reps > 1 else np.zeros(len(marks))
            cells = "".join(
                f"{f'{m:,.0f} ± {s:,.0f}':>18}" for m, s in zip(rows.mean(0), se, strict=True)
            )
            self.stdout.write(f"{name:34}{cells}{seconds[name]:8.1f}")
        world, rng = first_world, np.random.default_rng(seed)
        self._off_policy(world, ours, eligible, half, rng, config.optimistic)

    def _off_policy(self, world, run, eligible, half, rng, optimistic):
        alpha, beta = run.snapshot
        ctx = run.contexts[half:]
        actions = run.actions[half:]
        targets = {
            "this policy": bandit.policy_probabilities(
                alpha, beta, eligible, rng, 20_000, optimistic
            ),
            "always most common": bandit.most_common_policy(actions, eligible),
            "uniform random": bandit.uniform_policy(eligible),
        }
        q_hat = (alpha / (alpha + beta))[ctx]
        self.stdout.write(
            f"\nFirst world: off-policy value of the policy frozen after {half:,} decisions, "
            f"estimated from the {len(ctx):,} decisions logged after it (95% CI):"
        )
        self.stdout.write(
            f"{'target':20}{'true':>8}" + "".join(f"{name:>28}" for name in ("IPS", "SNIPS", "DR"))
        )
        for name, probs in targets.items():
            truth = world.value(probs)
            est = bandit.off_policy_estimates(
                run.rewards[half:], actions, run.propensities[half:], probs[ctx], q_hat
            )
            cells = "".join(
                f"{f'{v:.4f} [{lo:.4f},{hi:.4f}]' + ('*' if lo <= truth <= hi else ' '):>28}"
                for v, lo, hi in est.values()
            )
            self.stdout.write(f"{name:20}{truth:8.4f}{cells}")
        self.stdout.write("* = the true value lies inside the estimate's confidence interval")
