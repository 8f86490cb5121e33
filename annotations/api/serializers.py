"""The API's shapes. Output serializers read prefetched rows; input serializers only parse.

Input serializers check types and refuse unknown fields; the rules (offsets, quotes,
URLs, rights, versions) are applied by ``annotations.services``, which the views call.
"""

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from annotations import selectors, selectors_public, services
from annotations.exports import records
from annotations.models import (
    Article,
    Assessment,
    Claim,
    Evidence,
    HistoryEntry,
    Snapshot,
    SourceLink,
    Stance,
    Verdict,
)

MSG_UNKNOWN_FIELD = "Unknown field: this endpoint accepts {allowed}."
MSG_READ_ONLY_FIELD = "This field is set by the server and cannot be written."
MSG_NOT_A_DICT = "Send a JSON object."


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know instead of silently ignoring them (a typo is an error)."""

    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = set(self.fields)
            errors = {}
            for key in data:
                if key in allowed:
                    continue
                if key in self.read_only_names:
                    errors[key] = [MSG_READ_ONLY_FIELD]
                else:
                    errors[key] = [MSG_UNKNOWN_FIELD.format(allowed=", ".join(sorted(allowed)))]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField would quietly turn 12 or true into "12" or "True"."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def choice_field(
    choices: type[models.Choices], message: str, **kwargs: Any
) -> serializers.ChoiceField:
    allowed = ", ".join(choices.values)
    return serializers.ChoiceField(
        choices=choices.choices,
        error_messages={
            "invalid_choice": message.replace("{value}", "{input}").replace("{choices}", allowed)
        },
        **kwargs,
    )


# --- Output

_PK_SLOT = 987654321987  # stands for the id in a reversed URL, replaced per row


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    roles = serializers.SerializerMethodField()
    can_sign_off = serializers.SerializerMethodField()

    def get_roles(self, user: Any) -> list[str]:
        return sorted(services.user_roles(user))

    def get_can_sign_off(self, user: Any) -> bool:
        return services.can_sign_off(user)


class WaybackSerializer(serializers.Serializer):
    """The link's latest Wayback Machine submission (read from the link row: no extra query)."""

    status = serializers.CharField(
        source="wayback_status",
        read_only=True,
        help_text="pending, success or error; empty when never submitted.",
    )
    memento_url = serializers.CharField(
        source="wayback_url",
        read_only=True,
        help_text="The latest Wayback Machine copy (https://web.archive.org/web/TIMESTAMP/URL).",
    )
    archived_at = serializers.DateTimeField(
        source="wayback_archived_at",
        read_only=True,
        allow_null=True,
        help_text="When the Wayback Machine captured that copy.",
    )


class SourceLinkSerializer(serializers.ModelSerializer):
    """A source link's latest check, the same fields as exports show."""

    # Text, not URLField: empty until checked, and kept exactly as the server saw it.
    url = serializers.CharField(read_only=True)
    final_url = serializers.CharField(read_only=True)
    error = serializers.CharField(
        read_only=True, help_text="Why the check failed; names the address policy, not an address."
    )
    error_detail = serializers.SerializerMethodField(
        help_text="Reviewers only (empty for everyone else): what a blocked host resolved to."
    )
    wayback = WaybackSerializer(source="*", read_only=True)

    class Meta:
        model = SourceLink
        # The same link state as in exports; the reviewers' detail is the API's alone.
        fields = [*records.LINK_FIELDS, "error_detail", "wayback"]
        read_only_fields = fields

    def get_error_detail(self, link: SourceLink) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return link.error_detail if user is not None and services.is_reviewer(user) else ""


