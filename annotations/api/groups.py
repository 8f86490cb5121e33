"""``POST/DELETE /api/v1/claim-groups/{id}/publish/``: a claim group's public page (reviewers)."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors_public, services
from annotations.api.permissions import DeskPermission
from annotations.models import Claim, ClaimGroup


class ClaimGroupPublicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claims = serializers.ListField(
        child=serializers.IntegerField(), help_text="The group's claims (not deleted), by id."
    )
    published_at = serializers.DateTimeField(allow_null=True)
    public_url = serializers.CharField(
        allow_null=True, help_text="The group's public fact-check page while it is public."
    )


def publication(group: ClaimGroup) -> dict[str, Any]:
    members = list(Claim.objects.filter(group=group).select_related("article").order_by("pk"))
    public = services.claim_group_is_public(group, members)
    return {
        "id": group.pk,
        "claims": [m.pk for m in members],
        "published_at": group.published_at,
        "public_url": selectors_public.group_url(group) if public else None,
    }


class ClaimGroupPublishView(APIView):
    """The service decides who may (reviewers: 403 otherwise) and what (400 with the reason)."""

    permission_classes = [DeskPermission]

    @extend_schema(
        summary="Publish a claim group as one public fact-check page (reviewers)",
        description="Every claim of the group must be signed off and placed (400 otherwise, "
        "naming them). Publishing a public group with nothing new changes nothing; publishing "
        "it again publishes sources cited and appearances linked since.",
        request=None,
        responses={200: ClaimGroupPublicationSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        group = get_object_or_404(ClaimGroup, pk=pk)
        done = services.claim_group_publish(group=group, reviewer=request.user)
        return Response(ClaimGroupPublicationSerializer(publication(done)).data)

    @extend_schema(
        summary="Take a claim group's public page down (reviewers); its address answers 410",
        request=None,
        responses={200: ClaimGroupPublicationSerializer},
    )
    def delete(self, request: Request, pk: int) -> Response:
        group = get_object_or_404(ClaimGroup, pk=pk)
        done = services.claim_group_unpublish(group=group, reviewer=request.user)
        return Response(ClaimGroupPublicationSerializer(publication(done)).data)
