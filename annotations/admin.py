"""The review desk. Thin: every write goes through ``annotations.services``."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from annotations import selectors, services
from annotations.linkcheck import service as linkcheck
from annotations.models import (
    Article,
    Claim,
    Evidence,
    HistoryEntry,
    LinkCheck,
    LinkOutcome,
    SourceLink,
    Verdict,
)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link_state(link: SourceLink) -> str:
    return format_html(
        '<span class="link-state link-{}" title="{}">{}</span>',
        link.outcome,
        link.error or link.final_url or link.url,
        link.get_outcome_display(),
    )


# --- Filters


class SignedOffFilter(admin.SimpleListFilter):
    title = "sign-off"
    parameter_name = "signed_off"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "Signed off"), ("no", "Not signed off")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(signed_off_at__isnull=self.value() == "no")
        return queryset


class LinkHealthFilter(admin.SimpleListFilter):
    title = "link health"
    parameter_name = "links"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("unhealthy", "Has a broken, blocked or unreachable link"),
            ("pending", "Has a link not checked yet"),
            ("healthy", "All links fine"),
            ("none", "No evidence"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        unhealthy = LinkOutcome.unhealthy()
        match self.value():
            case "unhealthy":
                return queryset.filter(evidence__source_link__outcome__in=unhealthy).distinct()
            case "pending":
                return queryset.filter(
                    evidence__source_link__outcome=LinkOutcome.PENDING
                ).distinct()
            case "healthy":
                return (
                    queryset.filter(evidence__isnull=False)
                    .exclude(evidence__source_link__outcome__in=[*unhealthy, LinkOutcome.PENDING])
                    .distinct()
                )
            case "none":
                return queryset.filter(evidence__isnull=True)
        return queryset


# --- Claims


class ClaimAdminForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    sign_off = forms.BooleanField(
        required=False, help_text="Reviewers: vouch for this verdict as it is saved now."
    )

    class Meta:
        model = Claim
        fields = ["article", "start", "end", "verdict", "rationale"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk and data.get("version") not in (None, self.instance.version):
            raise ValidationError(
                "Someone changed this claim while you were editing it. Reload the page to see "
                "their version, then apply your change again."
            )
        article = data.get("article") or (self.instance.article if self.instance.pk else None)
        start, end = data.get("start"), data.get("end")
        span_changed = not self.instance.pk or {"start", "end"} & set(self.changed_data)
        if article and start is not None and end is not None and span_changed:
            try:
                services.validate_claim_span(
                    article=article, start=start, end=end, exclude_claim_id=self.instance.pk
                )
            except ValidationError as exc:
                self._update_errors(exc)
        return data


class EvidenceInlineForm(forms.ModelForm):
    class Meta:
        model = Evidence
        fields = ["url", "title", "stance", "excerpt", "note"]
        widgets = {
            "excerpt": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            services.normalise_url(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None
        return url


class EvidenceInline(admin.StackedInline):
    model = Evidence
    form = EvidenceInlineForm
    extra = 0
    fields = ["url", "link_state", "source_flags", "title", "stance", "excerpt", "note", "added_by"]
    readonly_fields = ["link_state", "source_flags", "added_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("source_link", "added_by")

    @admin.display(description="link state")
    def link_state(self, obj: Evidence) -> str:
        return _link_state(obj.source_link) if obj.pk else "–"

    @admin.display(description="source since cited")
    def source_flags(self, obj: Evidence) -> str:
        if not obj.pk:
            return "–"
        flags = []
        if obj.source_changed_at:
            flags.append(f"text changed {obj.source_changed_at:%Y-%m-%d %H:%M}")
        if obj.excerpt_found is False:
            flags.append("excerpt no longer found")
        elif obj.excerpt_found:
            flags.append("excerpt found")
        return "; ".join(flags) or "no change seen"

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or services.can_edit_claim(request.user, obj)
        )

    has_add_permission = has_delete_permission = has_change_permission


def _set_verdict_action(verdict: Verdict):
    def action(modeladmin: "ClaimAdmin", request: HttpRequest, queryset: QuerySet) -> None:
        try:
            changed = services.claims_set_verdict(
                claims=list(queryset.values_list("pk", flat=True)),
                verdict=verdict,
                actor=request.user,
            )
        except (PermissionDenied, ValidationError) as exc:
            modeladmin.message_user(request, _error_text(exc), messages.ERROR)
            return
        modeladmin.message_user(request, f"{changed} claim(s) marked {verdict.label.lower()}.")

    action.__name__ = f"mark_{verdict.value}"
    action.short_description = f"Mark selected claims {verdict.label.lower()}"
    action.allowed_permissions = ("change",)
    return action


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimAdminForm
    inlines = [EvidenceInline]
    list_display = [
        "quote_short",
        "verdict",
        "article_title",
        "created_by",
        "evidence_count",
        "link_health",
        "signed_off",
    ]
    list_filter = [
        "verdict",
        ("article", admin.RelatedOnlyFieldListFilter),
        "article__language",
        ("created_by", admin.RelatedOnlyFieldListFilter),
        SignedOffFilter,
        LinkHealthFilter,
    ]
    search_fields = ["quote", "rationale"]
    list_select_related = ["article", "created_by", "signed_off_by"]
    list_per_page = 50
    actions = [
        *(_set_verdict_action(v) for v in Verdict if v != Verdict.PENDING),
        "sign_off",
        "revoke_sign_off",
        "recheck_links",
    ]
    readonly_fields = [
        "in_context",
        "quote",
        "is_orphaned",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
        "signed_off_by",
        "signed_off_at",
        "history_table",
    ]
    fieldsets = [
        (None, {"fields": ["article", "in_context", "quote", "is_orphaned", ("start", "end")]}),
        ("Verdict", {"fields": ["verdict", "rationale", "sign_off", "version"]}),
        (
            "Who and when",
            {
                "fields": [
                    ("created_by", "created_at"),
                    ("updated_by", "updated_at"),
                    ("signed_off_by", "signed_off_at"),
                ]
            },
        ),
        ("History", {"fields": ["history_table"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                evidence_total=Count("evidence", distinct=True),
                unhealthy_links=Count(
                    "evidence",
                    filter=Q(evidence__source_link__outcome__in=LinkOutcome.unhealthy()),
                    distinct=True,
                ),
                unchecked_links=Count(
                    "evidence",
                    filter=Q(evidence__source_link__outcome=LinkOutcome.PENDING),
                    distinct=True,
                ),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Claim | None = None) -> list:
        # A claim's offsets point into its own article: it cannot be moved to another one.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "article"] if obj is not None else fields

    def get_fieldsets(self, request: HttpRequest, obj: Claim | None = None) -> list:
        if obj is None:
            return [(None, {"fields": ["article", ("start", "end"), "verdict", "rationale"]})]
        fieldsets = super().get_fieldsets(request, obj)
        if not services.can_sign_off(request.user) or obj.is_signed_off:
            verdict_fields = ["verdict", "rationale", "version"]
            fieldsets = [fieldsets[0], ("Verdict", {"fields": verdict_fields}), *fieldsets[2:]]
        return fieldsets

    # --- list columns

    @admin.display(description="quote", ordering="quote")
    def quote_short(self, obj: Claim) -> str:
        return _short(obj.quote)

    @admin.display(description="article", ordering="article__title")
    def article_title(self, obj: Claim) -> str:
        return _short(obj.article.title, 50)

    @admin.display(description="evidence", ordering="evidence_total")
    def evidence_count(self, obj: Claim) -> int:
        return obj.evidence_total

    @admin.display(description="links")
    def link_health(self, obj: Claim) -> str:
        if obj.unhealthy_links:
            return f"{obj.unhealthy_links} failing"
        if obj.unchecked_links:
            return f"{obj.unchecked_links} not checked"
        return "fine" if obj.evidence_total else "–"

    @admin.display(description="signed off", boolean=True, ordering="signed_off_at")
    def signed_off(self, obj: Claim) -> bool:
        return obj.is_signed_off

    # --- change page

    @admin.display(description="in context")
    def in_context(self, obj: Claim) -> str:
        if obj.is_orphaned:
            return format_html(
                '<p class="errornote">The article text changed and this quote was not found '
                "again. Last known text: <mark>{}</mark></p>",
                obj.quote,
            )
        body = obj.article.body
        para_start = body.rfind("\n\n", 0, obj.start)
        para_start = 0 if para_start < 0 else para_start + 2
        para_end = body.find("\n\n", obj.end)
        para_end = len(body) if para_end < 0 else para_end
        return format_html(
            '<div class="claim-context" lang="{}" style="max-width:48em;white-space:pre-wrap">'
            '{}<mark style="background:#ffe08a">{}</mark>{}</div>',
            obj.article.language,
            body[para_start : obj.start],
            body[obj.start : obj.end],
            body[obj.end : para_end],
        )

    @admin.display(description="history")
    def history_table(self, obj: Claim) -> str:
        entries = obj.history.select_related("actor").order_by("-at", "-id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td><code>{}</code></td></tr>",
            (
                (
                    f"{entry.at:%Y-%m-%d %H:%M:%S}",
                    entry.actor or "system",
                    entry.get_subject_display(),
                    entry.get_action_display().lower(),
                    "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in entry.changes.items()),
                )
                for entry in entries
            ),
        )
        return format_html(
            "<table><thead><tr><th>when</th><th>who</th><th>what</th><th>changes</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    # --- permissions: analysts change only their own claims

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or services.can_edit_claim(request.user, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or services.can_delete_claim(request.user, obj)
        )

    def has_sign_off_permission(self, request: HttpRequest) -> bool:
        return services.can_sign_off(request.user)

    # --- writes, through the service layer

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # The form checks version and span first; a change that slips in between that check
        # and the save (the admin's transaction is rolled back) is told, not turned into a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.StaleClaimError:
            message = (
                "Nothing was saved: someone changed this claim at the same moment. "
                "Here is their version; apply your change again."
            )
        except ValidationError as exc:
            message = f"Nothing was saved: {_error_text(exc)}"
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def save_model(
        self, request: HttpRequest, obj: Claim, form: ClaimAdminForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            fields = {
                name: data[name]
                for name in ("verdict", "rationale", "start", "end")
                if name in form.changed_data
            }
            saved = services.claim_update(
                claim=obj.pk, actor=request.user, expected_version=data.get("version"), **fields
            )
        else:
            saved = services.claim_create(
                article=data["article"],
                start=data["start"],
                end=data["end"],
                verdict=data["verdict"],
                rationale=data["rationale"],
                author=request.user,
            )
        if data.get("sign_off"):
            try:
                saved = services.claim_sign_off(claim=saved.pk, reviewer=request.user)
            except ValidationError as exc:
                self.message_user(request, _error_text(exc), messages.WARNING)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(
        self, request: HttpRequest, form: forms.Form, formsets: list, change: bool
    ) -> None:
        for formset in formsets:
            self._save_evidence(request, formset, form.instance)

    def _save_evidence(self, request: HttpRequest, formset: Any, claim: Claim) -> None:
        # The admin's change message reads these three lists, as BaseModelFormSet.save() sets them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = set(formset.deleted_forms)
        for form in deleted:
            if form.instance.pk:
                services.evidence_remove(evidence=form.instance.pk, actor=request.user)
                formset.deleted_objects.append(form.instance)
        for form in formset.forms:
            if form in deleted or not form.has_changed():
                continue
            data = {name: form.cleaned_data[name] for name in EvidenceInlineForm.Meta.fields}
            if form.instance.pk:
                saved = services.evidence_update(
                    evidence=form.instance.pk, actor=request.user, **data
                )
                formset.changed_objects.append((saved, form.changed_data))
            else:
                saved = services.evidence_add(claim=claim.pk, actor=request.user, **data)
                formset.new_objects.append(saved)

    def delete_model(self, request: HttpRequest, obj: Claim) -> None:
        services.claim_delete(claim=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for pk in queryset.values_list("pk", flat=True):
            services.claim_delete(claim=pk, actor=request.user)

    @admin.action(description="Sign off selected claims", permissions=["sign_off"])
    def sign_off(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            changed = services.claims_sign_off(
                claims=list(queryset.values_list("pk", flat=True)), reviewer=request.user
            )
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(
                request, f"Nothing was signed off: {_error_text(exc)}", messages.ERROR
            )
            return
        self.message_user(request, f"{changed} claim(s) signed off.")

    @admin.action(
        description="Re-check the evidence links of selected claims", permissions=["view"]
    )
    def recheck_links(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = linkcheck.claims_request_link_checks(
            claims=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, f"{queued} link check(s) queued.")

    @admin.action(description="Revoke sign-off of selected claims", permissions=["sign_off"])
    def revoke_sign_off(self, request: HttpRequest, queryset: QuerySet) -> None:
        for pk in queryset.values_list("pk", flat=True):
            services.claim_revoke_sign_off(claim=pk, reviewer=request.user)
        self.message_user(request, "Sign-off revoked.")


# --- Articles, links, history


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "published_on", "source_name", "claim_counts"]
    list_filter = ["language", "published_on"]
    search_fields = ["title", "body", "source_name"]
    # What the importer owns is read-only here: the next import would overwrite it anyway.
    readonly_fields = [
        "title",
        "body",
        "claim_counts",
        "language",
        "published_on",
        "source_name",
        "content_hash",
        "source_file",
        "created_at",
        "updated_at",
    ]
    fields = [
        "title",
        "slug",
        "language",
        "published_on",
        "source_name",
        "source_url",
        "claim_counts",
        "body",
        "source_file",
        "content_hash",
        ("created_at", "updated_at"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.articles_with_claim_counts(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # articles come from `manage.py import_articles`, which keeps claims anchored

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False  # it would take claims and evidence with it, past the history

    @admin.display(description="claims by verdict")
    def claim_counts(self, obj: Article) -> str:
        counts = format_html_join(
            ", ",
            '<span class="verdict-{}">{}: {}</span>',
            ((v.value, v.label.lower(), getattr(obj, f"count_{v.value}")) for v in Verdict),
        )
        if obj.count_orphaned:
            return format_html("{}; {} lost after a text change", counts, obj.count_orphaned)
        return counts


class LinkCheckInline(admin.TabularInline):
    model = LinkCheck
    extra = 0
    can_delete = False
    fields = [
        "checked_at",
        "outcome",
        "http_status",
        "final_url",
        "page_title",
        "response_ms",
        "error",
        "attempt",
        "will_retry",
    ]
    readonly_fields = fields
    ordering = ["-checked_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SourceLink)
class SourceLinkAdmin(admin.ModelAdmin):
    list_display = ["url", "outcome", "http_status", "last_checked_at", "citations"]
    list_filter = ["outcome"]
    search_fields = ["url", "final_url", "page_title"]
    readonly_fields = [
        "url",
        "outcome",
        "http_status",
        "final_url",
        "page_title",
        "content_type",
        "text_sha256",
        "error",
        "last_checked_at",
        "created_at",
        "redirect_chain",
        "content_length",
        "body_truncated",
        "body_sha256",
        "response_ms",
        "text_changed_at",
        "check_requested_at",
        "attempts",
    ]
    inlines = [LinkCheckInline]
    actions = ["recheck_links"]

    @admin.action(description="Re-check selected links", permissions=["view"])
    def recheck_links(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = linkcheck.links_request_checks(
            links=list(queryset.values_list("pk", flat=True)), force=True
        )
        self.message_user(request, f"{queued} link check(s) queued.")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(citation_count=Count("evidence"))

    @admin.display(description="cited by", ordering="citation_count")
    def citations(self, obj: SourceLink) -> int:
        return obj.citation_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(HistoryEntry)
class HistoryEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "subject", "action", "claim_ref", "evidence_ref"]
    list_filter = ["subject", "action"]
    list_select_related = ["actor"]
    search_fields = ["claim_ref"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
