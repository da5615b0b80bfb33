"""Parallel answers and folds lose no reward: events are rows, folds are serialised."""

import threading

import pytest
from django.db import connection

from crm.models import Feedback
from recommender import services
from recommender.models import BanditConfig, Posterior, RewardEvent

THREADS = 8
PER_THREAD = 12


def _answers(make_alert, make_user, action):
    rep = make_user("rep-concurrent")
    visit = action("visit")
    config = BanditConfig.get()
    config.engagement_weight, config.discount = 1.0, 1.0
    config.save()
    answers = []
    for _ in range(THREADS * PER_THREAD):
        alert = make_alert("partial_churn")
        answers.append(Feedback.objects.create(alert=alert, user=rep, verdict="act", action=visit))
    return answers, services.alert_context(answers[0].alert), visit


def _assert_nothing_lost(context, visit, n):
    services.fold_rewards()
    posterior = Posterior.objects.get(context=context, action=visit)
    assert posterior.n_events == n
    assert posterior.successes == pytest.approx(float(n))
    assert RewardEvent.objects.filter(folded_at__isnull=True).count() == 0
    assert RewardEvent.objects.count() == n


@pytest.mark.django_db(transaction=True)
def test_parallel_feedback_and_folds_lose_no_update(make_alert, make_user, action):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite allows one writer at a time, so threads cannot really write concurrently; "
            "run with DATABASE_URL=postgres://... to exercise the row locks."
        )
    answers, context, visit = _answers(make_alert, make_user, action)
    barrier = threading.Barrier(THREADS)
    errors = []

    def work(mine):
        try:
            barrier.wait()
            for n, feedback in enumerate(mine):
                services.record_feedback(feedback)
                if n % 3 == 0:
                    services.fold_rewards()
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(answers[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _assert_nothing_lost(context, visit, len(answers))


@pytest.mark.django_db(transaction=True)
def test_interleaved_feedback_and_folds_lose_no_update(make_alert, make_user, action):
    """The same interleaving, one step at a time: folds only take what they saw."""
    answers, context, visit = _answers(make_alert, make_user, action)
    for n, feedback in enumerate(answers):
        services.record_feedback(feedback)
        services.record_feedback(feedback)  # a retried call records nothing twice
        if n % 5 == 0:
            services.fold_rewards()
    _assert_nothing_lost(context, visit, len(answers))
