"""The OpenAPI schema and its two docs pages: behind a login unless ``API_DOCS_PUBLIC``.

Both pages load only files we serve (the sidecar bundles and our own start-up script),
under a policy that names no other origin; Redoc's stock page pulls fonts from the internet.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
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


class _DocsPage:
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
