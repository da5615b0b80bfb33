"""OpenMP/BLAS threads of the fits: one by default.

scikit-learn's gradient boosting and K-Means start one OpenMP thread per core and spin while
waiting; on a small shared machine (or in a Celery worker beside others) that turns seconds
into minutes. ``INSIGHTS_THREADS`` in the environment raises the limit.
"""

import functools
import os

from threadpoolctl import threadpool_limits


def limited(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=int(os.environ.get("INSIGHTS_THREADS", "1"))):
            return fn(*args, **kwargs)

    return wrapper
