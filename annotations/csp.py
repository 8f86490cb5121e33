"""Content-Security-Policy: every response says what it may load, all from our origin.

The desk's pages, the admin, the browsable API and the error pages run no inline script or
style, so they get the strict policy. The API docs get a wider one: Redoc and Swagger UI
write their own styles at run time and Redoc searches in a worker it makes from a blob.
Neither policy names another origin, so the docs cannot load anything from the internet.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseBase

_COMMON = [
    "default-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
CONTENT_SECURITY_POLICY = "; ".join(["script-src 'self'", "style-src 'self'", *_COMMON])
# The admin's own templates (and the review desk's snippets) set style attributes; those may
# apply, while <style> elements and every script stay refused.
ADMIN_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self'; style-src-attr 'unsafe-inline'"
)
# JSON, JavaScript and the rest are never documents to render: they may load nothing.
NON_HTML_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "worker-src 'self' blob:",
        *_COMMON,
    ]
)


View = Callable[..., HttpResponseBase]


def with_policy(policy: str) -> Callable[[View], View]:
    """A view decorator that sends ``policy`` instead of the strict default."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            response.headers.setdefault("Content-Security-Policy", policy)
            return response

        return wrapped

    return decorate


content_security_policy = with_policy(CONTENT_SECURITY_POLICY)


class ContentSecurityPolicyMiddleware:
    """A policy on every response whose view did not choose one: strict for HTML (style
    attributes allowed in the admin), nothing at all for the rest (JSON, static files)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            policy = NON_HTML_CONTENT_SECURITY_POLICY
        elif request.path.startswith("/admin/"):
            policy = ADMIN_CONTENT_SECURITY_POLICY
        else:
            policy = CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
