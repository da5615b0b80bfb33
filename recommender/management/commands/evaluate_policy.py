"""Off-policy evaluation of the current policy and simple alternatives from the logged data."""

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from recommender import bandit, selectors
from recommender.models import Action, BanditConfig


class Command(BaseCommand):
    help = (
        "Estimate, from logged recommendations, their propensities and the reps' answers (or "
        "the harvested outcomes), the value of the current policy, of always recommending the "
        "most common action and of uniform random choice: IPS, SNIPS and doubly robust, with "
        "95% confidence intervals."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reward", choices=["engagement", "outcome"], default="engagement")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, reward, seed, **options):
        rows = selectors.logged_decisions(reward)
        if not rows:
            raise CommandError(
                f"No logged decisions with {reward} rewards yet: recommendations need answers"
                + (" and harvested outcomes." if reward == "outcome" else ".")
            )
        config = BanditConfig.get()
        actions = list(Action.objects.all())
        a_index = {a.code: j for j, a in enumerate(actions)}
        contexts = sorted({r["context"] for r in rows})
        c_index = {c: i for i, c in enumerate(contexts)}
        ctx = np.array([c_index[r["context"]] for r in rows])
        logged = np.array([a_index[r["action"]] for r in rows])
        propensity = np.array([r["propensity"] for r in rows])
        rewards = np.array([r["reward"] for r in rows])
        # Eligibility as it was when each decision was made.
        eligible = np.zeros((len(rows), len(actions)), dtype=bool)
        for n, r in enumerate(rows):
            eligible[n, [a_index[code] for code in r["propensities"] if code in a_index]] = True
        eligible[np.arange(len(rows)), logged] = True

        alpha, beta = selectors.arm_params(contexts, actions, config)
        rng = np.random.default_rng(seed)
        current = bandit.thompson_sample(
            alpha[ctx], beta[ctx], eligible, rng, config.propensity_samples, config.optimistic
        )[1]
        targets = {
            "current policy": current,
            "always most common": bandit.most_common_policy(logged, eligible),
            "uniform random": bandit.uniform_policy(eligible),
        }
        q_hat = (alpha / (alpha + beta))[ctx]
        self.stdout.write(
            f"{len(rows):,} logged decisions, {reward} reward, mean logged reward "
            f"{rewards.mean():.3f} (95% CI in brackets)"
        )
        self.stdout.write(f"{'policy':20}" + "".join(f"{n:>26}" for n in ("IPS", "SNIPS", "DR")))
        for name, probs in targets.items():
            est = bandit.off_policy_estimates(rewards, logged, propensity, probs, q_hat)
            cells = "".join(f"{f'{v:.3f} [{lo:.3f},{hi:.3f}]':>26}" for v, lo, hi in est.values())
            self.stdout.write(f"{name:20}{cells}")
        self.stdout.write(
            "The current policy was fitted on these rewards, so its estimate leans optimistic."
        )
