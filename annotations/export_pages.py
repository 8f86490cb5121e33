"""The exports page: start a background export and follow it to its download link.

What the API's ``/api/v1/export/jobs`` does, for people: the same query checks
(``start_export_job``), the same jobs, the same download. The page reloads itself every few
seconds while a job of the reader's is still queued or running.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from rest_framework.exceptions import ValidationError

from annotations.api.export_jobs import start_export_job
from annotations.csp import content_security_policy
from annotations.exports.registry import DEFAULT_FORMAT, FORMATS
from annotations.models import Article, ExportJob, Verdict

JOBS_PER_PAGE = 25
REFRESH_SECONDS = 2
ARTICLES_LISTED = 500  # offered by title; any other article is chosen by its id
# The form's fields that are claim filters or export parameters, passed on as the API takes them.
QUERY_FIELDS = ("format", "article", "verdict", "summary")


@content_security_policy
@login_required
def exports(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    if request.method == "POST":
        params = QueryDict(mutable=True)
        for name in QUERY_FIELDS:
            value = request.POST.get(name, "").strip()
            if value:
                params[name] = value
        try:
            job = start_export_job(request, params)
        except ValidationError as exc:
            errors = _messages(exc.detail)
        else:
            messages.success(request, f"Export {job.pk} is queued.")
            return redirect("exports")
    jobs = ExportJob.objects.filter(requested_by_id=request.user.pk).order_by("-id")
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    working = any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in page)
    context = {
        "page": page,
        "formats": [(name, fmt.description) for name, fmt in FORMATS.items()],
        "default_format": DEFAULT_FORMAT,
        "articles": Article.objects.order_by("title").values_list("pk", "title")[:ARTICLES_LISTED],
        "verdicts": Verdict.choices,
        "errors": errors,
        "chosen": request.POST if errors else {},
        "refresh": REFRESH_SECONDS if working else None,
        "retention_days": settings.EXPORT_JOB_RETENTION_DAYS,
    }
    return render(request, "annotations/exports.html", context, status=400 if errors else 200)


def _messages(detail: object) -> list[str]:
    """DRF's error detail (a dict of lists, a list, a string) as sentences for the page."""
    if isinstance(detail, dict):
        return [f"{field}: {text}" for field, value in detail.items() for text in _messages(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in _messages(item)]
    return [str(detail)]