class RecheckSerializer(serializers.Serializer):
    queued = serializers.BooleanField(
        help_text="False when the link was checked, queued or being checked within the "
        "last LINKCHECK_FORCE_COALESCE seconds: that check stands in for this one."
    )
    last_checked_at = serializers.DateTimeField(
        source="link.last_checked_at", allow_null=True, help_text="When the last check ran."
    )
    check_requested_at = serializers.DateTimeField(
        source="link.check_requested_at",
        allow_null=True,
        help_text="When the check now queued (this one, or the one it was coalesced with) "
        "was asked for.",
    )
    link = SourceLinkSerializer()


class PinnedSnapshotSerializer(serializers.Serializer):
    """The archived copy a citation is pinned to (what the analyst saw), as exports show it."""

    id = serializers.IntegerField(read_only=True)
    captured_at = serializers.DateTimeField(read_only=True)
    sha256 = serializers.CharField(source="body_sha256", read_only=True)
    archive_url = serializers.SerializerMethodField(help_text="The desk's archive viewer.")
    status = serializers.IntegerField(
        source="http_status", read_only=True, help_text="The HTTP status of the capture."
    )

    def get_archive_url(self, snapshot: Snapshot) -> str:
        path = services.snapshot_archive_path(snapshot.pk)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MementoSerializer(serializers.Serializer):
    """The source link's Wayback Machine copy; null until a submission gave one."""

    memento_url = serializers.CharField(source="wayback_url", read_only=True)
    archived_at = serializers.DateTimeField(
        source="wayback_archived_at", read_only=True, allow_null=True
    )

    def to_representation(self, instance: SourceLink) -> dict[str, Any] | None:  # type: ignore[override]
        return super().to_representation(instance) if instance.wayback_url else None


class EvidenceSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True, help_text="The URL as the analyst gave it.")
    added_by = UserRefSerializer(read_only=True)
    link = SourceLinkSerializer(source="source_link", read_only=True)
    pinned_snapshot = PinnedSnapshotSerializer(read_only=True, allow_null=True)
    memento = MementoSerializer(source="source_link", read_only=True, allow_null=True)
    archive_url = serializers.SerializerMethodField(
        help_text="The desk's archive viewer on the copy pinned when this was cited (null "
        "until one is taken); add &tab=changes for what changed since."
    )
    archived_at = serializers.DateTimeField(
        source="pinned_snapshot.captured_at",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="When that copy was captured.",
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "claim",
            "url",
            "title",
            "excerpt",
            "note",
            "stance",
            "added_by",
            "created_at",
            "updated_at",
            "source_changed_at",
            "excerpt_found",
            "link",
            "pinned_snapshot",
            "memento",
            "archive_url",
            "archived_at",
        ]
        read_only_fields = fields

    def get_archive_url(self, evidence: Evidence) -> str | None:
        if evidence.pinned_snapshot_id is None:
            return None
        view = reverse("archive-view", args=[evidence.pinned_snapshot_id])
        return f"{view}?evidence={evidence.pk}"


class OwnAssessmentSerializer(serializers.ModelSerializer):
    """The reader's own assessment: what they edit (``PUT /claims/{id}/assessment/``)."""

    class Meta:
        model = Assessment
        fields = ["id", "verdict", "rationale", "version", "updated_at"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    analyst = serializers.CharField(source="analyst.username", read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "analyst", "verdict", "rationale", "version", "created_at", "updated_at"]
        read_only_fields = fields


# What a reader who may not see the judgments on a claim yet is not shown (None instead):
# the desk verdict and reasoning, and whatever gives away what or who judged before them.
HIDDEN_WHILE_BLIND = (
    "verdict",
    "rationale",
    "in_disagreement",
    "decided_by",
    "decided_at",
    "signed_off_by",
    "signed_off_at",
    "published_at",
    "public_url",
)


class SignOffBlockerSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[c.value for c in services.BlockerCode])
    message = serializers.CharField()
    hard = serializers.BooleanField(
        help_text="The sign-off is refused (pending, lost); the others a reviewer may override."
    )


