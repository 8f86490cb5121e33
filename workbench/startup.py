"""Checks a production process makes before it serves anything (wsgi, asgi, the worker)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MSG_DESK_URL_REQUIRED = (
    "DESK_URL is required when DEBUG is off: set it to the desk's public address, e.g. "
    "DESK_URL=https://factcheck.example.org/ (public fact-check pages, the feed, the sitemap "
    "and ClaimReview links are built from it)."
)


def require_production_settings() -> None:
    """Refuse to start a production process on a setting that only suits a developer's machine."""
    if not settings.DEBUG and not settings.DESK_URL_GIVEN:
        raise ImproperlyConfigured(MSG_DESK_URL_REQUIRED)
