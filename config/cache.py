"""A Redis cache that degrades instead of failing when Redis cannot be reached.

The cache only speeds things up (province lists, API write throttling), so a Redis outage must
not turn pages and answers into 500s: every operation that fails with a Redis or socket error
logs a warning and behaves as a miss (reads return the default, writes do nothing). Short
socket timeouts (``OPTIONS``) keep an outage from stalling each request.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

#: Errors that mean "Redis is not there now".
DOWN = (RedisError, OSError)


def _degrade(name, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(TolerantRedisCache, self), name)(*args, **kwargs)
        except DOWN as exc:
            log.warning("cache %s failed, degrading to no cache: %r", name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


def _default(key, default=None, *args, **kwargs):
    return default


class TolerantRedisCache(RedisCache):
    """``RedisCache`` whose failures read as misses (see the module docstring)."""

    get = _degrade("get", _default)
    get_many = _degrade("get_many", lambda *args, **kwargs: {})
    has_key = _degrade("has_key", False)
    add = _degrade("add", False)
    set = _degrade("set", None)
    set_many = _degrade("set_many", lambda data, *a, **k: list(data))
    touch = _degrade("touch", False)
    delete = _degrade("delete", False)
    delete_many = _degrade("delete_many", None)
    clear = _degrade("clear", False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except DOWN as exc:
            log.warning("cache incr failed, degrading to no cache: %r", exc)
            raise ValueError(f"Key {key!r} not found (cache unreachable).") from exc