class AppearanceSerializer(serializers.Serializer):
    """Another appearance of the same claim: where it is, not what anybody judged."""

    id = serializers.IntegerField()
    article = serializers.IntegerField(source="article_id")
    article_title = serializers.CharField(source="article.title")
    language = serializers.CharField(source="article.language")
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    quote = serializers.CharField()


class ClaimGroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    appearances = AppearanceSerializer(
        many=True, help_text="The group's other claims the reader may see (the blind rule)."
    )


class ClaimSerializer(serializers.ModelSerializer):
    """A claim as its reader may see it: under blind double-checking, an analyst who has
    not submitted their own assessment sees the span, their own assessment and evidence,
    and nothing of anybody else's judgment (``services.can_see_judgments``).
    """

    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        read_only=True,
        allow_null=True,
        help_text="The desk verdict; null while judgments_visible is false.",
    )
    rationale = serializers.CharField(
        read_only=True, allow_null=True, help_text="The desk's reasoning; null while hidden."
    )
    in_disagreement = serializers.BooleanField(read_only=True, allow_null=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True, default=None
    )
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    judgments_visible = serializers.SerializerMethodField(
        help_text="False on a blind article until the reader has submitted their own verdict."
    )
    my_assessment = serializers.SerializerMethodField()
    assessments = serializers.SerializerMethodField(
        help_text="Every analyst's assessment; only the reader's own while judgments are hidden."
    )
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    updated_by = UserRefSerializer(read_only=True, allow_null=True)
    signed_off_by = UserRefSerializer(read_only=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField(
        help_text="What the requesting user may do with this claim now: edit, delete, sign_off."
    )
    public_url = serializers.SerializerMethodField(
        help_text="The public fact-check page while the claim is published (POST "
        "/claims/{id}/publish/); null otherwise."
    )
    sign_off_blockers = serializers.SerializerMethodField(
        help_text="Reviewers only (null for everyone else): what stands in the way of signing "
        "this claim off (services.sign_off_blockers)."
    )
    group = serializers.SerializerMethodField(
        help_text="The claim group (the same claim elsewhere, sharing the desk verdict); null "
        "when the claim is not linked."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "article",
            *records.CLAIM_COLUMNS,
            "in_disagreement",
            "decided_by",
            "decided_at",
            "judgments_visible",
            "my_assessment",
            "assessments",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
            "signed_off_by",
            "signed_off_at",
            "evidence",
            "url",
            "permissions",
            "sign_off_blockers",
            "group",
            "published_at",
            "public_url",
        ]
        read_only_fields = fields

    def _reader(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _reading(self, claim: Claim) -> tuple[Assessment | None, bool]:
        """The reader's own assessment and whether they may see the judgments (no query
        when the assessments are prefetched)."""
        cached = getattr(self, "_read_cache", None)
        if cached is not None and cached[0] is claim:
            return cached[1], cached[2]
        user = self._reader()
        own = None
        if user is not None and user.is_authenticated:
            own = next((a for a in claim.assessments.all() if a.analyst_id == user.pk), None)
        if user is None:
            visible = False
        else:
            # An unsaved pending assessment stands for "none": can_see_judgments would
            # otherwise ask the database what the prefetch already says.
            visible = services.can_see_judgments(user, claim, own=own or Assessment())
        self._read_cache = (claim, own, visible)
        return own, visible

    def to_representation(self, instance: Claim) -> dict[str, Any]:
        data = super().to_representation(instance)
        visible = self._reading(instance)[1]
        if visible:
            return data
        user = self._reader()
        for name in HIDDEN_WHILE_BLIND:
            data[name] = None
        for name in ("created_by", "updated_by"):
            if data[name] is not None and user is not None and data[name]["id"] != user.pk:
                data[name] = None
        reader_id = getattr(user, "pk", None)
        data["evidence"] = [
            each
            for each in data["evidence"]
            if each["added_by"] is not None and each["added_by"]["id"] == reader_id
        ]
        return data

    def get_judgments_visible(self, claim: Claim) -> bool:
        return self._reading(claim)[1]

    def get_my_assessment(self, claim: Claim) -> dict[str, Any] | None:
        own = self._reading(claim)[0]
        return OwnAssessmentSerializer(own).data if own is not None else None

    def get_assessments(self, claim: Claim) -> list[dict[str, Any]]:
        own, visible = self._reading(claim)
        shown = claim.assessments.all() if visible else [own] if own is not None else []
        return list(AssessmentSerializer(shown, many=True).data)

    @extend_schema_field(SignOffBlockerSerializer(many=True, allow_null=True))
    def get_sign_off_blockers(self, claim: Claim) -> list[dict[str, Any]] | None:
        request = self.context.get("request")
        if request is None or not services.is_reviewer(request.user):
            return None
        return [
            {"code": b.code.value, "message": b.message, "hard": b.hard}
            for b in services.claim_sign_off_blockers(claim)
        ]

    @extend_schema_field(ClaimGroupRefSerializer(allow_null=True))
    def get_group(self, claim: Claim) -> dict[str, Any] | None:
        group = claim.group
        if group is None:
            return None
        user = self._reader()
        others = [
            member
            for member in group.members.all()
            if member.pk != claim.pk and user is not None and selectors.claim_shown_to(user, member)
        ]
        others.sort(key=lambda member: member.pk)
        return {
            "id": claim.group_id,
            "appearances": AppearanceSerializer(others, many=True).data,
        }

    def get_permissions(self, claim: Claim) -> dict[str, bool]:
        request = self.context.get("request")
        user = request.user if request is not None else None
        if user is None:
            return {"edit": False, "cite": False, "delete": False, "sign_off": False}
        return services.claim_permissions(user, claim)

    def get_public_url(self, claim: Claim) -> str | None:
        return selectors_public.public_url(claim) if services.claim_is_public(claim) else None

    def get_url(self, claim: Claim) -> str:
        # One reverse() per page, not per claim: a list serializer reuses this instance.
        template = getattr(self, "_url_template", None)
        if template is None:
            request = self.context.get("request")
            template = reverse("api:claim-detail", args=[_PK_SLOT], request=request)
            self._url_template = template
        return template.replace(f"/{_PK_SLOT}/", f"/{claim.pk}/")


class ProgressSerializer(serializers.Serializer):
    assessed = serializers.IntegerField(
        read_only=True, help_text="Claims you assessed with a final verdict."
    )
    claims = serializers.IntegerField(read_only=True, help_text="Claims on it you may see.")


class ArticleListSerializer(serializers.ModelSerializer):
    source_url = serializers.CharField(read_only=True, help_text="Empty when not known.")
    claim_counts = serializers.SerializerMethodField(
        help_text="Claims per desk verdict; on a blind article an analyst counts only the "
        "claims they have judged."
    )
    assigned_to_me = serializers.SerializerMethodField()
    my_progress = serializers.SerializerMethodField()
    blind_review = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="The article's own setting; null: the default."
    )
    blind = serializers.SerializerMethodField(
        help_text="Whether blind double-checking applies now (the setting or the desk default)."
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "title",
            "language",
            "source_name",
            "source_url",
            "published_on",
            "content_hash",
            "blind_review",
            "blind",
            "claim_counts",
            "assigned_to_me",
            "my_progress",
        ]
        read_only_fields = fields

    def get_blind(self, article: Article) -> bool:
        return services.article_is_blind(article)

    def get_claim_counts(self, article: Article) -> dict[str, int]:
        counts = self.context.get("claim_counts", {})
        return counts.get(article.pk, dict.fromkeys(Verdict.values, 0))

    def get_assigned_to_me(self, article: Article) -> bool:
        return article.pk in self.context.get("assigned", set())

    @extend_schema_field(ProgressSerializer)
    def get_my_progress(self, article: Article) -> dict[str, int]:
        progress = self.context.get("progress", {})
        return progress.get(article.pk, {"assessed": 0, "claims": 0})


class ArticleSerializer(ArticleListSerializer):
    class Meta(ArticleListSerializer.Meta):
        fields = [
            *ArticleListSerializer.Meta.fields[:7],
            "body",
            *ArticleListSerializer.Meta.fields[7:],
        ]
        read_only_fields = fields


class HistoryChangeSerializer(serializers.Serializer):
    name = serializers.CharField(source="field", read_only=True, help_text="The field's code.")
    title = serializers.CharField(
        source="label", read_only=True, help_text="The field as named on screen."
    )
    before = serializers.CharField(read_only=True, allow_null=True)
    after = serializers.CharField(read_only=True, allow_null=True)


class HistoryLineSerializer(serializers.Serializer):
    """A history row as the desk reads it (rendered once, in ``annotations.history_display``)."""

    at = serializers.DateTimeField(read_only=True)
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)
    actor = serializers.CharField(read_only=True, help_text='The person\'s name, or "system".')
    subject = serializers.ChoiceField(choices=HistoryEntry.Subject.choices, read_only=True)
    action = serializers.ChoiceField(choices=HistoryEntry.Action.choices, read_only=True)
    summary = serializers.CharField(read_only=True)
    changes = HistoryChangeSerializer(many=True, read_only=True)


