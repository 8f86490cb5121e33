"""What every desk page's header shows: the signed-in user's unread notifications."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from annotations.services.notifications import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count, counted (one query) only by a page whose header shows it."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
