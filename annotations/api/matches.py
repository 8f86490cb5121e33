"""``GET /api/v1/claims/{id}/matches/``: passages of other articles that report the claim."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.discussion import visible_claim
from annotations.api.permissions import DeskPermission
from annotations.matching import Match, claim_matches


class MatchSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article_id")
    article_title = serializers.CharField()
    language = serializers.CharField()
    start = serializers.IntegerField(help_text="Offset in the article's body, code points.")
    end = serializers.IntegerField()
    quote = serializers.CharField()
    prefix = serializers.CharField(help_text="Up to 60 code points before the passage.")
    suffix = serializers.CharField(help_text="Up to 60 code points after it.")
    score = serializers.FloatField(help_text="0..1, higher is closer.")
    claim = serializers.IntegerField(
        source="claim_id",
        allow_null=True,
        help_text="A claim you may see that covers at least half of the passage, if any.",
    )


class MatchListSerializer(serializers.Serializer):
    results = MatchSerializer(many=True)


class ClaimMatchesView(APIView):
    """Same-claim suggestions: readable by whoever may read the claim (404 otherwise)."""

    permission_classes = [DeskPermission]

    @extend_schema(
        summary="Passages of other articles, in any language, that report the same claim",
        responses=MatchListSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        claim = visible_claim(request, pk)
        matches: list[Match] = claim_matches(claim, user=request.user)
        return Response({"results": MatchSerializer(matches, many=True).data})
