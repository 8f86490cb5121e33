"""Claims: the list with its filters and bulk actions, and the claim page with its evidence."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from annotations import history_display, selectors_public, selectors_review, services
from annotations.admin.evidence import EvidenceInline, EvidenceInlineForm
from annotations.admin.filters import DeletedFilter, LinkHealthFilter, SignedOffFilter
from annotations.admin.queue import annotator_url, review_queue_view
from annotations.linkcheck import service as linkcheck
from annotations.models import Claim, Verdict

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from annotations.selectors_review import ClaimLinkCounts


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _live(claims: QuerySet) -> QuerySet:
    """Bulk changes skip deleted claims: those can only be restored."""
    return claims.filter(deleted_at__isnull=True)


# The confirmation page's checkboxes: "id:version", so a claim changed since is not signed off.
SIGN_OFF_FIELD = "sign_off_claim"


def sign_off_selection(values: list[str]) -> dict[int, int]:
    """The ticked claims as {id: version the reviewer saw}; malformed values are ignored."""
    selection: dict[int, int] = {}
    for value in values:
        pk, _, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            selection[int(pk)] = int(version)
    return selection


def _hard(blockers: list[services.Blocker]) -> bool:
    return any(b.hard for b in blockers)


@dataclass(frozen=True)
class SignOffRow:
    """One selected claim on the sign-off confirmation page."""

    claim: Claim
    blockers: list[services.Blocker]

    @property
    def can_tick(self) -> bool:
        return not self.claim.is_signed_off and not _hard(self.blockers)

    @property
    def preticked(self) -> bool:
        return self.can_tick and not self.blockers


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class ClaimAdminForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    sign_off = forms.BooleanField(
        required=False, help_text="Reviewers: vouch for this verdict as it is saved now."
    )
    new_comment = forms.CharField(
        label="Add a comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Joins the claim's discussion when you save; @username tells that person.",
    )

    def clean_new_comment(self) -> str:
        # The service's own checks, so a bad comment is a field error, not a lost save.
        text = self.cleaned_data.get("new_comment", "")
        if text.strip():
            try:
                services.parse_mentions(services.validate_comment_body(text))
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return text

    class Meta:
        model = Claim
        fields = ["article", "start", "end", "verdict", "rationale"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns; its stub allows None
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
                self.add_error(None, exc)
        return data


def _set_verdict_action(
    verdict: Verdict,
) -> Callable[["ClaimAdmin", HttpRequest, QuerySet], None]:
    def action(modeladmin: "ClaimAdmin", request: HttpRequest, queryset: QuerySet) -> None:
        try:
            changed = services.claims_set_verdict(
                claims=list(_live(queryset).values_list("pk", flat=True)),
                verdict=verdict,
                actor=request.user,
            )
        except (PermissionDenied, ValidationError) as exc:
            modeladmin.message_user(request, _error_text(exc), messages.ERROR)
            return
        modeladmin.message_user(request, f"{changed} claim(s) marked {verdict.label.lower()}.")

    action.__name__ = f"mark_{verdict.value}"
    return admin.action(
        action,
        description=f"Mark selected claims {verdict.label.lower()}",
        permissions=("change",),
    )


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimAdminForm
    inlines = [EvidenceInline]
    list_display = [
        "quote_short",
        "verdict",
        "in_disagreement",
        "article_title",
        "created_by",
        "evidence_count",
        "link_health",
        "signed_off",
    ]
    list_filter = [
        "verdict",
        "in_disagreement",
        ("article", admin.RelatedOnlyFieldListFilter),
        "article__language",
        ("created_by", admin.RelatedOnlyFieldListFilter),
        SignedOffFilter,
        LinkHealthFilter,
        DeletedFilter,
    ]
    search_fields = ["quote", "rationale"]
    list_select_related = ["article", "created_by", "signed_off_by"]
    list_per_page = 50
    actions = [
        *(_set_verdict_action(v) for v in Verdict if v != Verdict.PENDING),
        "sign_off",
        "revoke_sign_off",
        "publish",
        "unpublish",
        "recheck_links",
        "restore",
    ]
    readonly_fields = [
        "open_in_annotator",
        "in_context",
        "quote",
        "is_orphaned",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
        "signed_off_by",
        "signed_off_at",
        "deleted_by",
        "deleted_at",
        "in_disagreement",
        "decided_by",
        "decided_at",
        "assessments_table",
        "history_table",
        "discussion",
        "public_page",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "article",
                    "open_in_annotator",
                    "in_context",
                    "quote",
                    "is_orphaned",
                    ("start", "end"),
                ]
            },
        ),
        (
            "Desk verdict",
            {
                "fields": [
                    "verdict",
                    "rationale",
                    "in_disagreement",
                    ("decided_by", "decided_at"),
                    "sign_off",
                    "version",
                ],
                "description": "What the desk publishes. Changing it records your decision; "
                "the analysts' own assessments below keep their reasoning.",
            },
        ),
        ("Public page", {"fields": ["public_page"]}),
        ("Assessments", {"fields": ["assessments_table"]}),
        (
            "Who and when",
            {
                "fields": [
                    ("created_by", "created_at"),
                    ("updated_by", "updated_at"),
                    ("signed_off_by", "signed_off_at"),
                    ("deleted_by", "deleted_at"),
                ]
            },
        ),
        ("Discussion", {"fields": ["discussion", "new_comment"]}),
        ("History", {"fields": ["history_table"]}),
    ]

    def get_urls(self) -> list[URLPattern]:
        queue = path(
            "review-queue/",
            self.admin_site.admin_view(review_queue_view),
            name="annotations_claim_review_queue",
        )
        publishing = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self._publishing_view(name)),
                name=f"annotations_claim_{name}",
            )
            for name in ("publish", "unpublish")
        ]
        return [queue, *publishing, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        context = {"show_review_queue": services.can_assign(request.user), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Deleted claims too, so a reviewer can find (DeletedFilter), read and restore them.
        claims = Claim.with_deleted.all()
        if ordering := self.get_ordering(request):
            claims = claims.order_by(*ordering)
        return selectors_review.claims_with_link_counts(claims)

    def get_readonly_fields(self, request: HttpRequest, obj: Claim | None = None) -> list:
        # A claim's offsets point into its own article: it cannot be moved to another one.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "article"] if obj is not None else fields

    def get_fieldsets(self, request: HttpRequest, obj: Claim | None = None) -> list:
        if obj is None:
            return [(None, {"fields": ["article", ("start", "end"), "verdict", "rationale"]})]
        fieldsets = list(super().get_fieldsets(request, obj))
        if not services.can_sign_off(request.user) or obj.is_signed_off or obj.is_deleted:
            name, options = fieldsets[1]
            fields = [f for f in options["fields"] if f != "sign_off"]
            fieldsets = [fieldsets[0], (name, {**options, "fields": fields}), *fieldsets[2:]]
        return fieldsets

    # --- list columns

    @admin.display(description="quote", ordering="quote")
    def quote_short(self, obj: Claim) -> str:
        return _short(obj.quote)

    @admin.display(description="article", ordering="article__title")
    def article_title(self, obj: Claim) -> str:
        return _short(obj.article.title, 50)

    @admin.display(description="evidence", ordering="evidence_total")
    def evidence_count(self, obj: "WithAnnotations[Claim, ClaimLinkCounts]") -> int:
        return obj.evidence_total

    @admin.display(description="links")
    def link_health(self, obj: "WithAnnotations[Claim, ClaimLinkCounts]") -> str:
        if obj.unhealthy_links:
            return f"{obj.unhealthy_links} failing"
        if obj.unchecked_links:
            return f"{obj.unchecked_links} not checked"
        return "fine" if obj.evidence_total else "–"

    @admin.display(description="signed off", boolean=True, ordering="signed_off_at")
    def signed_off(self, obj: Claim) -> bool:
        return obj.is_signed_off

    # --- change page

    @admin.display(description="annotator")
    def open_in_annotator(self, obj: Claim) -> str:
        return format_html(
            '<a href="{}">Open this claim in the annotator</a>',
            annotator_url(obj.article_id, obj.pk),
        )

    @admin.display(description="public page")
    def public_page(self, obj: Claim) -> str:
        """Where the fact-check is public, or why not; the button posts the claim page's form
        (and its CSRF token) to the publish or unpublish view."""
        public = services.claim_is_public(obj)
        status: str
        if public:
            status = format_html(
                'Public at <a href="{}">{}</a> since {}.',
                selectors_public.public_path(obj),
                selectors_public.public_path(obj),
                obj.published_at.strftime("%Y-%m-%d %H:%M") if obj.published_at else "",
            )
        elif obj.published_at is not None:
            status = "Hidden (410): the sign-off changed since it was published; publish it again."
        elif obj.public_slug:
            status = "Taken down (its address answers 410)."
        else:
            status = "Not published."
        name = "unpublish" if public else "publish"
        if not public and not obj.is_signed_off:
            return format_html("{} Sign it off to publish it.", status)
        return format_html(
            '{} <button type="submit" class="button" formaction="{}" formnovalidate>{}</button>',
            status,
            reverse(f"admin:annotations_claim_{name}", args=[obj.pk]),
            "Unpublish" if public else "Publish",
        )

    def _publishing_view(self, name: str) -> Callable[..., HttpResponse]:
        write = services.claim_publish if name == "publish" else services.claim_unpublish

        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            claim = get_object_or_404(Claim.objects.all(), pk=object_id)
            back = reverse("admin:annotations_claim_change", args=[claim.pk])
            if request.method != "POST":
                return HttpResponseRedirect(back)
            try:
                write(claim=claim.pk, reviewer=request.user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, _error_text(exc), messages.ERROR)
            else:
                done = "published" if name == "publish" else "unpublished"
                self.message_user(request, f"The fact-check is {done}.")
            return HttpResponseRedirect(back)

        return view

    @admin.action(description="Publish selected signed-off claims", permissions=["sign_off"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._publish_each(request, queryset, services.claim_publish, "published")

    @admin.action(description="Unpublish selected claims", permissions=["sign_off"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._publish_each(request, queryset, services.claim_unpublish, "unpublished")

    def _publish_each(
        self, request: HttpRequest, queryset: QuerySet, write: Callable[..., Claim], done: str
    ) -> None:
        count, refused = 0, []
        for pk in _live(queryset).values_list("pk", flat=True):
            try:
                write(claim=pk, reviewer=request.user)
                count += 1
            except (PermissionDenied, ValidationError) as exc:
                refused.append(f"claim {pk}: {_error_text(exc)}")
        if count:
            self.message_user(request, f"{count} claim(s) {done}.")
        for reason in refused:
            self.message_user(request, f"Not {done}: {reason}", messages.ERROR)

    @admin.display(description="in context")
    def in_context(self, obj: Claim) -> str:
        span = None
        if not obj.is_orphaned:
            span = selectors_review.span_in_context(obj.article.body, obj.start, obj.end)
        return render_to_string(
            "admin/annotations/claim/in_context.html", {"claim": obj, "span": span}
        )

    @admin.display(description="assessments")
    def assessments_table(self, obj: Claim) -> str:
        assessments = obj.assessments.select_related("analyst").order_by("created_at", "id")
        rows = [(history_display.user_name(a.analyst), a) for a in assessments]
        return render_to_string("admin/annotations/claim/assessments_table.html", {"rows": rows})

    @admin.display(description="comments")
    def discussion(self, obj: Claim) -> str:
        comments = obj.comments.select_related("author").prefetch_related("mentions")
        return render_to_string("admin/annotations/claim/discussion.html", {"comments": comments})

    @admin.display(description="history")
    def history_table(self, obj: Claim) -> str:
        rows = history_display.claim_history_lines(obj.pk)
        return render_to_string("admin/annotations/claim/history_table.html", {"rows": rows})

    # --- permissions: analysts change only their own claims

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or (not obj.is_deleted and services.can_edit_claim(request.user, obj))
        )

    def has_delete_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or (not obj.is_deleted and services.can_delete_claim(request.user, obj))
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
        if change and data.get("new_comment", "").strip():
            services.comment_add(claim=saved.pk, author=request.user, body=data["new_comment"])
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool
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
        for pk in _live(queryset).values_list("pk", flat=True):
            services.claim_delete(claim=pk, actor=request.user)

    @admin.action(description="Restore selected deleted claims", permissions=["delete"])
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        restored, refused = 0, []
        for pk in queryset.filter(deleted_at__isnull=False).values_list("pk", flat=True):
            try:
                services.claim_restore(claim=pk, actor=request.user)
                restored += 1
            except (PermissionDenied, ValidationError) as exc:
                refused.append(f"claim {pk}: {_error_text(exc)}")
        if restored:
            self.message_user(request, f"{restored} claim(s) restored.")
        for reason in refused:
            self.message_user(request, f"Not restored: {reason}", messages.ERROR)
        if not restored and not refused:
            self.message_user(request, "None of the selected claims is deleted.", messages.WARNING)

    @admin.action(description="Sign off selected claims…", permissions=["sign_off"])
    def sign_off(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask first, per claim, with what blocks each; sign off exactly the ticked ones."""
        claims = _live(queryset)
        if request.POST.get("post") != "yes":
            return self._sign_off_confirmation(request, claims)
        ticked = sign_off_selection(request.POST.getlist(SIGN_OFF_FIELD))
        blockers = services.sign_off_blockers(
            claims.filter(pk__in=ticked).values_list("pk", flat=True)
        )
        chosen = {pk: ticked[pk] for pk in blockers if not _hard(blockers[pk])}
        if not chosen:
            self.message_user(
                request, "Nothing was signed off: no claim was ticked.", messages.WARNING
            )
            return None
        try:
            changed = services.claims_sign_off(
                claims=sorted(chosen), reviewer=request.user, versions=chosen
            )
        except services.StaleClaimError as exc:
            self.message_user(
                request,
                f"Nothing was signed off: claim {exc.current.pk} changed since the list below was "
                "made. Look at it again and confirm.",
                messages.ERROR,
            )
            return self._sign_off_confirmation(request, claims)
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(
                request, f"Nothing was signed off: {_error_text(exc)}", messages.ERROR
            )
            return None
        self.message_user(request, f"{changed} claim(s) signed off.")
        return None

    def _sign_off_confirmation(self, request: HttpRequest, claims: QuerySet) -> HttpResponse:
        ids = list(claims.values_list("pk", flat=True))
        blockers = services.sign_off_blockers(ids)
        rows = [
            SignOffRow(claim=claim, blockers=blockers.get(claim.pk, []))
            for claim in Claim.objects.filter(pk__in=ids)
            .select_related("article", "signed_off_by")
            .only(
                "pk",
                "quote",
                "verdict",
                "version",
                "signed_off_at",
                "article__title",
                "signed_off_by__username",
            )
            .order_by("article__title", "start", "end", "pk")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Sign off these claims?",
            "opts": self.model._meta,
            "rows": rows,
            "field_name": SIGN_OFF_FIELD,
            "selected": [row.claim.pk for row in rows],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "ready": sum(1 for row in rows if row.preticked),
            "blocked": sum(1 for row in rows if row.blockers and not row.claim.is_signed_off),
            "cancel_url": request.get_full_path(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/annotations/claim/sign_off_confirmation.html", context
        )

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
