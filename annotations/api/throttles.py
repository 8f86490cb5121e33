"""Rate limits of API actions that make the server do work elsewhere."""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle

MSG_RECHECK_THROTTLED = (
    "You asked for many link checks in a short time: try this one again in {wait} seconds."
)


class LinkRecheckThrottle(UserRateThrottle):
    """ "Check again" fetches someone else's page: a few requests per user and period."""

    scope = "link_recheck"

    def get_rate(self) -> str:
        return settings.LINKCHECK_USER_RECHECK_RATE
