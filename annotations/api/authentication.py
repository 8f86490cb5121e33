"""Token authentication against the hashed tokens, with a brake on wrong tokens."""

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from annotations import services
from annotations.throttling import TokenFailureThrottle

MSG_TOO_MANY_WRONG_TOKENS = "Too many wrong API tokens from this address; try again later."


class HashedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` as before; the key is looked up by its digest."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        throttle = TokenFailureThrottle()
        presents_token = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower()
        if presents_token == self.keyword.lower() and throttle.is_locked(request):
            raise exceptions.Throttled(throttle.wait(), MSG_TOO_MANY_WRONG_TOKENS)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise

    def authenticate_credentials(self, key: str) -> tuple[Any, None]:
        user = services.token_owner(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, None
