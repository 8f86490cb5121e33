"""Reads with query logic, kept out of views, admin and tasks."""

from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet

from annotations.models import SourceLink


def source_links_due(
    *, now: datetime, recheck_age: timedelta, request_grace: timedelta
) -> QuerySet[SourceLink]:
    """Cited links never checked or checked before ``now - recheck_age``, oldest first.

    Links asked for within ``request_grace`` are left out: their check is already queued.
    """
    not_queued = Q(check_requested_at__isnull=True) | Q(check_requested_at__lt=now - request_grace)
    due = Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=now - recheck_age)
    cited = SourceLink.objects.filter(pk__in=SourceLink.objects.filter(evidence__isnull=False))
    return cited.filter(due & not_queued).order_by(F("last_checked_at").asc(nulls_first=True), "pk")
