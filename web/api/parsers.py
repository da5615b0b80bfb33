"""A JSON parser that answers a body nested too deeply with 400, never a RecursionError."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: Deepest nesting of objects and lists a request body may have. The API's bodies need 3
#: (``{"rows": [{...}]}``); the margin leaves room for future shapes.
MAX_DEPTH = 32


def too_deep(data, limit=MAX_DEPTH):
    """Whether ``data`` nests lists and dicts deeper than ``limit`` (iterative, no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with a bound on nesting: deeper bodies are a 400 ``ParseError``.

    Python's decoder raises ``RecursionError`` on very deep bodies and serializers recurse
    on moderately deep ones; both become the same 400 here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        message = _("JSON parse error: the body nests objects or lists deeper than %(n)d levels.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message % {"n": MAX_DEPTH}) from None
        if too_deep(data):
            raise ParseError(message % {"n": MAX_DEPTH})
        return data
