"""The inbox page: the signed-in user's notifications, newest first, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from annotations import services
from annotations.csp import content_security_policy
from annotations.models import Notification

NOTIFICATIONS_PER_PAGE = 50


@content_security_policy
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(
        services.notifications_for(request.user, unread=unread_only), NOTIFICATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    notifications: list[Notification] = list(page.object_list)
    rows = [
        {"notification": row, "message": services.notification_message(row)}
        for row in notifications
    ]
    newest = notifications[0].created_at.isoformat() if notifications else ""
    return render(
        request,
        "annotations/inbox.html",
        {"page": page, "rows": rows, "unread_only": unread_only, "newest": newest},
    )


@login_required
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a line: it is read once opened, and leads to the claim in the annotator."""
    row = _own(request, pk)
    services.notification_mark_read(notification=row, user=request.user)
    return HttpResponseRedirect(services.notification_url(row))


@require_POST
@login_required
def inbox_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notification_mark_read(notification=_own(request, pk), user=request.user)
    return redirect("inbox")


@require_POST
@login_required
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    # Only what the reader saw: a notification arriving meanwhile stays unread.
    before = parse_datetime(request.POST.get("before", ""))
    services.notifications_mark_all_read(user=request.user, before=before)
    return redirect("inbox")


def _own(request: HttpRequest, pk: int) -> Notification:
    try:
        return services.notifications_for(request.user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification in your inbox.") from None
