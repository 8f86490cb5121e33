"""Refuse query strings that no page can use and a database may choke on.

PostgreSQL cannot store or compare a NUL character, and a lone surrogate cannot be encoded
at all, so a search or a list filter holding either would end in a 500. One rule for every
page, the admin and the API: such a query string is a 400 before any view runs.
"""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

MSG_BAD_QUERY = (
    "The query string holds a NUL character or a lone surrogate, which no search or filter accepts."
)
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def query_string_is_clean(request: HttpRequest) -> bool:
    """True unless a parameter name or value holds a NUL character or a lone surrogate."""
    return not any(
        _FORBIDDEN.search(key) or any(_FORBIDDEN.search(value) for value in values)
        for key, values in request.GET.lists()
    )


class QueryStringGuardMiddleware:
    """400 for a query string with NUL or surrogates: JSON under /api/, plain text elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("QUERY_STRING") and not query_string_is_clean(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MSG_BAD_QUERY}, status=400)
            return HttpResponseBadRequest(MSG_BAD_QUERY, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
