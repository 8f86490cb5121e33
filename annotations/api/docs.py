"""The OpenAPI schema and its two docs pages: behind a login unless ``API_DOCS_PUBLIC``.

Both pages load only files we serve (the sidecar bundles and our own start-up script),
under a policy that names no other origin. Redoc's stock page pulls fonts from the
internet, and its bundle a logo: our page names no fonts, and the bundle is served with
the logo's address taken out.
"""

from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from annotations.csp import DOCS_CONTENT_SECURITY_POLICY, with_policy


class DocsAccess(BasePermission):
    """Signed-in users (session or token) only, unless the desk opens the docs to everyone."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    permission_classes = [DocsAccess]


class _DocsPage(APIView):
    """A person who is not signed in is sent to the login form, then back to the page."""

    permission_classes = [DocsAccess]

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


@method_decorator(with_policy(DOCS_CONTENT_SECURITY_POLICY), name="dispatch")
class SwaggerView(_DocsPage, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served apart (``?script``), not inline."""


@method_decorator(with_policy(DOCS_CONTENT_SECURITY_POLICY), name="dispatch")
class RedocView(_DocsPage, SpectacularRedocView):
    template_name = "annotations/redoc.html"

    @staticmethod
    def _redoc_standalone() -> str:
        return reverse("api-redoc-bundle")


REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# What the bundle would fetch from the internet on its own: the "API docs by Redocly" logo.
# With an empty address the image fails at once and Redoc leaves it out.
REDOC_EXTERNAL_LOADS = {'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"': 'src:""'}


@cache
def _redoc_bundle() -> bytes:
    found = finders.find(REDOC_BUNDLE)
    assert isinstance(found, str), (
        f"{REDOC_BUNDLE} is missing: is drf-spectacular-sidecar installed?"
    )
    text = Path(found).read_text(encoding="utf-8")
    for external, local in REDOC_EXTERNAL_LOADS.items():
        text = text.replace(external, local)
    return text.encode("utf-8")


def redoc_bundle(request: HttpRequest) -> HttpResponse:
    """Redoc's standalone bundle, without the one image it would load from the internet."""
    response = HttpResponse(_redoc_bundle(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
