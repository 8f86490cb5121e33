"""Queue (or run here, with --now) checks of cited source links."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations import services
from annotations.linkcheck import service
from annotations.models import SourceLink


class Command(BaseCommand):
    help = (
        "Check cited source links: --stale (never checked or older than LINKCHECK_RECHECK_AGE), "
        "--all, or --url URL. Checks are queued for the Celery worker unless --now is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--stale", action="store_true", help="links that are due")
        which.add_argument("--all", action="store_true", help="every cited link, forced")
        which.add_argument("--url", action="append", help="this link, forced (repeatable)")
        parser.add_argument(
            "--now", action="store_true", help="check in this process instead of queuing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["url"]:
            ids = []
            for url in options["url"]:
                try:
                    normalised = services.normalise_url(url)
                except ValidationError as exc:
                    raise CommandError(f"{url}: {' '.join(exc.messages)}") from None
                link = SourceLink.objects.filter(url=normalised).first()
                if link is None:
                    raise CommandError(f"No evidence cites {normalised}.")
                ids.append(link.pk)
            force = True
        elif options["all"]:
            ids = list(
                SourceLink.objects.filter(evidence__isnull=False)
                .distinct()
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            force = True
        else:
            ids = service.links_due_for_check(limit=10**9)
            force = False
        if not options["now"]:
            queued = service.links_request_checks(links=ids, force=force)
            self.stdout.write(f"{queued} link check(s) queued of {len(ids)} selected.")
            return
        for pk in ids:
            outcome = service.link_check_run(link_id=pk, force=force, final=True)
            link = SourceLink.objects.get(pk=pk)
            self.stdout.write(f"{link.url}: {outcome.outcome or outcome.status}")
