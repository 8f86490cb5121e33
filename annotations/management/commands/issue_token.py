"""Issue (or replace) the REST API token of a user, for scripts; the key is printed once."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations import services


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print it; only its digest is stored, so this is "
        "the one time it is shown (--rotate replaces an existing token)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="Delete the old token and issue a new one."
        )

    def handle(self, *args: Any, username: str, rotate: bool, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named «{username}».") from None
        if not user.is_active:
            raise CommandError(f"«{username}» is not active; a token would not work.")
        try:
            key = services.token_issue(user=user, rotate=rotate)
        except services.TokenExists as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(key)