# --- Input

MAX_OFFSET = 2**31 - 1
# A claim is a sentence or a passage, not a chapter; the bound also keeps any valid request
# well under API_MAX_BODY_BYTES (even with every character escaped as a surrogate pair).
MAX_QUOTE = 10_000


class ClaimCreateSerializer(StrictInputSerializer):
    read_only_names = tuple(set(ClaimSerializer.Meta.fields) - {"article", "start", "end", "quote"})

    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    start = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    end = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    quote = StrictCharField(trim_whitespace=False, max_length=MAX_QUOTE)
    prefix = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=64,
        help_text="Ignored: the server takes the context from the article text.",
    )
    suffix = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=64,
        help_text="Ignored: the server takes the context from the article text.",
    )
    verdict = choice_field(Verdict, services.MSG_UNKNOWN_VERDICT, required=False)
    rationale = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)


class ClaimLinkSerializer(StrictInputSerializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    start = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    end = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    verdict = choice_field(
        Verdict,
        services.MSG_UNKNOWN_VERDICT,
        required=False,
        help_text="When the two desk verdicts differ: the one that stands (reviewers).",
    )


class VerdictConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Which verdicts differ, and what to send.")
    code = serializers.CharField()
    claims = serializers.ListField(child=serializers.IntegerField())
    verdicts = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="{claim id: desk verdict}; null when the blind rule hides them from you.",
    )


