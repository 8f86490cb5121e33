"""``POST /api/v1/import/claims``: a claims file in, the import's report out (reviewers only).

Thin: ``services.claims_import`` reads, checks and writes. The file comes as a multipart
``file`` field or as the raw body (JSON, JSON Lines or JSON-LD); either way it is spooled to a
temporary file as it arrives (memory stays flat), then read as a stream.
"""

import tempfile
from collections.abc import Sequence
from typing import IO, Any

from django.conf import settings
from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import services
from annotations.api.exceptions import RequestTooLarge
from annotations.api.exports import FixedJSONNegotiation
from annotations.api.permissions import DeskPermission
from annotations.models import Article
from annotations.services.claim_import import FORMATS
from annotations.services.errors import MSG_IMPORT_FORMAT_UNDETECTED, MSG_NO_RIGHT_IMPORT

MSG_MORE_REFUSED = "…and {count} more records not listed (a dry run's report lists them)."
MSG_NO_FILE = "Send the claims file as the request body or as a multipart «file» field."
MSG_NO_ARTICLE = "There is no article {value}."
SPOOL_IN_MEMORY = 1 << 20


def spool(source: Any, limit: int) -> IO[bytes]:
    """Copy a body to a temporary file (on disk past 1 MB), refusing it past ``limit``."""
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    while piece := source.read(65536):
        size += len(piece)
        if size > limit:
            spooled.close()
            raise RequestTooLarge(limit)
        spooled.write(piece)
    spooled.seek(0)
    return spooled


class FixedFormatNegotiation(FixedJSONNegotiation):
    """``?format=`` names the file's format, not a renderer; and multipart stays multipart."""

    def select_parser(  # type: ignore[override]
        self, request: Request, parsers: Sequence[BaseParser]
    ) -> BaseParser | None:
        return DefaultContentNegotiation().select_parser(request, parsers)


class ClaimsFileParser(BaseParser):
    """A raw claims file: the body itself, spooled; JSON is not decoded here."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:
            return {}
        return {"file": spool(stream, settings.IMPORT_MAX_BODY_BYTES)}


class ImportParamsSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS), required=False)
    dry_run = serializers.BooleanField(default=False)
    skip_refused = serializers.BooleanField(default=False)
    article = serializers.CharField(required=False)


class RecordResultSerializer(serializers.Serializer):
    position = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[o.value for o in services.ImportOutcome])
    external_id = serializers.CharField()
    claim = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    code = serializers.CharField()


class FileNoticeSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    format = serializers.CharField()
    dry_run = serializers.BooleanField()
    skip_refused = serializers.BooleanField()
    written = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    file_error = serializers.CharField(allow_null=True)
    file_error_code = serializers.CharField(allow_null=True)
    notices = FileNoticeSerializer(many=True)
    records = RecordResultSerializer(many=True)
    records_left_off = serializers.IntegerField()


def _params(request: Request) -> dict[str, Any]:
    """The import's parameters, from the query string or the multipart form's fields."""
    data: dict[str, Any] = {}
    label_map: list[str] = []
    form = request.data if isinstance(request.data, QueryDict) else QueryDict()
    for source in (request.query_params, form):
        for name in ("format", "dry_run", "skip_refused", "article"):
            if name in source:
                data[name] = source[name]
        label_map.extend(source.getlist("label_map"))
    query = ImportParamsSerializer(data=data)
    query.is_valid(raise_exception=True)
    # LABEL=verdict pairs are checked by the service, whose errors stay flat (one list).
    return {**query.validated_data, "label_map": [pair for pair in label_map if pair]}


@extend_schema(
    summary="Import claims from a file",
    description="Reviewers only. The body (or a multipart `file` field) is the desk's json or "
    "jsonl export, a W3C Web Annotation collection, page or annotation, Label Studio's JSON "
    "export or doccano's JSONL. `dry_run` reports and writes nothing; a real run is all or "
    "nothing unless `skip_refused`. `label_map=LABEL=verdict` (repeatable) maps tool labels. "
    "A dry run answers its report (200) even when it would refuse records; a real run "
    "answers 400 when refused: `file` holds one message per refused record (`line 3: why`) and "
    "`codes.file` their codes; nothing is written.",
    parameters=[
        OpenApiParameter("format", str, enum=list(FORMATS), description="default: guessed"),
        OpenApiParameter("dry_run", bool),
        OpenApiParameter("skip_refused", bool),
        OpenApiParameter("label_map", str, many=True, description="LABEL=verdict"),
        OpenApiParameter("article", str, description="Label Studio/doccano: article id or slug"),
    ],
    request={
        "application/json": {"type": "string", "format": "binary"},
        "application/x-ndjson": {"type": "string", "format": "binary"},
        "application/ld+json": {"type": "string", "format": "binary"},
        "multipart/form-data": {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
        },
    },
    responses={200: ImportReportSerializer},
)
class ImportClaimsView(APIView):
    permission_classes = [DeskPermission]
    parser_classes = [MultiPartParser, ClaimsFileParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FixedFormatNegotiation

    def post(self, request: Request) -> Response:
        if not services.is_reviewer(request.user):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied(MSG_NO_RIGHT_IMPORT)
        params = _params(request)
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or isinstance(upload, str):
            raise ParseError(MSG_NO_FILE)
        article = None
        if params.get("article"):
            value = params["article"]
            article = Article.objects.filter(slug=value).first()
            if article is None and value.isdigit():
                article = Article.objects.filter(pk=int(value)).first()
            if article is None:
                raise serializers.ValidationError({"article": [MSG_NO_ARTICLE.format(value=value)]})
        fmt = params.get("format")
        if fmt is None:
            fmt = services.detect_format(upload.read(65536), getattr(upload, "name", "") or "")
            upload.seek(0)
            if fmt is None:
                raise serializers.ValidationError(
                    {"format": [MSG_IMPORT_FORMAT_UNDETECTED.format(choices=", ".join(FORMATS))]}
                )
        report = services.claims_import(
            stream=upload,
            format=fmt,
            actor=request.user,
            dry_run=params["dry_run"],
            skip_refused=params["skip_refused"],
            label_map=services.parse_label_map(params["label_map"]),
            article=article,
        )
        if report.file_error or not (report.ok or report.dry_run):
            return Response(refusal(report), status=status.HTTP_400_BAD_REQUEST)
        return Response(report.as_dict(), status=status.HTTP_200_OK)


def refusal(report: services.ClaimImport) -> dict[str, Any]:
    """A refused file in the API's error shape: under ``file``, the file's own error or one
    message per refused record ("line 3: why"), with its code in ``codes``, in file order."""
    if report.file_error:
        messages, codes = [report.file_error], [report.file_error_code]
    else:
        refused = [r for r in report.records if r.outcome == services.ImportOutcome.REFUSED]
        messages = [f"{r.position}: {r.reason}" for r in refused]
        codes = [r.code for r in refused]
        if report.records_left_off:
            messages.append(MSG_MORE_REFUSED.format(count=report.records_left_off))
            codes.append("more_refused")
    return {"file": messages, "codes": {"file": codes}}
