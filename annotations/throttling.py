"""Who a request comes from, and the brake on guessing API tokens.

Login forms are throttled by django-axes (settings.py, README "Security"); this module
gives axes and the API one answer to "which address is this", and limits how many wrong
tokens one address may present.
"""

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


def client_address(request: HttpRequest) -> str:
    """The client's address: the one our https proxy appended to X-Forwarded-For when we
    run behind it (earlier entries are the client's to forge), else the socket's."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if last := forwarded.rsplit(",", 1)[-1].strip():
            return last
    return request.META.get("REMOTE_ADDR", "")


class TokenFailureThrottle(SimpleRateThrottle):
    """At most ``API_TOKEN_FAILURE_RATE`` wrong tokens per address; past that, every token
    from the address is refused (429) until the window passes, right or wrong, so the
    answers tell a guesser nothing."""

    scope = "token_failure"

    # Set by SimpleRateThrottle.__init__ from the rate; the stubs do not declare them.
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        return settings.API_TOKEN_FAILURE_RATE or None

    def get_cache_key(self, request: HttpRequest, view: object = None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def _load(self, request: HttpRequest) -> None:
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def is_locked(self, request: HttpRequest) -> bool:
        if self.rate is None:
            return False
        self._load(request)
        return len(self.history) >= self.num_requests

    def record_failure(self, request: HttpRequest) -> None:
        if self.rate is not None:
            self._load(request)
            self.throttle_success()  # DRF's name: it records one more entry in the window
