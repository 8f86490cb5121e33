"""Query-string filters for claims (list and export), evidence, articles and source links.

A value that cannot be read (a bad date, an unknown verdict, ``signed_off=maybe``) is a
400 naming the parameter, not a silently ignored filter.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from annotations import selectors
from annotations.models import Article, Claim, Evidence, LinkOutcome, SourceLink, Verdict

MAX_ID = 2**63 - 1
MSG_BAD_BOOLEAN = "Use true or false."
MSG_BAD_OFFSET = "The time-zone offset must be between -14:00 and +14:00."
MSG_OUT_OF_RANGE = "This moment is outside the calendar the desk can store."
MAX_UTC_OFFSET = timedelta(hours=14)


class StrictBooleanField(forms.Field):
    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(MSG_BAD_BOOLEAN, code="invalid")


class MomentField(IsoDateTimeField):
    """An ISO 8601 date or time, as UTC; offsets beyond ±14:00 (none exist) are refused.

    PostgreSQL refuses offsets past ±15:59 and Python overflows at the ends of the
    calendar, so both are turned into a 400 here rather than a 500 there.
    """

    def clean(self, value: Any) -> datetime | None:
        moment = super().clean(value)
        if moment is None:
            return None
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(MSG_BAD_OFFSET, code="invalid")
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(MSG_OUT_OF_RANGE, code="invalid") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


class BooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class WholeNumberField(forms.IntegerField):
    """Digits only: Django's IntegerField would also take ``1.0`` or ``0.0`` for a whole number."""

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if text and not re.fullmatch(r"[+-]?\d+", text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.Filter):
    """A row id: a whole number; one no row can have (0, -1, 10**30) simply matches nothing."""

    field_class = WholeNumberField

    def filter(self, qs: QuerySet, value: int | None) -> QuerySet:
        if value is not None and not 1 <= value <= MAX_ID:
            return qs.none()
        return super().filter(qs, value)


class ClaimFilter(django_filters.FilterSet):
    article = IdFilter(field_name="article_id", help_text="Article id.")
    verdict = django_filters.MultipleChoiceFilter(
        choices=Verdict.choices, help_text="One or more verdicts (repeat the parameter)."
    )
    author = IdFilter(field_name="created_by_id", help_text="Id of the user who created it.")
    language = django_filters.CharFilter(
        field_name="article__language", max_length=35, help_text="The article's language."
    )
    signed_off = BooleanFilter(method="filter_signed_off", help_text="Signed off or not.")
    is_orphaned = BooleanFilter(field_name="is_orphaned")
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")
    updated_after = MomentFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = MomentFilter(field_name="updated_at", lookup_expr="lt")
    has_evidence = BooleanFilter(method="filter_has_evidence")
    link_outcome = django_filters.MultipleChoiceFilter(
        choices=LinkOutcome.choices,
        method="filter_link_outcome",
        help_text="Claims citing at least one source link in one of these states.",
    )
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, help_text="Text in the quote or the rationale."
    )

    # Filters that answer from the desk's judgment or from other people's work: for a reader
    # under blind double-checking they match only the claims whose judgments they may see,
    # as if the hidden values were the null the claim shows them.
    JUDGING = ("verdict", "author", "signed_off", "has_evidence", "link_outcome", "search")

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        user = getattr(self.request, "user", None)
        if user is not None and any(
            self.form.cleaned_data.get(name) not in (None, "", []) for name in self.JUDGING
        ):
            queryset = selectors.claims_judged_visible_to(user, queryset)
        return super().filter_queryset(queryset)

    def filter_signed_off(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(signed_off_at__isnull=not value)

    def filter_has_evidence(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return selectors.with_evidence(queryset, value)

    def filter_link_outcome(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return selectors.with_link_outcome(queryset, value) if value else queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search_claims(queryset, value) if value else queryset


class EvidenceFilter(django_filters.FilterSet):
    claim = IdFilter(field_name="claim_id", help_text="Claim id.")

    class Meta:
        model = Evidence
        fields: list[str] = []


class ArticleFilter(django_filters.FilterSet):
    language = django_filters.CharFilter(field_name="language", max_length=35)
    search = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=200, help_text="Text in the title."
    )

    class Meta:
        model = Article
        fields: list[str] = []


class SourceLinkFilter(django_filters.FilterSet):
    outcome = django_filters.MultipleChoiceFilter(choices=LinkOutcome.choices)

    class Meta:
        model = SourceLink
        fields: list[str] = []
