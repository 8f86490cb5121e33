"""Thin views: parse with a serializer, act through ``annotations.services``, render.

Every claim response carries ``ETag: "<version>"``; changing or deleting a claim needs
that version back (``If-Match`` or a ``version`` field), so no change is lost.
"""

import re
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import history_display, selectors, services
from annotations.api import article_adding
from annotations.api import serializers as s
from annotations.api.exceptions import PreconditionRequired
from annotations.api.filters import ArticleFilter, ClaimFilter, EvidenceFilter, SourceLinkFilter
from annotations.api.pagination import KeysetPagination
from annotations.api.permissions import DeskPermission
from annotations.api.schema import ETAG, IF_MATCH, ErrorSerializer
from annotations.api.throttles import MSG_RECHECK_THROTTLED, LinkRecheckThrottle
from annotations.linkcheck import service as linkcheck_service
from annotations.models import Assessment, Claim, Evidence
from annotations.selectors import KeyField

_ETAG = re.compile(r'\s*(?:W/)?(?:"(\d{1,18})"|(\d{1,18}))\s*')
MSG_BAD_IF_MATCH = 'If-Match must be one claim version in quotes, e.g. "3".'
MSG_VERSION_CONFLICT = "If-Match and version name different versions."


def etag(claim: Claim | Assessment) -> str:
    return f'"{claim.version}"'


def expected_version(request: Request, body_version: int | None, *, required: bool) -> int | None:
    """The version the client says it is changing, from If-Match or the body."""
    header = request.headers.get("If-Match")
    header_version = None
    if header is not None:
        match = _ETAG.fullmatch(header)
        if not match:
            raise ValidationError({"If-Match": [MSG_BAD_IF_MATCH]})
        header_version = int(match.group(1) or match.group(2))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ValidationError({"version": [MSG_VERSION_CONFLICT]})
    version = header_version if header_version is not None else body_version
    if version is None and required:
        raise PreconditionRequired()
    return version


class MeView(APIView):
    """The signed-in user and what they may do."""

    @extend_schema(responses=s.MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(request.user).data)


