"""The discussion of a claim and the inbox, over the API (thin: the rules are in the services)."""

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors, services
from annotations.api.pagination import KeysetPagination
from annotations.api.permissions import DeskPermission
from annotations.models import Claim, Comment, Notification
from annotations.selectors import KeyField


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    mentions = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "mentions", "created_at"]

    def get_mentions(self, comment: Comment) -> list[str]:
        return sorted(user.username for user in comment.mentions.all())


class CommentCreateSerializer(serializers.Serializer):
    # Length and mentions are the service's rules (with their codes), not checked here.
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


MSG_BAD_UNREAD = "unread must be true or false (1 or 0)."
UNREAD_VALUES = {"": False, "0": False, "false": False, "1": True, "true": True}


class NotificationSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "actor",
            "claim",
            "article",
            "comment",
            "created_at",
            "read_at",
            "message",
            "url",
        ]

    def get_actor(self, notification: Notification) -> str | None:
        return notification.actor.username if notification.actor else None

    def get_message(self, notification: Notification) -> str:
        return services.notification_message(notification)

    def get_url(self, notification: Notification) -> str:
        """The claim in the annotator."""
        return services.notification_url(notification)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


def visible_claim(request: Request, pk: int) -> Claim:
    """The claim when the reader may see it at all; 404 otherwise, as the claim endpoints do."""
    claim = (
        selectors.claims_visible_to(request.user, Claim.objects.select_related("article"))
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


class ClaimCommentsView(APIView):
    """A claim's discussion, oldest first; empty while the blind rule hides it from the reader."""

    permission_classes = [DeskPermission]

    @extend_schema(summary="The claim's comments", responses=CommentSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        comments = services.comments_of(visible_claim(request, pk), request.user)
        return Response(CommentSerializer(comments, many=True).data)

    @extend_schema(
        summary="Comment on a claim; @username mentions notify those users",
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = visible_claim(request, pk)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_add(
            claim=claim, author=request.user, body=serializer.validated_data["body"]
        )
        fresh = Comment.objects.select_related("author").prefetch_related("mentions")
        data = CommentSerializer(fresh.get(pk=comment.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Your notifications, newest first",
        parameters=[
            OpenApiParameter("unread", bool, description="Only the unread ones (1 or true).")
        ],
    )
)
class NotificationListView(ListAPIView):
    """The reader's inbox, newest first; ``?unread=1`` for the unread lines only."""

    permission_classes = [DeskPermission]
    pagination_class = KeysetPagination
    serializer_class = NotificationSerializer
    orderings = {"-id": (KeyField("id", int, True),)}
    default_ordering = "-id"

    def get_queryset(self) -> QuerySet[Notification]:
        raw = self.request.query_params.get("unread", "")
        if raw not in UNREAD_VALUES:
            raise ValidationError({"unread": [MSG_BAD_UNREAD]})
        unread = UNREAD_VALUES[raw]
        return services.notifications_for(self.request.user, unread=unread)


class NotificationReadView(APIView):
    permission_classes = [DeskPermission]

    @extend_schema(
        summary="Mark one notification read", request=None, responses=NotificationSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            row = services.notification_mark_read(notification=pk, user=request.user)
        except Notification.DoesNotExist:
            raise Http404 from None
        return Response(NotificationSerializer(row).data)


class NotificationReadAllView(APIView):
    permission_classes = [DeskPermission]

    @extend_schema(
        summary="Mark every notification read", request=None, responses=ReadAllSerializer
    )
    def post(self, request: Request) -> Response:
        marked = services.notifications_mark_all_read(user=request.user)
        return Response({"marked": marked})
