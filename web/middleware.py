"""Retry a read once on a fresh database connection when the server dropped the old one."""

import logging

from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)

#: Methods whose views only read, so running them twice is harmless.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RetryDroppedConnectionMiddleware:
    """A GET whose view failed because the database connection broke (the server restarted,
    a proxy or ``pg_terminate_backend`` closed it) runs once more on a new connection.

    Writes are never retried here: a POST that lost its connection may have committed, so it
    answers 500 and the client (with its idempotency key) decides. Inside ``ATOMIC_REQUESTS``
    or any open transaction nothing is retried either.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        if request.method not in SAFE_METHODS or getattr(request, "_db_retried", False):
            return None
        if connection.in_atomic_block or request.resolver_match is None:
            return None
        log.warning("database connection lost during %s, retrying: %r", request.path, exception)
        request._db_retried = True
        connection.close()
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)