@extend_schema_view(
    list=extend_schema(summary="Articles (without their body)"),
    retrieve=extend_schema(summary="One article with its body and claim counts"),
    create=extend_schema(
        summary=article_adding.ADD_SUMMARY,
        request=article_adding.ADD_REQUEST,
        responses={
            200: s.ArticleSerializer,
            201: s.ArticleSerializer,
            202: article_adding.ArticleFetchSerializer,
        },
    ),
    partial_update=extend_schema(
        summary="Turn blind double-checking on or off (reviewers)",
        request=s.BlindReviewSerializer,
        responses={200: s.ArticleSerializer},
    ),
)
class ArticleViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [DeskPermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ArticleFilter
    orderings = {
        "id": (KeyField("id", int),),
        "title": (KeyField("title", str), KeyField("id", int)),
    }
    default_ordering = "id"

    def get_queryset(self) -> QuerySet:
        queryset = selectors.articles_queryset()
        if self.action == "list":
            queryset = queryset.defer("body")
        return queryset

    def get_serializer_class(self) -> type:
        return s.ArticleListSerializer if self.action == "list" else s.ArticleSerializer

    def get_parsers(self) -> Any:
        # Called before ``self.action`` is set; the route's action map says the same.
        request = getattr(self, "request", None)
        method = (request.method or "").lower() if request is not None else ""
        if getattr(self, "action_map", {}).get(method) == "create":
            return [parser() for parser in article_adding.ADD_PARSERS]
        return super().get_parsers()

    def get_permissions(self) -> Any:
        if self.action == "create":
            return [permission() for permission in article_adding.ADD_PERMISSIONS]
        return super().get_permissions()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add an article (``api.article_adding`` says how); 201 new, 200 updated, 202 a link."""
        return article_adding.add_article(
            request,
            lambda article, code: Response(
                s.ArticleSerializer(article, context=self._context([article.pk])).data,
                status=code,
            ),
        )

    def _context(self, ids: list[int]) -> dict[str, Any]:
        """Per-article counts and the reader's own assignments and progress, a query each."""
        user = self.request.user
        return {
            **self.get_serializer_context(),
            "claim_counts": selectors.claim_counts(ids, user),
            "assigned": selectors.assigned_article_ids(user, ids),
            "progress": selectors.assessment_progress(user, ids),
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # None only without a pagination_class, and this view has one
        context = self._context([article.pk for article in page])
        data = s.ArticleListSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(self.get_object())

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        article = self.get_object()
        serializer = s.BlindReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.article_set_blind_review(
            article=article, actor=request.user, **serializer.validated_data
        )
        return self._respond(updated)

    def _respond(self, article: Any) -> Response:
        return Response(s.ArticleSerializer(article, context=self._context([article.pk])).data)

    @extend_schema(
        methods=["GET"],
        summary="Who the article is assigned to",
        request=None,
        responses=s.AssignmentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Assign the article to desk members (reviewers; idempotent)",
        request=s.AssignmentInputSerializer,
        responses=s.AssignmentSerializer(many=True),
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Take the article back from desk members (reviewers; idempotent)",
        request=s.AssignmentInputSerializer,
        responses=s.AssignmentSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get", "post", "delete"],
        pagination_class=None,
        filter_backends=[],
        serializer_class=s.AssignmentSerializer,
    )
    def assignments(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        if request.method != "GET":
            data = ClaimViewSet._valid(s.AssignmentInputSerializer, request.data)
            people = selectors.desk_members(data["analysts"])
            write = (
                services.article_assign if request.method == "POST" else services.article_unassign
            )
            write(article=article, analysts=people, reviewer=request.user)
        rows = selectors.article_assignments(article)
        return Response(s.AssignmentSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Claims, filtered, in cursor pages"),
    retrieve=extend_schema(summary="One claim", parameters=[ETAG]),
    create=extend_schema(
        summary="Highlight a claim (the author is the signed-in user)",
        request=s.ClaimCreateSerializer,
        responses={201: s.ClaimSerializer},
        parameters=[ETAG],
    ),
    partial_update=extend_schema(
        summary="Change verdict, rationale or span of a claim at a known version",
        request=s.ClaimUpdateSerializer,
        responses={200: s.ClaimSerializer},
        parameters=[IF_MATCH, ETAG],
    ),
    destroy=extend_schema(
        summary="Delete a claim at a known version",
        request=s.VersionSerializer,
        responses={204: None},
        parameters=[IF_MATCH],
    ),
    history=extend_schema(
        summary="The claim's history, newest first",
        responses=s.HistoryLineSerializer(many=True),
    ),
)
class ClaimViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [DeskPermission]
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilter
    serializer_class = s.ClaimSerializer
    orderings = selectors.CLAIM_ORDERINGS
    default_ordering = selectors.DEFAULT_CLAIM_ORDERING
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    # For the schema: where a stale version (412) or a missing one (428) can be answered.
    versioned_actions = {
        "partial_update": {"PATCH"},
        "destroy": {"DELETE"},
        "sign_off": {"POST"},
        "restore": {"POST"},
        "decide": {"POST"},
        "assessment": {"PUT"},
    }

    def get_queryset(self) -> QuerySet:
        # Every read and write starts from what the reader may see (the blind rule).
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return selectors.claims_visible_to(self.request.user, selectors.claims_queryset())
        # Writes lock and re-read the row in the service; the checks here need no prefetch.
        return selectors.claims_visible_to(self.request.user, Claim.objects.all())

    def _respond(self, claim: Claim, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.claims_queryset().get(pk=claim.pk)
        response = Response(self.get_serializer(fresh).data, status=status_code)
        response["ETag"] = etag(fresh)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        response = Response(self.get_serializer(claim).data)
        response["ETag"] = etag(claim)
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._valid(s.ClaimCreateSerializer, request.data)
        data.pop("prefix", None)
        data.pop("suffix", None)
        claim = services.claim_create(author=request.user, **data)
        response = self._respond(claim, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        data = self._valid(s.ClaimUpdateSerializer, request.data)
        version = expected_version(request, data.pop("version", None), required=True)
        updated = services.claim_update(
            claim=claim, actor=request.user, expected_version=version, **data
        )
        return self._respond(updated)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        data = self._valid(s.VersionSerializer, request.data or {})
        version = expected_version(request, data.get("version"), required=True)
        services.claim_delete(claim=claim, actor=request.user, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["POST"],
        summary="Sign off a claim (reviewers); If-Match is optional here",
        request=s.VersionSerializer,
        responses={200: s.ClaimSerializer},
        parameters=[IF_MATCH, ETAG],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Withdraw a claim's sign-off (reviewers)",
        request=None,
        responses={200: s.ClaimSerializer},
        parameters=[ETAG],
    )
    @action(detail=True, methods=["post", "delete"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        if request.method == "DELETE":
            return self._respond(services.claim_revoke_sign_off(claim=claim, reviewer=request.user))
        data = self._valid(s.VersionSerializer, request.data or {})
        version = expected_version(request, data.get("version"), required=False)
        signed = services.claim_sign_off(
            claim=claim, reviewer=request.user, expected_version=version
        )
        return self._respond(signed)

    @extend_schema(
        methods=["POST"],
        summary="Publish a signed-off claim as a public fact-check page (reviewers)",
        description="The page is at the claim's public_url, with no login. Publishing a "
        "public claim changes nothing; a claim that is not signed off is refused (400).",
        request=None,
        responses={200: s.ClaimSerializer},
        parameters=[ETAG],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Take a claim's public page down (reviewers); its address answers 410",
        request=None,
        responses={200: s.ClaimSerializer},
        parameters=[ETAG],
    )
    @action(detail=True, methods=["post", "delete"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        if request.method == "DELETE":
            return self._respond(services.claim_unpublish(claim=claim, reviewer=request.user))
        return self._respond(services.claim_publish(claim=claim, reviewer=request.user))

    @extend_schema(
        summary="Restore a deleted claim as itself, with its evidence and history",
        description="The rules of deleting apply. If-Match (the version after the delete) "
        "is optional here. A span another claim has taken since is refused (400).",
        request=s.VersionSerializer,
        responses={200: s.ClaimSerializer},
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        # Deleted claims are outside get_queryset(): the service finds and checks this one.
        if pk is None or not pk.isdigit():
            raise Http404
        data = self._valid(s.VersionSerializer, request.data or {})
        version = expected_version(request, data.get("version"), required=False)
        restored = services.claim_restore(
            claim=int(pk), actor=request.user, expected_version=version
        )
        return self._respond(restored)

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        reader = None if services.can_see_judgments(request.user, claim) else request.user
        lines = history_display.claim_history_lines(claim.pk, only_by=reader)
        return Response(s.HistoryLineSerializer(lines, many=True).data)

    @extend_schema(
        summary="Decide the desk verdict, with a reason (reviewers) at a known claim version",
        request=s.DecisionSerializer,
        responses={200: s.ClaimSerializer},
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = self._valid(s.DecisionSerializer, request.data)
        version = expected_version(request, data.pop("version", None), required=True)
        decided = services.claim_decide(
            claim=claim, reviewer=request.user, expected_version=version, **data
        )
        return self._respond(decided)

    @extend_schema(
        methods=["POST"],
        summary="Link the same claim's appearance at a passage of another article",
        description="The claim covering article[start:end] joins this claim's group, or a "
        "highlight is made there. The group shares the desk verdict: when the two differ the "
        "answer is 409 until a reviewer sends the verdict that stands. Answers the appearance.",
        request=s.ClaimLinkSerializer,
        responses={200: s.ClaimSerializer, 409: s.VerdictConflictSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Unlink the claim from its group; it keeps its verdict",
        request=None,
        responses={200: s.ClaimSerializer},
    )
    @action(detail=True, methods=["post", "delete"])
    def links(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        if request.method == "DELETE":
            return self._respond(services.claim_unlink(claim, request.user))
        data = self._valid(s.ClaimLinkSerializer, request.data)
        appearance = services.claim_link(
            claim,
            article=data["article"],
            start=data["start"],
            end=data["end"],
            user=request.user,
            verdict_choice=data.get("verdict"),
        )
        return self._respond(appearance)

    @extend_schema(
        methods=["GET"],
        summary="The reader's own assessment of the claim (404 when none)",
        request=None,
        responses={200: s.OwnAssessmentSerializer},
        parameters=[ETAG],
    )
    @extend_schema(
        methods=["PUT"],
        summary="Record the reader's own verdict and rationale on the claim",
        description="If-Match (the assessment's version) is optional; a stale one is 412 "
        "with the current assessment. 201 when this makes the assessment.",
        request=s.AssessmentInputSerializer,
        responses={200: s.OwnAssessmentSerializer, 201: s.OwnAssessmentSerializer},
        parameters=[IF_MATCH, ETAG],
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None, filter_backends=[])
    def assessment(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        own = Assessment.objects.filter(claim_id=claim.pk, analyst_id=request.user.pk).first()
        if request.method == "GET":
            if own is None:
                raise Http404
            return self._assessment_response(own)
        data = self._valid(s.AssessmentInputSerializer, request.data)
        version = expected_version(request, None, required=False)
        saved = services.assessment_submit(
            claim=claim, analyst=request.user, expected_version=version, **data
        )
        return self._assessment_response(
            saved, status.HTTP_200_OK if own is not None else status.HTTP_201_CREATED
        )

    @staticmethod
    def _assessment_response(own: Assessment, status_code: int = status.HTTP_200_OK) -> Response:
        response = Response(s.OwnAssessmentSerializer(own).data, status=status_code)
        response["ETag"] = etag(own)
        return response

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @staticmethod
    def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema_view(
    create=extend_schema(
        summary="Cite a source for a claim",
        request=s.EvidenceCreateSerializer,
        responses={201: s.EvidenceSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a piece of evidence",
        request=s.EvidenceUpdateSerializer,
        responses={200: s.EvidenceSerializer},
    ),
    destroy=extend_schema(
        summary="Remove a piece of evidence", request=None, responses={204: None}
    ),
)
class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [DeskPermission]
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = EvidenceFilter
    serializer_class = s.EvidenceSerializer
    orderings = {"id": (KeyField("id", int),)}
    default_ordering = "id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return selectors.evidence_visible_to(self.request.user)
        return selectors.evidence_visible_to(
            self.request.user,
            Evidence.objects.select_related("claim").filter(claim__deleted_at__isnull=True),
        )

    def _respond(self, evidence: Evidence, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.evidence_queryset().get(pk=evidence.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.EvidenceCreateSerializer(
            data=request.data, context={"claims": selectors.claims_visible_to(request.user)}
        )
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_add(actor=request.user, **serializer.validated_data)
        return self._respond(evidence, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evidence = self.get_object()
        serializer = s.EvidenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.evidence_update(
            evidence=evidence, actor=request.user, **serializer.validated_data
        )
        return self._respond(updated)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.evidence_remove(evidence=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceLinkViewSet(viewsets.ReadOnlyModelViewSet):
    """Links are read here; ``recheck`` queues a fresh check through the link-check service."""

    permission_classes = [DeskPermission]
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SourceLinkFilter
    serializer_class = s.SourceLinkSerializer
    orderings = {"id": (KeyField("id", int),)}
    default_ordering = "id"

    def get_queryset(self) -> QuerySet:
        return selectors.source_links_queryset()

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        seconds = max(1, round(wait or 1))
        # Without a wait here, DRF appends its own "Expected available in ..." sentence.
        error = Throttled(detail=MSG_RECHECK_THROTTLED.format(wait=seconds))
        error.wait = seconds  # type: ignore[attr-defined]  # set by Throttled(); not in the stub
        raise error

    @extend_schema(
        summary="Check the link again now, unless it was checked or queued a moment ago "
        "(rate-limited per user)",
        request=None,
        responses={202: s.RecheckSerializer, 429: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], throttle_classes=[LinkRecheckThrottle])
    def recheck(self, request: Request, pk: str | None = None) -> Response:
        link = self.get_object()
        queued = linkcheck_service.link_check_request(link=link, force=True)
        link.refresh_from_db()
        answer = {"queued": queued, "link": link}
        payload = s.RecheckSerializer(answer, context={"request": request}).data
        return Response(payload, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    summary="The review queue: what needs a reviewer, most urgent first (reviewers)",
    parameters=[s.ReviewQueueQuerySerializer],
    responses=s.ReviewQueueSerializer,
)
class ReviewQueueView(APIView):
    def get(self, request: Request) -> Response:
        from annotations.admin.queue import QueueFilters, queue_for

        if not services.can_assign(request.user):  # before the parameters: 403, not 400
            raise DjangoPermissionDenied(services.MSG_NO_RIGHT_REVIEW_QUEUE)
        data = ClaimViewSet._valid(s.ReviewQueueQuerySerializer, request.query_params.dict())
        filters = QueueFilters(
            kind=data.get("kind"),
            article_id=data.get("article"),
            assigned_to_me=data["assigned_to_me"],
            page=data["page"],
        )
        queue = queue_for(request, filters)
        return Response(s.ReviewQueueSerializer(queue).data)


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """404 for an address no route matches: JSON under /api/, Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
