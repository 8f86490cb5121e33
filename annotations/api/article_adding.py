"""``POST /api/v1/articles/`` and ``/api/v1/article-fetches/{id}``: adding an article (thin:
``services.article_adding`` has the rules).

One of ``url``, ``text`` or ``file`` (multipart). Text and files are cleaned at once: with
``preview=true`` the answer is the draft (cleaned text, title, detected language with its
confidence) and nothing is saved; without, the article is saved (201, or 200 when the same
text or file name was already an article, which is updated). A ``url`` is fetched by a
worker: the answer is 202 with a fetch to poll; with ``preview=true`` the fetch stops at
``ready`` with its draft, and ``{"fetch": id, "title": ..., "language": ...}`` saves it.
"""

from typing import Any

from django.urls import reverse as django_reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import services
from annotations.api.parsers import BoundedJSONParser
from annotations.models import ArticleFetch

MSG_NO_FILE_NAME = "The file has no name."


class ArticleAddSerializer(serializers.Serializer):
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Pasted text."
    )
    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text=".txt, .md or .html (multipart)."
    )
    fetch = serializers.IntegerField(
        required=False, min_value=1, help_text="Save this ready fetch's draft (a url route)."
    )
    preview = serializers.BooleanField(
        default=False, help_text="Answer with the cleaned draft and save nothing."
    )
    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    language = serializers.CharField(required=False, max_length=35)


class LanguageSerializer(serializers.Serializer):
    code = serializers.CharField()
    confidence = serializers.FloatField()


class ArticleDraftSerializer(serializers.Serializer):
    origin = serializers.ChoiceField(choices=["url", "file", "text"])
    title = serializers.CharField()
    body = serializers.CharField(help_text="The cleaned text, as it would be saved.")
    language = serializers.CharField()
    language_confidence = serializers.FloatField()
    languages = serializers.SerializerMethodField(help_text="Every candidate, likeliest first.")
    published_on = serializers.DateField(allow_null=True)
    source_name = serializers.CharField()
    author = serializers.CharField()
    source_url = serializers.CharField()
    source_file = serializers.CharField()

    @extend_schema_field(LanguageSerializer(many=True))
    def get_languages(self, draft: Any) -> list[dict[str, Any]]:
        pairs = draft["language_candidates"] if isinstance(draft, dict) else []
        if not isinstance(draft, dict):
            pairs = draft.language_candidates
        return [{"code": code, "confidence": value} for code, value in pairs]


class ArticleFetchSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    link = serializers.CharField(source="url", read_only=True, help_text="The page asked for.")
    draft = serializers.SerializerMethodField()
    article = serializers.SerializerMethodField()
    annotate = serializers.SerializerMethodField(help_text="The saved article's annotator page.")

    class Meta:
        model = ArticleFetch
        fields = [
            "id",
            "url",
            "link",
            "status",
            "save_when_ready",
            "draft",
            "article",
            "annotate",
            "error",
            "error_code",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job: ArticleFetch) -> str:
        path = django_reverse("api:article-fetch", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(ArticleDraftSerializer(allow_null=True))
    def get_draft(self, job: ArticleFetch) -> dict[str, Any] | None:
        return ArticleDraftSerializer(job.draft).data if job.draft else None

    def get_article(self, job: ArticleFetch) -> int | None:
        return job.article_id

    def get_annotate(self, job: ArticleFetch) -> str | None:
        if job.article is None:
            return None
        return django_reverse("article-detail", kwargs={"pk": job.article_id})


def add_article(request: Request, respond: Any) -> Response:
    """The body of ``POST /api/v1/articles/``; ``respond(article, status)`` renders one."""
    data = _valid(request)
    user = request.user
    if fetch_id := data.get("fetch"):
        try:
            job = services.article_fetch_of(fetch_id, user)
        except ArticleFetch.DoesNotExist:
            raise serializers.ValidationError(
                {"fetch": ["There is no such fetch of yours."]}
            ) from None
        result = services.article_fetch_save(
            actor=user, job=job, title=data.get("title"), language=data.get("language")
        )
        return respond(result.article, 201 if result.created else 200)
    upload = data.get("file")
    route = services.article_sources_check(
        url=data.get("url", ""), text=data.get("text", ""), has_file=upload is not None
    )
    if route == "url":
        job = services.article_fetch_request(
            actor=user, url=data["url"], save_when_ready=not data["preview"]
        )
        job.refresh_from_db()  # an eager worker (tests, make run) may have finished it already
        body = ArticleFetchSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
    if route == "file" and upload is not None:
        draft = services.article_draft_from_upload(
            actor=user, name=upload.name or "", raw=upload.read()
        )
    else:
        draft = services.article_draft_from_text(actor=user, text=data["text"])
    if data["preview"]:
        return Response({"draft": ArticleDraftSerializer(draft).data})
    result = services.article_add(
        actor=user, draft=draft, title=data.get("title"), language=data.get("language")
    )
    return respond(result.article, 201 if result.created else 200)


def _valid(request: Request) -> dict[str, Any]:
    serializer = ArticleAddSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


ADD_SUMMARY = "Add an article from a link, a file or pasted text (reviewers and editors)"
ADD_REQUEST = {
    "application/json": ArticleAddSerializer,
    "multipart/form-data": ArticleAddSerializer,
}
ADD_PARSERS = [BoundedJSONParser, MultiPartParser]
ADD_PERMISSIONS = [IsAuthenticated]  # the service says who may add (reviewers, editors)


class ArticleFetchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A link being fetched to become an article", responses=ArticleFetchSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        from django.http import Http404

        try:
            job = services.article_fetch_of(pk, request.user)
        except ArticleFetch.DoesNotExist:
            raise Http404 from None
        return Response(ArticleFetchSerializer(job, context={"request": request}).data)


class EditorSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    editor = serializers.BooleanField(help_text="true: may add articles; false: may not.")


class EditorView(APIView):
    """A reviewer lets someone add articles (the ``editor`` group), or stops them."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Make someone an editor, or not (reviewers)",
        request=EditorSerializer,
        responses=EditorSerializer,
    )
    def post(self, request: Request) -> Response:
        from annotations import selectors

        serializer = EditorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not services.is_reviewer(request.user):  # before saying whether the name exists
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(services.MSG_NO_RIGHT_GRANT_EDITOR)
        (user,) = selectors.desk_members([data["username"]])
        services.editor_set(actor=request.user, user=user, editor=data["editor"])
        return Response({"username": user.get_username(), "editor": data["editor"]})
