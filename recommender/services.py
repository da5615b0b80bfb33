"""Write-side operations of the recommender: recommend, record rewards, fold, harvest outcomes.

Rewards are written as :class:`RewardEvent` rows by whoever observes them (a rep's answer, the
weekly outcome harvest) and only :func:`fold_rewards` changes posteriors, under a lock, so
concurrent feedback never loses an update.
"""

from datetime import datetime, time, timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from crm.bulkload import chunks
from crm.models import Alert, Feedback, OrderLine
from crm.selectors import run_as_of

from . import bandit, selectors
from .models import (
    MAGNITUDE_BUCKETS,
    MATURITY_BUCKETS,
    UNKNOWN,
    Action,
    BanditConfig,
    Outcome,
    Posterior,
    Recommendation,
    RewardEvent,
)
from .selectors import current_recommendation, current_recommendations  # noqa: F401 (contract)


def _bucket(value, buckets):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return UNKNOWN
    return next((name for bound, name in buckets if value < bound), UNKNOWN)


def alert_context(alert):
    """The bandit context of an alert: ``kind|family kind|maturity bucket|magnitude bucket``."""
    evidence = alert.evidence or {}
    family_kind = evidence.get("family_kind") or (alert.family.kind if alert.family else UNKNOWN)
    maturity = _bucket(evidence.get("maturity_weeks"), MATURITY_BUCKETS)
    magnitude = _bucket(evidence.get("magnitude"), MAGNITUDE_BUCKETS)
    return f"{alert.kind}|{family_kind}|{maturity}|{magnitude}"


def recommend_for_alerts(alert_ids, rng=None):
    """Recommend an action for each alert by Thompson sampling, vectorised over the alerts.

    An alert whose latest recommendation was made in the same context keeps it. Only active
    actions that apply to the alert's kind are eligible. Each new Recommendation stores the
    chosen action's propensity and every eligible action's, estimated from
    ``BanditConfig.propensity_samples`` posterior draws.
    """
    rng = rng or np.random.default_rng()
    alert_ids = list(alert_ids)
    if not alert_ids:
        return
    config = BanditConfig.get()
    actions = list(Action.objects.filter(active=True))
    if not actions:
        return
    latest = {pk: rec.context for pk, rec in current_recommendations(alert_ids).items()}
    todo = []
    for part in chunks(alert_ids, selectors.CHUNK):
        for alert in Alert.objects.filter(pk__in=part).select_related("family"):
            context = alert_context(alert)
            if latest.get(alert.pk) != context:
                todo.append((alert, context))
    if not todo:
        return
    contexts = sorted({c for _, c in todo})
    c_index = {c: i for i, c in enumerate(contexts)}
    rows = np.array([c_index[c] for _, c in todo])
    chosen, props, eligible, means = _thompson(contexts, actions, config, rng, rows)
    now = timezone.now()
    recs = []
    for n, (alert, context) in enumerate(todo):
        j = chosen[n]
        if j < 0:
            continue
        recs.append(
            Recommendation(
                alert=alert,
                action=actions[j],
                context=context,
                propensity=float(props[n, j]),
                confidence=float(means[rows[n], j]),
                propensities={
                    a.code: float(props[n, k])
                    for k, a in enumerate(actions)
                    if eligible[rows[n], k]
                },
                created_at=now,
            )
        )
    Recommendation.objects.bulk_create(recs, batch_size=500)


def _thompson(contexts, actions, config, rng, rows=None):
    """The production policy: Thompson draws from each context's posterior over the eligible
    actions. Returns ``(chosen, propensities, eligible, posterior means)``."""
    alpha, beta = selectors.arm_params(contexts, actions, config)
    # The alert kind opens the context, so eligibility is per context.
    eligible = np.array([[a.applies_to(c.split("|")[0]) for a in actions] for c in contexts])
    chosen, props = bandit.thompson_sample(
        alpha, beta, eligible, rng, config.propensity_samples, config.optimistic, rows=rows
    )
    return chosen, props, eligible, alpha / (alpha + beta)


def what_if(context, rng=None):
    """The action probabilities the bandit would give an alert in ``context`` now.

    The same code path as :func:`recommend_for_alerts`, without storing anything. Returns a
    list of ``{"action", "probability", "mean"}`` for the eligible actions, likeliest first.
    """
    rng = rng or np.random.default_rng()
    config = BanditConfig.get()
    actions = list(Action.objects.filter(active=True))
    if not actions:
        return []
    _, props, eligible, means = _thompson([context], actions, config, rng)
    rows = [
        {"action": a, "probability": float(props[0, j]), "mean": float(means[0, j])}
        for j, a in enumerate(actions)
        if eligible[0, j]
    ]
    return sorted(rows, key=lambda r: (-r["probability"], -r["mean"]))


def record_feedback(feedback):
    """Write the reward event a rep's answer implies; the posteriors change at the next fold.

    *I will act* is an engagement success for the action the rep chose; *False alarm* is a
    failure for the action recommended in that context. A snooze says nothing. Called inside
    :func:`crm.services.answer_alert`'s transaction (the alert row locked); recording the same
    answer twice, or a second answer of the same kind and action on the same alert, is a no-op.
    """
    alert = feedback.alert
    rec = current_recommendation(alert)
    weight = BanditConfig.get().engagement_weight
    if feedback.verdict == Feedback.Verdict.ACT and feedback.action_id:
        action_id, kind, succ, fail = feedback.action_id, RewardEvent.Kind.ENGAGED, weight, 0.0
    elif feedback.verdict == Feedback.Verdict.FALSE_ALARM and rec is not None:
        action_id, kind, succ, fail = rec.action_id, RewardEvent.Kind.FALSE_ALARM, 0.0, weight
    else:
        return
    # The bandit learns once per alert and action, however often the rep re-answers.
    if RewardEvent.objects.filter(
        feedback__alert_id=feedback.alert_id, kind=kind, action_id=action_id
    ).exists():
        return
    RewardEvent.objects.get_or_create(
        feedback=feedback,
        kind=kind,
        defaults={
            "context": rec.context if rec else alert_context(alert),
            "action_id": action_id,
            "successes": succ,
            "failures": fail,
            "recommendation": rec,
        },
    )


