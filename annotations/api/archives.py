"""``GET /api/v1/claims/{id}/evidence.warc.gz`` and ``/articles/{id}/evidence.warc.gz``.

Every archived copy pinned to the citations of one claim (or of an article's claims), as one
WARC file that replay tools open: a ``warcinfo`` record saying what it holds, then the
copies as ``services.snapshots_warc_chunks`` writes them (a revisit's original first),
streamed. The blind rule applies as in exports: an analyst on a blind article gets only the
copies of claims whose judgments they may see; with none, the file holds the warcinfo alone.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from annotations import selectors, services
from annotations.api.exports import FixedJSONNegotiation
from annotations.api.permissions import DeskPermission
from annotations.api.schema import ErrorSerializer
from annotations.models import Claim

WARC_TYPE = "application/warc"


def _warc_response(
    user_claims: QuerySet[Claim], request: Request, name: str
) -> StreamingHttpResponse:
    snapshots = services.warc_order(
        selectors.pinned_snapshots_visible_to(request.user, user_claims)
    )
    filename = f"{name}-evidence.warc.gz"
    info = {
        "software": "Fact-checking annotation workbench",
        "description": f"Archived copies pinned to the citations of {name} ({settings.DESK_NAME})",
        "source": request.build_absolute_uri(request.path),
        "format": "WARC File Format 1.1",
    }

    def body() -> Iterator[bytes]:
        yield services.warcinfo_record(filename, info)
        yield from services.snapshots_warc_chunks(snapshots)

    response = StreamingHttpResponse(body(), content_type=WARC_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Accel-Buffering"] = "no"
    return response


WARC_RESPONSES = {
    (200, WARC_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="One WARC file (gzip per record): a warcinfo record, then each pinned copy "
        "(a revisit's original first).",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such claim or article."),
}


class _WarcView(APIView):
    permission_classes = [DeskPermission]
    renderer_classes = [JSONRenderer]  # errors; the file itself is a StreamingHttpResponse
    content_negotiation_class = FixedJSONNegotiation


@extend_schema(
    summary="The archived copies of a claim's citations, as one WARC file (streamed)",
    responses=WARC_RESPONSES,
)
class ClaimEvidenceWarcView(_WarcView):
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        claim = get_object_or_404(selectors.claims_visible_to(request.user), pk=pk)
        return _warc_response(Claim.objects.filter(pk=claim.pk), request, f"claim-{claim.pk}")


@extend_schema(
    summary="The archived copies of an article's citations, as one WARC file (streamed)",
    responses=WARC_RESPONSES,
)
class ArticleEvidenceWarcView(_WarcView):
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        article = get_object_or_404(selectors.articles_queryset(), pk=pk)
        claims = Claim.objects.filter(article_id=article.pk)
        return _warc_response(claims, request, f"article-{article.pk}")
