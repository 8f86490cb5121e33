"""Delete for good the claims deleted longer ago than the retention period."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from annotations import services


class Command(BaseCommand):
    help = (
        "Remove claims (with their evidence) deleted more than CLAIM_DELETED_RETENTION_DAYS "
        "ago; their history stays. Celery beat runs the same purge every CLAIM_PURGE_INTERVAL."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged = services.claims_purge_deleted()
        days = settings.CLAIM_DELETED_RETENTION_DAYS
        self.stdout.write(f"Purged {purged} claim(s) deleted over {days} days ago.")
