"""``/api/v1/export/jobs``: background exports (thin: ``services.export_jobs`` has the rules).

``POST /api/v1/export/jobs?format=…&<claim filters>`` takes exactly the streamed export's
query, checks it the same way, and answers 202 with the job; the job's ``progress`` moves as
the worker reads claims, and once ``done`` its ``download`` link gives the file, whose record
count, size and SHA-256 the job lists.
"""

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, QueryDict
from django.urls import reverse as django_reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import services
from annotations.api.exports import EXPORT_PARAMETERS, FixedJSONNegotiation, prepare_export
from annotations.api.pagination import KeysetPagination
from annotations.api.permissions import DeskPermission
from annotations.api.schema import ErrorSerializer
from annotations.exports.registry import FORMATS
from annotations.models import ExportJob
from annotations.selectors import KeyField


class ExportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    query = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "url",
            "format",
            "query",
            "status",
            "records_total",
            "records_done",
            "progress",
            "size",
            "sha256",
            "download",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def _url(self, name: str, job: ExportJob) -> str:
        # Django's reverse: DRF's would carry the request's ?format= (the export's) along.
        path = django_reverse(name, kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, job: ExportJob) -> str:
        return self._url("api:export-job", job)

    def get_query(self, job: ExportJob) -> str:
        return job.query_string

    def get_progress(self, job: ExportJob) -> float | None:
        """Share of the matching claims read so far (0 to 1); 1 once done."""
        if job.status == ExportJob.Status.DONE:
            return 1.0
        if not job.records_total:
            return None
        return round(min(job.records_done / job.records_total, 1.0), 4)

    def get_download(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        return self._url("api:export-job-file", job)


class NotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "export_not_ready"


class ExportJobListView(ListAPIView):
    """Your export jobs, newest first; POST starts one."""

    permission_classes = [DeskPermission]
    serializer_class = ExportJobSerializer
    pagination_class = KeysetPagination
    orderings = {"-id": (KeyField("id", int, True),)}
    default_ordering = "-id"
    # ``?format=`` names the export's format, as on the streamed export, not a renderer.
    content_negotiation_class = FixedJSONNegotiation

    def get_queryset(self) -> QuerySet[ExportJob]:
        return ExportJob.objects.filter(requested_by_id=self.request.user.pk)

    @extend_schema(
        summary="Start a background export",
        description="Takes the query of `GET /api/v1/export/claims` (format, claim filters, "
        "the format's parameters) in the query string; answers 202 with the job.",
        request=None,
        parameters=EXPORT_PARAMETERS,
        responses={202: ExportJobSerializer},
    )
    def post(self, request: Request) -> Response:
        job = start_export_job(request, request.query_params)
        job.refresh_from_db()  # an eager worker (tests, make run) may have finished it already
        data = ExportJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class ExportJobView(APIView):
    permission_classes = [DeskPermission]

    @extend_schema(
        summary="An export job: status, progress, manifest", responses=ExportJobSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        job = _own_job(request, pk)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ExportJobFileView(APIView):
    permission_classes = [DeskPermission]

    @extend_schema(
        summary="Download an export job's file",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                description="the file, in the job's format (its media type)"
            ),
            409: ErrorSerializer,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        job = _own_job(request, pk)
        try:
            handle = services.export_job_open(job, request.user)
        except FileNotFoundError as error:
            raise NotReady(str(error)) from None
        fmt = FORMATS.get(job.format)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"claims-{job.pk}.{fmt.extension if fmt else 'txt'}",
            content_type=fmt.content_type if fmt else "application/octet-stream",
        )
        response["X-Content-SHA256"] = job.sha256
        response["Cache-Control"] = "private, no-store"
        return response


def start_export_job(request: HttpRequest | Request, params: QueryDict) -> ExportJob:
    """Check an export query as the streamed export would, then queue it as a job.

    Shared by the API and the exports page. A bad query raises DRF's ValidationError before
    any job exists, so it is a 400 now rather than a failed job later.
    """
    api_root = request.build_absolute_uri(django_reverse("api:api-root"))
    address = request.build_absolute_uri(django_reverse("api:export-claims"))
    prepare_export(request.user, params, api_root=api_root, address=address)
    return services.export_job_request(
        actor=request.user,
        query=[(k, v) for k, values in params.lists() for v in values],
        api_root=api_root,
        address=address,
    )


def _own_job(request: Request, pk: int) -> ExportJob:
    try:
        return services.export_job_of(pk, request.user)
    except ExportJob.DoesNotExist:
        raise Http404 from None
