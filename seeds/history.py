"""Months of simulated CRM life before the demo's today, so that the bandit has learned.

Week by week, under a travelling clock: alerts are raised on pairs chosen by the planted truth
(a pair the truth marks as churning, falling silent or under-bought gets genuine alerts of that
kind; a stable pair, or one whose potential is overstated, gets false alarms), the recommender
recommends (``recommender.services.recommend_for_alerts``), the client's rep answers
(``crm.services.answer_alert``: act with the recommended action or their own pick, false alarm,
or snooze and answer later), and the client's buying recovers or not: with the hidden
:data:`TRUE_RATES` chance of the action taken, a recovery order lands in the outcome window.
Every Sunday ``recommender.services.harvest_outcomes`` judges the windows that closed and folds
the rewards. Nothing here writes a reward, an outcome or a posterior itself.

Only sales data (the recovery orders) and the alerts are written directly: they are the world
the product observes. Deterministic for a given seed and demo data.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import time_machine
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from crm import services as crm_services
from crm.models import Alert, Client, Feedback, Order, OrderLine, Product, ProductFamily
from recommender import selectors as rec_selectors
from recommender import services as rec_services
from recommender.models import Action, BanditConfig, Outcome, Posterior, RewardEvent

from .models import GroundTruth

#: Hidden chance that buying recovers after each action, per alert kind. The bandit never sees
#: it; it disagrees with the default priors on purpose for full churn (an offer works best),
#: technical deterioration (a demo, not a sample), uncaptured potential (a call) and small
#: partial churns (a visit, not a call), so the demo shows learning, not just the priors.
TRUE_RATES = {
    "partial_churn": {
        "visit": 0.60,
        "call": 0.35,
        "email": 0.12,
        "technical_demo": 0.15,
        "offer": 0.35,
        "monitor": 0.08,
    },
    "full_churn": {"visit": 0.25, "call": 0.10, "offer": 0.55},
    "technical_deterioration": {
        "send_sample": 0.30,
        "technical_demo": 0.62,
        "visit": 0.35,
        "call": 0.15,
        "monitor": 0.08,
    },
    "suspicious_pause": {"call": 0.55, "email": 0.30, "visit": 0.25, "monitor": 0.20},
    "uncaptured_potential": {
        "visit": 0.28,
        "call": 0.55,
        "email": 0.20,
        "send_sample": 0.30,
        "technical_demo": 0.25,
        "offer": 0.30,
    },
    "cross_family_decline": {"visit": 0.50, "call": 0.25, "offer": 0.30},
    "campaign_no_response": {
        "call": 0.30,
        "email": 0.20,
        "visit": 0.20,
        "send_sample": 0.20,
        "offer": 0.55,
        "monitor": 0.08,
    },
    "cross_sell": {
        "send_sample": 0.58,
        "technical_demo": 0.30,
        "visit": 0.30,
        "call": 0.18,
        "email": 0.12,
        "offer": 0.28,
    },
}

#: Share of the simulated alerts per kind (cross-family decline has no family, so no outcome
#: could be judged; it is not simulated).
KIND_MIX = {
    "partial_churn": 0.26,
    "technical_deterioration": 0.20,
    "uncaptured_potential": 0.14,
    "full_churn": 0.10,
    "cross_sell": 0.12,
    "suspicious_pause": 0.10,
    "campaign_no_response": 0.08,
}
#: The planted scenario whose pairs raise genuine alerts of each kind, and the share genuine.
GENUINE = {
    "partial_churn": ("partial_churn", 0.8),
    "full_churn": ("full_churn", 0.85),
    "technical_deterioration": ("technical_silence", 0.8),
    "uncaptured_potential": ("uncaptured_potential", 0.7),
    "cross_sell": ("cross_sell", 0.7),
    "suspicious_pause": ("technical_pause", 0.7),
    "campaign_no_response": ("campaign_no_response", 0.7),
}
#: Scenarios whose pairs raise false alarms of each kind.
FALSE_ALARM_SCENARIOS = {
    "uncaptured_potential": ("unreliable_potential", "stable"),
    "cross_sell": ("unreliable_potential", "stable"),
}
#: The family kind each alert kind concerns (None: any).
FAMILY_KIND = {
    "partial_churn": "commodity",
    "full_churn": "commodity",
    "suspicious_pause": "technical",
    "campaign_no_response": "commodity",
    "technical_deterioration": "technical",
}
#: (act, snooze, false alarm) probabilities of a rep's first answer, genuine or not.
FIRST_ANSWER = {True: (0.8, 0.1, 0.1), False: (0.15, 0.15, 0.70)}
#: (act, false alarm) after a snooze.
LATER_ANSWER = {True: (0.85, 0.15), False: (0.2, 0.8)}
#: Chance that a rep who acts takes the recommended action rather than their own pick.
FOLLOW = 0.5
#: Weeks at the end of the history with no new alerts, so their outcomes can be judged.
TAIL_WEEKS = 10


@dataclass
class HistorySummary:
    weeks: int = 0
    alerts: int = 0
    answers: dict = field(default_factory=lambda: defaultdict(int))
    outcomes: int = 0
    recovered: int = 0
    recovery_orders: int = 0


@dataclass
class _Episode:
    alert: Alert
    genuine: bool
    rep_id: int
    threshold: float
    family_id: int
    client_id: int


def forget_learning():
    """Drop what the bandit learned from earlier data: its posteriors and reward events."""
    Posterior.objects.all().delete()
    RewardEvent.objects.all().delete()
    BanditConfig.get()
    BanditConfig.objects.filter(pk=1).update(last_folded_at=None)


def simulate(*, end, weeks, seed, per_week, progress=None):
    """Simulate ``weeks`` weeks ending on ``end`` (a Sunday) with ``per_week`` new alerts a week.

    Returns a :class:`HistorySummary`. ``progress(week, weeks)`` is called after each week.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    bandit_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3,)))
    world = _World.load(end, weeks)
    summary = HistorySummary(weeks=weeks)
    schedule = defaultdict(list)  # week -> [(datetime, episode, stage)]
    with transaction.atomic():
        forget_learning()
        start_clock = _at(world.start, 8)
        with time_machine.travel(start_clock, tick=False) as clock:
            for week in range(weeks):
                monday = world.start + dt.timedelta(weeks=week)
                clock.move_to(_at(monday, 8))
                if week < weeks - TAIL_WEEKS:
                    episodes = [world.raise_alert(rng, monday) for _ in range(per_week)]
                    episodes = [e for e in episodes if e is not None]
                    rec_services.recommend_for_alerts(
                        [e.alert.pk for e in episodes], rng=bandit_rng
                    )
                    summary.alerts += len(episodes)
                    for e in episodes:
                        day = monday + dt.timedelta(days=int(rng.integers(0, 5)))
                        when = _at(day, 9, int(rng.integers(0, 480)))
                        schedule[world.week_of(day)].append((when, e, 1))
                for when, episode, stage in sorted(schedule.pop(week, []), key=lambda t: t[0]):
                    clock.move_to(when)
                    verdict = world.answer(rng, episode, stage, summary)
                    until = episode.alert.snoozed_until
                    if verdict == Feedback.Verdict.SNOOZE and until:
                        later = _at(until, 9, int(rng.integers(0, 480)))
                        schedule[world.week_of(until)].append((later, episode, 2))
                sunday = monday + dt.timedelta(days=6)
                clock.move_to(_at(sunday, 22))
                rec_services.harvest_outcomes(as_of=sunday)
                world.close_judged(summary)
                if progress:
                    progress(week + 1, weeks)
        world.close_the_rest()
    return summary


