"""JSON parsing with a size limit, so an oversized body is a 413 before it is decoded."""

import io
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from annotations.api.exceptions import RequestTooLarge


class BoundedJSONParser(JSONParser):
    """Refuse bodies over ``API_MAX_BODY_BYTES`` (413), whatever Content-Length claims."""

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
        return super().parse(stream, media_type, parser_context)
