"""``GET /api/v1/agreement/``: how far the analysts agree, on the claims the claim filters pick.

Reviewers only (``services.can_see_agreement``). The figures and what they are computed on
are described in ``annotations.selectors_agreement``; a figure the data cannot define is
``null``.
"""

from dataclasses import asdict
from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors_agreement, services
from annotations.api.filters import ClaimFilter
from annotations.models import Claim
from annotations.selectors_agreement import ARTICLES_PER_PAGE as PER_PAGE
from annotations.selectors_agreement import DeskFigures

CONFUSION_HELP = (
    "Counts of claims: rows are the first analyst's verdict, columns the second's, both in "
    "the order of categories."
)


class PairSerializer(serializers.Serializer):
    first = serializers.IntegerField(help_text="Analyst id (the lower of the two).")
    second = serializers.IntegerField(help_text="Analyst id.")
    items = serializers.IntegerField(help_text="Claims both submitted a verdict on.")
    observed_agreement = serializers.FloatField(allow_null=True)
    cohens_kappa = serializers.FloatField(
        allow_null=True, help_text="Null with no claims, or when both used one verdict only."
    )
    confusion = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text=CONFUSION_HELP
    )


class HighlightSerializer(serializers.Serializer):
    first = serializers.IntegerField(help_text="Analyst id (the lower of the two).")
    second = serializers.IntegerField(help_text="Analyst id.")
    first_spans = serializers.IntegerField(help_text="Claims the first holds an assessment on.")
    second_spans = serializers.IntegerField()
    exact_matches = serializers.IntegerField()
    overlap_matches = serializers.IntegerField(
        help_text="Spans paired one to one whose common part is at least half the longer one."
    )
    exact_f1 = serializers.FloatField(allow_null=True)
    overlap_f1 = serializers.FloatField(allow_null=True)


class ArticleAgreementSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article_id")
    title = serializers.CharField()
    items = serializers.IntegerField(help_text="Claims with two or more submitted verdicts.")
    observed_agreement = serializers.FloatField(
        allow_null=True, help_text="Agreeing pairs of verdicts among all pairs on one claim."
    )
    pairs = PairSerializer(many=True)
    highlights = HighlightSerializer(many=True)


class AnalystSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    categories = serializers.ListField(
        child=serializers.CharField(), help_text="The verdicts compared, in matrix order."
    )
    items = serializers.IntegerField(help_text="Claims with two or more submitted verdicts.")
    observed_agreement = serializers.FloatField(allow_null=True)
    krippendorff_alpha = serializers.FloatField(
        allow_null=True, help_text="Nominal, across all analysts; missing verdicts allowed."
    )
    fleiss_kappa = serializers.FloatField(
        allow_null=True,
        help_text="Only when every claim compared has the same number of raters; else null.",
    )
    raters_per_item = serializers.IntegerField(allow_null=True)
    pairs = PairSerializer(many=True, help_text="Each pair of analysts over the whole desk.")
    articles = ArticleAgreementSerializer(
        many=True,
        help_text=f"One page of the articles where two analysts met ({PER_PAGE} a page), the "
        "most disagreeing pairs of verdicts first, then by id.",
    )
    article_count = serializers.IntegerField(help_text="Articles listed, over all pages.")
    page = serializers.IntegerField(help_text="This page of the articles, from 1.")
    pages = serializers.IntegerField(help_text="Pages of articles (at least 1).")
    analysts = serializers.SerializerMethodField(help_text="Names for the analyst ids above.")

    @extend_schema_field(AnalystSerializer(many=True))
    def get_analysts(self, instance: DeskFigures) -> list[dict[str, Any]]:
        return [{"id": pk, "name": name} for pk, name in sorted(instance.analysts.items())]

    def to_representation(self, instance: DeskFigures) -> dict[str, Any]:
        """The declared fields, built as plain dicts: a desk of 1,000 articles would
        otherwise spend most of the request in nested serializers (the figures are
        already plain numbers, and the tests compare both against the schema)."""
        return {
            "categories": list(instance.categories),
            "items": instance.items,
            "observed_agreement": instance.observed_agreement,
            "krippendorff_alpha": instance.krippendorff_alpha,
            "fleiss_kappa": instance.fleiss_kappa,
            "raters_per_item": instance.raters_per_item,
            "pairs": [asdict(pair) for pair in instance.pairs],
            "articles": [
                {
                    "article": article.article_id,
                    "title": article.title,
                    "items": article.items,
                    "observed_agreement": article.observed_agreement,
                    "pairs": [asdict(pair) for pair in article.pairs],
                    "highlights": [asdict(h) for h in article.highlights],
                }
                for article in instance.articles
            ],
            "article_count": instance.article_count,
            "page": instance.page,
            "pages": instance.pages,
            "analysts": self.get_analysts(instance),
        }


class PageSerializer(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1,
        default=1,
        help_text=f"Which page of the articles ({PER_PAGE} a page); the desk-wide figures are "
        "the same on every page. Past the last page: 404.",
    )


class AgreementView(APIView):
    """Agreement between analysts on the claims the filters pick (reviewers only)."""

    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilter
    queryset = Claim.objects.none()

    @extend_schema(
        summary="Agreement between analysts (reviewers only)",
        filters=True,
        parameters=[PageSerializer],
        responses={
            200: AgreementSerializer,
            404: OpenApiResponse(description="A page past the last page of articles."),
        },
    )
    def get(self, request: Request) -> Response:
        if not services.can_see_agreement(request.user):
            raise PermissionDenied(services.MSG_NO_RIGHT_AGREEMENT)
        filterset = ClaimFilter(request.query_params, queryset=Claim.objects.all())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        paging = PageSerializer(data=request.query_params)
        paging.is_valid(raise_exception=True)
        page = paging.validated_data["page"]
        figures = selectors_agreement.desk_agreement(filterset.qs, page=page)
        if page > figures.pages:
            raise NotFound(selectors_agreement.MSG_NO_SUCH_PAGE.format(pages=figures.pages))
        return Response(AgreementSerializer(figures).data)