class ClaimUpdateSerializer(StrictInputSerializer):
    read_only_names = tuple(
        set(ClaimSerializer.Meta.fields) - {"verdict", "rationale", "start", "end", "quote"}
    )

    verdict = choice_field(Verdict, services.MSG_UNKNOWN_VERDICT, required=False)
    rationale = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    start = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)
    end = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)
    quote = StrictCharField(required=False, trim_whitespace=False, max_length=MAX_QUOTE)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version being changed (instead of If-Match)."
    )


class AssessmentInputSerializer(StrictInputSerializer):
    read_only_names = ("id", "version", "updated_at", "created_at", "analyst")

    verdict = choice_field(Verdict, services.MSG_UNKNOWN_VERDICT, required=False)
    rationale = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)


class DecisionSerializer(StrictInputSerializer):
    verdict = choice_field(Verdict, services.MSG_UNKNOWN_VERDICT)
    reason = StrictCharField(allow_blank=True, trim_whitespace=False)
    comment = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Posted to the claim's discussion with the decision (mentions notify).",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The claim version decided (instead of If-Match)."
    )


class BlindReviewSerializer(StrictInputSerializer):
    blind_review = serializers.BooleanField(
        allow_null=True, help_text="true, false, or null for the desk default."
    )


class VersionSerializer(StrictInputSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version being changed (instead of If-Match)."
    )