def _at(day, hour, minutes=0):
    naive = dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(minutes=minutes)
    return timezone.make_aware(naive)


class _World:
    """The demo's clients, pairs and truth, and the live simulated alerts."""

    def __init__(self, start, pairs, first_order, products, actions, families):
        self.start = start
        self.pairs = pairs  # scenario -> [(client, family, family kind, onset, rep)]
        self.first_order = first_order
        self.products = products  # family -> (product id, list price)
        self.actions = actions
        self.families = families  # family id -> ProductFamily
        self.busy = {}  # (client, family) -> alert id
        self.episodes = {}  # alert id -> _Episode
        self.serial = 0

    def week_of(self, day):
        return (day - self.start).days // 7

    @classmethod
    def load(cls, end, weeks):
        start = end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
        families = {f.pk: f for f in ProductFamily.objects.all()}
        rep_of = dict(Client.objects.values_list("pk", "rep_id"))
        pairs = defaultdict(list)
        truth = GroundTruth.objects.order_by("client__code", "family__code").values_list(
            "client_id", "family_id", "scenario", "onset"
        )
        for client_id, family_id, scenario, onset in truth:
            if rep_of.get(client_id) is None:
                continue
            kind = families[family_id].kind
            pairs[scenario].append((client_id, family_id, kind, onset, rep_of[client_id]))
        first_order = dict(
            OrderLine.objects.order_by()
            .values_list("client_id")
            .annotate(first=Min("date"))
            .values_list("client_id", "first")
        )
        products = {}
        for product in Product.objects.order_by("code"):
            products.setdefault(product.family_id, (product.pk, product.list_price))
        actions = list(Action.objects.filter(active=True))
        return cls(start, pairs, first_order, products, actions, families)

    def raise_alert(self, rng, monday):
        """Create one alert on a pair the truth picks; ``None`` when no pair is free."""
        kinds = list(KIND_MIX)
        kind = kinds[rng.choice(len(kinds), p=np.array(list(KIND_MIX.values())))]
        scenario, share = GENUINE[kind]
        genuine = bool(rng.random() < share)
        scenarios = (scenario,) if genuine else FALSE_ALARM_SCENARIOS.get(kind, ("stable",))
        wanted = FAMILY_KIND.get(kind)
        horizon = monday + dt.timedelta(weeks=12)
        candidates = [
            p
            for s in scenarios
            for p in self.pairs.get(s, ())
            if (wanted is None or p[2] == wanted)
            and (p[3] is None or p[3] > horizon)
            and (p[0], p[1]) not in self.busy
            and p[1] in self.products
        ]
        if not candidates:
            return None
        client_id, family_id, family_kind, _onset, rep_id = candidates[
            int(rng.integers(len(candidates)))
        ]
        before = self._units(client_id, family_id, monday - dt.timedelta(weeks=26), monday)
        expected = max(before / 26, 1.0)
        ahead = self._units(client_id, family_id, monday, horizon, positive=True)
        bump = max(1.0, round(0.5 * expected, 1))
        threshold = round(ahead / 6 + bump, 1)
        first = self.first_order.get(client_id)
        maturity = (monday - first).days // 7 if first else None
        price = float(self.products[family_id][1] or 0)
        evidence = {
            "kind": kind,
            "family_kind": family_kind,
            "family_name": self.families[family_id].name,
            "maturity_weeks": maturity,
            "magnitude": round(float(rng.uniform(0.1, 0.95)), 2),
            "expected_units_per_week": round(expected, 2),
            "recovery_threshold_units_per_week": threshold,
            "euros_at_stake": round(expected * price * 8, 2),
            "simulated_history": True,
        }
        alert = Alert.objects.create(
            client_id=client_id,
            family_id=family_id,
            kind=kind,
            dedup_key=Alert.make_dedup_key(client_id, family_id, kind),
            priority=Decimal(str(evidence["euros_at_stake"])).quantize(Decimal("0.01")),
            score=0.9 if genuine else 0.6,
            evidence=evidence,
            as_of=monday,
        )
        self.busy[(client_id, family_id)] = alert.pk
        episode = _Episode(alert, genuine, rep_id, threshold, family_id, client_id)
        self.episodes[alert.pk] = episode
        return episode

    def answer(self, rng, episode, stage, summary):
        """The rep answers through ``crm.services.answer_alert``; returns the verdict."""
        alert = Alert.objects.get(pk=episode.alert.pk)
        episode.alert = alert
        rep = alert.client.rep
        today = timezone.localdate()
        if stage == 1:
            act, snooze, _fa = FIRST_ANSWER[episode.genuine]
            u = rng.random()
            verdict = "act" if u < act else "snooze" if u < act + snooze else "false_alarm"
        else:
            verdict = "act" if rng.random() < LATER_ANSWER[episode.genuine][0] else "false_alarm"
        summary.answers[verdict] += 1
        if verdict == "snooze":
            until = today + dt.timedelta(weeks=int(rng.integers(2, 4)))
            crm_services.answer_alert(alert, rep, verdict, snooze_until=until)
            episode.alert.refresh_from_db()
            return verdict
        if verdict == "false_alarm":
            crm_services.answer_alert(alert, rep, verdict, reason="simulated history")
            alert.refresh_from_db()
            if not alert.is_live:  # dismissed: the pair may raise alerts again
                self.busy.pop((episode.client_id, episode.family_id), None)
            return verdict
        eligible = [a for a in self.actions if a.applies_to(alert.kind)]
        rec = rec_selectors.current_recommendation(alert)
        if rec is not None and rng.random() < FOLLOW:
            action = rec.action
        else:
            action = eligible[int(rng.integers(len(eligible)))]
        crm_services.answer_alert(alert, rep, verdict, action=action)
        if rng.random() < TRUE_RATES[alert.kind].get(action.code, 0.0):
            self._recover(rng, episode, today)
            summary.recovery_orders += 1
        return verdict

    def _recover(self, rng, episode, today):
        """The client buys again: one order inside the outcome window lifts it over the bar."""
        weeks = BanditConfig.get().outcome_weeks
        window_end = today + dt.timedelta(weeks=weeks)
        have = self._units(episode.client_id, episode.family_id, today, window_end)
        units = max(1, math.ceil(episode.threshold * weeks - have) + 1)
        day = today + dt.timedelta(days=int(rng.integers(3, 7 * weeks - 3)))
        product_id, price = self.products[episode.family_id]
        self.serial += 1
        order = Order.objects.create(
            invoice_number=f"HV{episode.alert.pk:07d}{self.serial:05d}",
            date=day,
            client_id=episode.client_id,
        )
        OrderLine.objects.create(
            order=order,
            line_number=1,
            product_id=product_id,
            units=Decimal(units),
            net_value=(Decimal(units) * (price or Decimal("1"))).quantize(Decimal("0.01")),
            date=day,
            client_id=episode.client_id,
            family_id=episode.family_id,
        )

    def close_judged(self, summary):
        """Acting alerts whose outcome was judged are closed: resolved or expired."""
        acting = [
            pk
            for pk, e in self.episodes.items()
            if (e.client_id, e.family_id) in self.busy
            and self.busy[(e.client_id, e.family_id)] == pk
        ]
        now = timezone.now()
        judged = Outcome.objects.filter(alert_id__in=acting).values_list("alert_id", "recovered")
        for alert_id, recovered in judged:
            status = Alert.Status.RESOLVED if recovered else Alert.Status.EXPIRED
            Alert.objects.filter(pk=alert_id).update(status=status, closed_at=now)
            e = self.episodes[alert_id]
            self.busy.pop((e.client_id, e.family_id), None)
            summary.outcomes += 1
            summary.recovered += bool(recovered)

    def close_the_rest(self):
        """Simulated alerts still live at the end expire; dismissed ones are closed."""
        ids = list(self.episodes)
        now = timezone.now()
        Alert.objects.filter(pk__in=ids, status__in=Alert.LIVE_STATUSES).update(
            status=Alert.Status.EXPIRED, closed_at=now
        )
        Alert.objects.filter(pk__in=ids, closed_at__isnull=True).update(closed_at=now)

    @staticmethod
    def _units(client_id, family_id, start, stop, positive=False):
        lines = OrderLine.objects.filter(
            client_id=client_id, family_id=family_id, date__gte=start, date__lt=stop
        )
        if positive:
            lines = lines.filter(units__gt=0)
        return float(lines.aggregate(total=Sum("units"))["total"] or 0)


def history_alerts():
    """The simulated alerts (for the figures and tests)."""
    return Alert.objects.filter(evidence__simulated_history=True)
