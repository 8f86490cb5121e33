"""JSON parsing with a size and a nesting limit.

An oversized body is a 413 before it is decoded; one nested deeper than
``API_MAX_JSON_DEPTH`` is a 400, and so is one too deep for the decoder itself.
"""

import io
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from annotations.api.exceptions import RequestTooLarge

MSG_TOO_DEEP = "The JSON body is nested deeper than the limit of {limit} levels."


def json_depth(value: Any) -> int:
    """How deeply the arrays and objects of a decoded JSON value nest (0 for a scalar)."""
    if not isinstance(value, dict | list):
        return 0
    deepest, stack = 1, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        # Only containers go on the stack: the scalars of a wide body cost one check each.
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class BoundedJSONParser(JSONParser):
    """Refuse bodies over ``API_MAX_BODY_BYTES`` (413), whatever Content-Length claims,
    and bodies nested deeper than ``API_MAX_JSON_DEPTH`` (400)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise RequestTooLarge(limit)
        if stream is not None:
            data = stream.read(limit + 1)
            if len(data) > limit:
                raise RequestTooLarge(limit)
            stream = io.BytesIO(data)
        depth_limit = settings.API_MAX_JSON_DEPTH
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder gave up before our limit could be checked: deeper than any limit.
            raise ParseError(MSG_TOO_DEEP.format(limit=depth_limit)) from None
        if json_depth(parsed) > depth_limit:
            raise ParseError(MSG_TOO_DEEP.format(limit=depth_limit))
        return parsed
