"""API tokens for scripts, stored as a SHA-256 digest: the key itself is shown once, at issue.

A token is a random 40-character key; the database keeps its digest (to find it) and its
first characters (to tell tokens apart in the admin), so a copy of the database or a look
at the admin page gives nobody a working key. The key's entropy makes a plain hash enough:
there is nothing to guess from the digest, so no salt or slow hash is needed.
"""

import hashlib
import secrets

from django.db import transaction

from annotations.models import TOKEN_PREFIX_LENGTH, ApiToken
from annotations.services.roles import Account

MSG_TOKEN_EXISTS = (
    "«{username}» already has a token ({prefix}…); it is shown only when issued. "
    "Replace it with --rotate."
)


class TokenExists(Exception):
    """The user has a token and the caller did not ask to replace it."""


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_issue(*, user: Account, rotate: bool = False) -> str:
    """Make ``user``'s token and return its key, the only time anyone sees it."""
    existing = ApiToken.objects.select_for_update().filter(user=user).first()
    if existing is not None:
        if not rotate:
            raise TokenExists(
                MSG_TOKEN_EXISTS.format(username=user.get_username(), prefix=existing.prefix)
            )
        existing.delete()
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, prefix=key[:TOKEN_PREFIX_LENGTH], digest=token_digest(key))
    return key


def token_owner(key: str) -> Account | None:
    """The user a key belongs to, or None; the lookup is by digest, never by the key."""
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    return token.user if token is not None else None