class EvidenceCreateSerializer(StrictInputSerializer):
    read_only_names = ("id", "added_by", "created_at", "updated_at", "link")

    claim = serializers.PrimaryKeyRelatedField(queryset=Claim.objects.all())
    url = StrictCharField(max_length=2000, help_text="An http or https address.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        claims = self.context.get("claims")
        if claims is not None:  # the claims the writer may see (the blind rule)
            self.fields["claim"].queryset = claims  # type: ignore[attr-defined]

    title = StrictCharField(required=False, allow_blank=True, max_length=500)
    excerpt = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    note = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    stance = choice_field(Stance, services.MSG_UNKNOWN_STANCE, required=False)


class EvidenceUpdateSerializer(StrictInputSerializer):
    read_only_names = ("id", "claim", "added_by", "created_at", "updated_at", "link")

    url = StrictCharField(required=False, max_length=2000)
    title = StrictCharField(required=False, allow_blank=True, max_length=500)
    excerpt = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    note = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    stance = choice_field(Stance, services.MSG_UNKNOWN_STANCE, required=False)


# --- Assignments and the review queue (the review desk)


class AssignmentSerializer(serializers.Serializer):
    analyst = serializers.CharField(source="analyst.username", read_only=True)
    assigned_by = serializers.CharField(
        source="assigned_by.username", read_only=True, allow_null=True, default=None
    )
    assigned_at = serializers.DateTimeField(read_only=True)


MSG_USERNAMES = "Send a list of usernames (text, 1 to 150 characters each)."


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 150},
        "minItems": 1,
        "maxItems": 100,
    }
)
class UsernameListField(serializers.Field):
    """A list of usernames, any error one flat message (the error shape the schema promises)."""

    def to_internal_value(self, data: Any) -> list[str]:
        names_ok = isinstance(data, list) and 0 < len(data) <= 100
        if not names_ok or not all(isinstance(n, str) and 0 < len(n) <= 150 for n in data):
            raise serializers.ValidationError(MSG_USERNAMES, code="invalid")
        return list(data)

    def to_representation(self, value: Any) -> Any:
        return value


class AssignmentInputSerializer(StrictInputSerializer):
    analysts = UsernameListField(help_text="Usernames of desk members (analysts or reviewers).")


class ReviewQueueQuerySerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=[], required=False)
    article = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    assigned_to_me = serializers.BooleanField(required=False, default=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**6, default=1)

    def __init__(self, *args: Any, **kwargs: Any):
        from annotations.selectors_review import QUEUE_KINDS

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [k for k, _ in QUEUE_KINDS]  # type: ignore[attr-defined]


class ReviewQueueRowSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True)
    claim = serializers.IntegerField(source="claim_id", read_only=True)
    article = serializers.IntegerField(source="article_id", read_only=True)
    quote = serializers.CharField(read_only=True)
    since = serializers.DateTimeField(read_only=True, allow_null=True)
    annotator_url = serializers.SerializerMethodField()
    admin_url = serializers.SerializerMethodField()

    def get_annotator_url(self, row: Any) -> str:
        from annotations.admin.queue import annotator_url

        return annotator_url(row.article_id, row.claim_id)

    def get_admin_url(self, row: Any) -> str:
        from annotations.admin.queue import admin_claim_url

        return admin_claim_url(row.claim_id)


class ReviewQueueSerializer(serializers.Serializer):
    rows = ReviewQueueRowSerializer(many=True, read_only=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Claims per kind."
    )
    total = serializers.IntegerField(read_only=True, help_text="Rows under these filters.")
    page = serializers.IntegerField(read_only=True)
    num_pages = serializers.IntegerField(read_only=True)