def fold_rewards(now=None):
    """Fold every unfolded reward event into its posterior, atomically. Returns the count.

    Folds are serialised by a lock on the BanditConfig row. First all evidence fades by
    ``discount ** weeks since the last fold``; then each (context, action) gets its events'
    sums with a single ``UPDATE ... SET successes = successes + ...``, and the events are
    marked folded in the same transaction. Events written meanwhile wait for the next fold.
    """
    now = now or timezone.now()
    BanditConfig.get()
    with transaction.atomic():
        config = BanditConfig.objects.select_for_update().get(pk=1)
        _fade(config, now)
        events = list(
            RewardEvent.objects.filter(folded_at__isnull=True).values_list(
                "id", "context", "action_id", "successes", "failures"
            )
        )
        sums = {}
        for _, context, action_id, succ, fail in events:
            s = sums.setdefault((context, action_id), [0.0, 0.0, 0])
            s[0] += succ
            s[1] += fail
            s[2] += 1
        for (context, action_id), (succ, fail, n) in sums.items():
            posterior, _ = Posterior.objects.get_or_create(context=context, action_id=action_id)
            Posterior.objects.filter(pk=posterior.pk).update(
                successes=F("successes") + succ,
                failures=F("failures") + fail,
                n_events=F("n_events") + n,
                updated_at=now,
            )
        for part in chunks([e[0] for e in events], selectors.CHUNK):
            RewardEvent.objects.filter(pk__in=part).update(folded_at=now)
        config.last_folded_at = now
        config.save(update_fields=["last_folded_at"])
    return len(events)


def _fade(config, now):
    """Discount all folded evidence by ``config.discount`` per week since the last fold."""
    if config.last_folded_at is None or config.discount >= 1:
        return
    weeks = max((now - config.last_folded_at).total_seconds(), 0) / (7 * 86400)
    factor = config.discount**weeks
    if factor < 1:
        Posterior.objects.update(successes=F("successes") * factor, failures=F("failures") * factor)


def reset_to_prior(posteriors):
    """Forget the evidence of the given Posterior rows (a queryset), under the fold lock."""
    BanditConfig.get()
    with transaction.atomic():
        BanditConfig.objects.select_for_update().get(pk=1)
        return posteriors.update(successes=0.0, failures=0.0, n_events=0)


def harvest_outcomes(as_of=None):
    """Judge every *I will act* answer whose outcome window has closed; fold the rewards.

    The window is the ``BanditConfig.outcome_weeks`` weeks from the answer's date. Buying
    recovered when the client's mean weekly units of the alert's family in the window reach
    the alert's ``recovery_threshold_units_per_week``. Each judgement is an Outcome row and a
    reward event (1 recovered, 0 lost) for the action taken. Alerts without a family or a
    threshold cannot be judged and are skipped. Returns the number of outcomes stored.
    ``as_of`` defaults to today, or to the latest order's week when the data ends earlier: a
    window the imported orders do not cover yet is not judged (as lost).
    """
    as_of = run_as_of(as_of)
    weeks = BanditConfig.get().outcome_weeks
    last_day = as_of - timedelta(weeks=weeks)
    cutoff = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    pending = Feedback.objects.filter(
        verdict=Feedback.Verdict.ACT,
        action__isnull=False,
        alert__family__isnull=False,
        created_at__lt=cutoff,
        outcome__isnull=True,
    ).select_related("alert", "alert__family")
    stored = 0
    for fb in list(pending.order_by("created_at", "pk")):
        alert = fb.alert
        if Outcome.objects.filter(alert=alert, action_id=fb.action_id).exists():
            continue  # a re-answer with the same action: judged once per alert and action
        threshold = (alert.evidence or {}).get("recovery_threshold_units_per_week")
        if threshold is None:
            continue
        start = timezone.localdate(fb.created_at)
        units = OrderLine.objects.filter(
            client_id=alert.client_id,
            family_id=alert.family_id,
            date__gte=start,
            date__lt=start + timedelta(weeks=weeks),
        ).aggregate(total=Sum("units"))["total"]
        per_week = float(units or 0) / weeks
        recovered = per_week >= float(threshold)
        rec = (
            alert.recommendations.filter(created_at__lte=fb.created_at)
            .order_by("-created_at", "-id")
            .first()
        )
        context = rec.context if rec else alert_context(alert)
        try:
            with transaction.atomic():
                Outcome.objects.create(
                    feedback=fb,
                    alert=alert,
                    action_id=fb.action_id,
                    context=context,
                    window_start=start,
                    window_weeks=weeks,
                    units_per_week=per_week,
                    threshold_units_per_week=float(threshold),
                    recovered=recovered,
                )
                RewardEvent.objects.create(
                    feedback=fb,
                    kind=RewardEvent.Kind.RECOVERED if recovered else RewardEvent.Kind.LOST,
                    context=context,
                    action_id=fb.action_id,
                    successes=float(recovered),
                    failures=float(not recovered),
                    recommendation=rec if rec and rec.action_id == fb.action_id else None,
                )
        except IntegrityError:
            continue  # a concurrent harvest judged this answer first
        stored += 1
    fold_rewards()
    return stored
