"""Reads with query logic: the claim lists and keyset positions (which exports walk too).

Lists run a fixed number of queries whatever their length: users and articles come by
join, evidence and its source links by one prefetch per page. The export rows themselves
are read in ``annotations.exports.chunks``.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.dateparse import parse_datetime

from annotations.models import (
    Article,
    ArticleAssignment,
    Assessment,
    Claim,
    Evidence,
    Snapshot,
    SourceLink,
    Verdict,
)
from annotations.services.roles import User, is_reviewer


def evidence_queryset() -> QuerySet[Evidence]:
    return Evidence.objects.select_related("source_link", "added_by", "pinned_snapshot").order_by(
        "created_at", "id"
    )


def claims_queryset() -> QuerySet[Claim]:
    """Claims with everything their API and export shapes show, in two queries.

    The article comes without its body: a page of 1,000 claims on one long article would
    otherwise read that text 1,000 times.
    """
    return (
        Claim.objects.select_related(
            "article", "created_by", "updated_by", "signed_off_by", "decided_by", "group"
        )
        .defer("article__body")
        .prefetch_related(
            Prefetch("evidence", queryset=evidence_queryset()),
            Prefetch("assessments", queryset=assessments_queryset()),
            # Two more queries, and only on a page that holds a linked claim.
            Prefetch("group__members", queryset=group_members_queryset()),
        )
    )


def group_members_queryset() -> QuerySet[Claim]:
    """A group's claims with what ``claim_shown_to`` and an appearance need."""
    return (
        Claim.objects.select_related("article")
        .defer("article__body")
        .prefetch_related(
            Prefetch("assessments", queryset=Assessment.objects.only("claim_id", "analyst_id"))
        )
    )


def claim_shown_to(user: User, claim: Claim) -> bool:
    """``claims_visible_to`` for one claim whose article and assessments are at hand."""
    from django.conf import settings

    if is_reviewer(user):
        return True
    if not user.is_authenticated:
        return False
    blind = claim.article.blind_review
    if not (settings.BLIND_REVIEW_DEFAULT if blind is None else blind):
        return True
    return any(a.analyst_id == user.pk for a in claim.assessments.all())


def assessments_queryset() -> QuerySet[Assessment]:
    """A claim's assessments in the order they were made, with their analysts."""
    return Assessment.objects.select_related("analyst").order_by("created_at", "id")


def blind_articles() -> Q:
    """Articles under blind double-checking, their own setting or the desk default's."""
    from django.conf import settings

    if settings.BLIND_REVIEW_DEFAULT:
        return ~Q(article__blind_review=False)
    return Q(article__blind_review=True)


def claims_visible_to(user: User, queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """The claims ``user`` may see at all: on a blind article, an analyst sees only the ones
    they hold an assessment on (their own highlights), so nobody's highlighting leads theirs.

    Whether they may see the judgments on a claim they see is ``services.can_see_judgments``.
    """
    queryset = Claim.objects.all() if queryset is None else queryset
    if is_reviewer(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    own = Exists(Assessment.objects.filter(claim_id=OuterRef("pk"), analyst_id=user.pk))
    return queryset.filter(~blind_articles() | Q(own))


def claims_judged_visible_to(
    user: User, queryset: QuerySet[Claim] | None = None
) -> QuerySet[Claim]:
    """The claims whose desk verdict ``user`` may read (exports publish nothing else to them)."""
    queryset = Claim.objects.all() if queryset is None else queryset
    if is_reviewer(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    submitted = Exists(
        Assessment.objects.filter(
            claim_id=OuterRef("pk"), analyst_id=user.pk, verdict__in=Verdict.final()
        )
    )
    return queryset.filter(~blind_articles() | Q(submitted))


def evidence_list_queryset() -> QuerySet[Evidence]:
    """Citations of live claims: a deleted claim's evidence waits with it, unseen."""
    return (
        evidence_queryset()
        .filter(claim__deleted_at__isnull=True)
        .order_by("claim_id", "created_at", "id")
    )


def evidence_visible_to(
    user: User, queryset: QuerySet[Evidence] | None = None
) -> QuerySet[Evidence]:
    """The citations ``user`` may read: all on claims whose judgments they may see, and
    only their own on a blind claim they have not judged yet (a stance is a judgment too).
    """
    queryset = evidence_list_queryset() if queryset is None else queryset
    if is_reviewer(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    judged = claims_judged_visible_to(user).values("pk")
    seen = claims_visible_to(user).values("pk")
    return queryset.filter(Q(claim_id__in=judged) | Q(claim_id__in=seen, added_by_id=user.pk))


def pinned_snapshots_visible_to(user: User, claims: QuerySet[Claim]) -> QuerySet[Snapshot]:
    """The archived copies pinned to citations of ``claims`` that ``user`` may read: on a
    blind article only those of claims whose judgments they may see (a citation is one)."""
    visible = claims_judged_visible_to(user, claims).values("pk")
    return (
        Snapshot.objects.filter(pinned_by__claim_id__in=visible)
        .distinct()
        .order_by("captured_at", "id")
    )


def source_links_queryset() -> QuerySet[SourceLink]:
    return SourceLink.objects.order_by("id")


def articles_queryset() -> QuerySet[Article]:
    return Article.objects.order_by("id")


def claim_counts(
    article_ids: Sequence[int], reader: User | None = None
) -> dict[int, dict[str, int]]:
    """{article id: {verdict: number of claims}} for a page of articles, in one query.

    Like every count of claims per verdict, it counts claims placed in the text; those lost
    after a text change (orphaned) are counted apart where they are shown. With a
    ``reader``, only the claims whose desk verdict they may read count: on a blind
    article an analyst learns nothing of verdicts they have not matched with their own.
    """
    counts = {pk: dict.fromkeys(Verdict.values, 0) for pk in article_ids}
    claims = Claim.objects.all() if reader is None else claims_judged_visible_to(reader)
    rows = (
        claims.filter(article_id__in=list(article_ids), is_orphaned=False)
        .values_list("article_id", "verdict")
        .annotate(n=Count("id"))
        .order_by()
    )
    for article_id, verdict, n in rows:
        counts[article_id][verdict] = n
    return counts


def with_evidence(queryset: QuerySet[Claim], present: bool) -> QuerySet[Claim]:
    exists = Exists(Evidence.objects.filter(claim_id=OuterRef("pk")))
    return queryset.filter(exists if present else ~exists)


def with_link_outcome(queryset: QuerySet[Claim], outcomes: Sequence[str]) -> QuerySet[Claim]:
    """Claims citing at least one source link whose latest check ended in one of ``outcomes``."""
    return queryset.filter(
        Exists(Evidence.objects.filter(claim_id=OuterRef("pk"), source_link__outcome__in=outcomes))
    )


def search_claims(queryset: QuerySet[Claim], text: str) -> QuerySet[Claim]:
    return queryset.filter(Q(quote__icontains=text) | Q(rationale__icontains=text))


# --- Keyset positions (cursor pagination and export chunks)


class BadPosition(ValueError):
    """A cursor names a position that does not fit the ordering."""


@dataclass(frozen=True)
class KeyField:
    """One column of a keyset ordering: its name, the type of its values, and direction."""

    name: str
    kind: type
    descending: bool = False

    def order(self, *, reverse: bool = False) -> str:
        return ("-" if self.descending != reverse else "") + self.name

    def encode(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    def decode(self, value: Any) -> Any:
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadPosition(self.name)
            return value
        if self.kind is datetime:
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise BadPosition(self.name)
            return parsed
        if not isinstance(value, str):
            raise BadPosition(self.name)
        return value


Keyset = tuple[KeyField, ...]

# Every ordering ends in the primary key, so positions are unique and stable under inserts.
CLAIM_ORDERINGS: dict[str, Keyset] = {
    "position": (
        KeyField("article_id", int),
        KeyField("start", int),
        KeyField("end", int),
        KeyField("id", int),
    ),
    "id": (KeyField("id", int),),
    "-id": (KeyField("id", int, True),),
    "created_at": (KeyField("created_at", datetime), KeyField("id", int)),
    "-created_at": (KeyField("created_at", datetime, True), KeyField("id", int, True)),
    "updated_at": (KeyField("updated_at", datetime), KeyField("id", int)),
    "-updated_at": (KeyField("updated_at", datetime, True), KeyField("id", int, True)),
    "verdict": (KeyField("verdict", str), KeyField("id", int)),
    "-verdict": (KeyField("verdict", str, True), KeyField("id", int, True)),
}
DEFAULT_CLAIM_ORDERING = "position"
# Exports walk the primary key: each chunk is an index range scan, whatever the table size.
DEFAULT_EXPORT_ORDERING = "id"
ID_ORDERING: Keyset = (KeyField("id", int),)


def keyset_order(queryset: QuerySet, keyset: Keyset, *, reverse: bool = False) -> QuerySet:
    return queryset.order_by(*(field.order(reverse=reverse) for field in keyset))


def keyset_after(
    queryset: QuerySet, keyset: Keyset, values: Sequence[Any], *, reverse: bool = False
) -> QuerySet:
    """Rows strictly after ``values`` in the keyset order (before them with ``reverse``)."""
    condition = Q()
    for i, field in enumerate(keyset):
        lookup = "lt" if field.descending != reverse else "gt"
        step = Q(**{f"{field.name}__{lookup}": values[i]})
        for earlier, value in zip(keyset[:i], values[:i], strict=True):
            step &= Q(**{earlier.name: value})
        condition |= step
    if len(keyset) > 1 and values[0] is not None:
        # Implied by the chain, but an index can start its scan here: without it PostgreSQL
        # walked every earlier row again for each chunk of an export.
        first = keyset[0]
        bound = "lte" if first.descending != reverse else "gte"
        condition &= Q(**{f"{first.name}__{bound}": values[0]})
    return queryset.filter(condition)


def keyset_values(obj: Any, keyset: Keyset) -> list[Any]:
    if isinstance(obj, dict):
        return [obj[field.name] for field in keyset]
    return [getattr(obj, field.name) for field in keyset]


def iter_chunks(
    queryset: QuerySet,
    *,
    keyset: Keyset = ID_ORDERING,
    chunk_size: int = 500,
    after: Sequence[Any] | None = None,
    limit: int | None = None,
    fetch: Callable[[QuerySet], list[Any]] = list,
) -> Iterator[list[Any]]:
    """Walk a queryset in keyset order, ``chunk_size`` rows (plus their prefetches) at a time.

    Each chunk costs the same queries (the page and one per prefetch) whatever the total,
    and only one chunk is in memory: nothing is cached between chunks. ``fetch`` reads a
    page's rows (each must hold the keyset's values).
    """
    remaining = limit
    ordered = keyset_order(queryset, keyset)
    position = list(after) if after is not None else None
    while remaining is None or remaining > 0:
        size = chunk_size if remaining is None else min(chunk_size, remaining)
        page = ordered if position is None else keyset_after(ordered, keyset, position)
        rows = fetch(page[:size])
        if not rows:
            return
        yield rows
        if remaining is not None:
            remaining -= len(rows)
        if len(rows) < size:
            return
        position = keyset_values(rows[-1], keyset)


def keyset_values_at(
    queryset: QuerySet, keyset: Keyset, index: int, *, reverse: bool = False
) -> list[Any] | None:
    """The keyset position of the row at ``index`` (0-based) in keyset order, or counted
    from the last row with ``reverse``, if any. The database reads ``index`` rows first."""
    names = [field.name for field in keyset]
    row = keyset_order(queryset, keyset, reverse=reverse).values_list(*names)[index : index + 1]
    found = list(row)
    return list(found[0]) if found else None


# --- The web UI's article list


class ArticleClaimCounts(TypedDict):
    """What ``articles_with_claim_counts`` annotates besides ``count_<verdict>`` per verdict."""

    count_total: int
    count_orphaned: int
    count_signed_off: int


def articles_with_claim_counts(
    articles: QuerySet[Article] | None = None, reader: User | None = None
) -> QuerySet[Article]:
    """Articles annotated with claim counts per verdict and signed-off claims, in one query.

    Orphaned claims (lost after a text change) are counted apart: they have no place
    in the text and still need attention. With a ``reader``, a blind article counts only
    the claims whose desk verdict they may read (``claims_judged_visible_to``).
    """
    live = Q(claims__deleted_at__isnull=True)  # a join does not go through Claim.objects
    if reader is not None and not is_reviewer(reader):
        live &= _judged_on_article_join(reader)
    placed = live & Q(claims__is_orphaned=False)
    counts = {
        f"count_{verdict}": Count("claims", filter=placed & Q(claims__verdict=verdict))
        for verdict in Verdict.values
    }
    articles = Article.objects.all() if articles is None else articles
    return articles.annotate(
        count_total=Count("claims", filter=placed),
        count_orphaned=Count("claims", filter=live & Q(claims__is_orphaned=True)),
        count_signed_off=Count("claims", filter=placed & Q(claims__signed_off_at__isnull=False)),
        **counts,
    ).defer("body")


def _judged_on_article_join(reader: User) -> Q:
    """``claims_judged_visible_to`` for the claims joined from an article (``claims__``)."""
    from django.conf import settings

    blind = ~Q(blind_review=False) if settings.BLIND_REVIEW_DEFAULT else Q(blind_review=True)
    if not reader.is_authenticated:
        return Q(pk__in=[])
    submitted = Exists(
        Assessment.objects.filter(
            claim_id=OuterRef("claims__id"), analyst_id=reader.pk, verdict__in=Verdict.final()
        )
    )
    return ~blind | Q(submitted)


def article_list(
    *, search: str = "", language: str = "", reader: User | None = None
) -> QuerySet[Article]:
    """The desk's article list, filtered by a search term (title or source) and a language.

    With a ``reader``, each article says whether it is assigned to them (``assigned_to_me``),
    and theirs come first, the latest assigned on top.

    The search is a case-insensitive regular expression match on the escaped term:
    unlike ``icontains`` on SQLite, it folds Cyrillic case too. The counts are the
    ``reader``'s (see ``articles_with_claim_counts``).
    """
    articles = articles_with_claim_counts(reader=reader)
    search = search.strip()
    if search:
        pattern = re.escape(search)
        articles = articles.filter(
            Q(title__iregex=pattern) | Q(source_name__iregex=pattern) | Q(slug__iregex=pattern)
        )
    if language:
        articles = articles.filter(language=language)
    if reader is not None and reader.is_authenticated:
        mine = ArticleAssignment.objects.filter(article_id=OuterRef("pk"), analyst_id=reader.pk)
        articles = articles.annotate(
            assigned_to_me=Exists(mine),
            assigned_at=Subquery(mine.values("assigned_at")[:1]),
        )
        return articles.order_by(
            F("assigned_at").desc(nulls_last=True), "-published_on", "title", "id"
        )
    return articles.order_by("-published_on", "title", "id")


def assigned_article_ids(user: User, article_ids: Sequence[int]) -> set[int]:
    """Which of these articles are assigned to ``user``, in one query."""
    if not user.is_authenticated or not article_ids:
        return set()
    return set(
        ArticleAssignment.objects.filter(
            analyst_id=user.pk, article_id__in=list(article_ids)
        ).values_list("article_id", flat=True)
    )


def article_assignments(article: Article) -> QuerySet[ArticleAssignment]:
    return (
        ArticleAssignment.objects.filter(article_id=article.pk)
        .select_related("analyst", "assigned_by")
        .order_by("assigned_at", "id")
    )


def desk_members(usernames: Sequence[str]) -> list[Any]:
    """The accounts named, every name known, so a typo is a 400 and not a silent skip."""
    from django.contrib.auth import get_user_model

    from annotations.services.errors import MSG_ASSIGNEE_UNKNOWN, ErrorCode, invalid

    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    for name in usernames:
        if name not in found:
            raise invalid(
                "analysts", MSG_ASSIGNEE_UNKNOWN.format(username=name), ErrorCode.ASSIGNEE_UNKNOWN
            )
    return list(found.values())


class Progress(TypedDict):
    """How far one reader is through an article: claims they assessed with a final verdict,
    of the claims on it they may see."""

    assessed: int
    claims: int


def assessment_progress(user: User, article_ids: Sequence[int]) -> dict[int, Progress]:
    """{article id: Progress} for a page of articles, in one query.

    Counted over the claims ``user`` may see (on a blind article an analyst sees only the
    ones they hold an assessment on), placed in the text, as every per-verdict count is.
    """
    progress = {pk: Progress(assessed=0, claims=0) for pk in article_ids}
    if not user.is_authenticated or not article_ids:
        return progress
    final = Exists(
        Assessment.objects.filter(
            claim_id=OuterRef("pk"), analyst_id=user.pk, verdict__in=Verdict.final()
        )
    )
    claims = Claim.objects.filter(article_id__in=list(article_ids), is_orphaned=False)
    rows = (
        claims_visible_to(user, claims)
        .values("article_id")
        .annotate(claims=Count("pk"), assessed=Count("pk", filter=Q(final)))
        .order_by()
    )
    for row in rows:
        progress[row["article_id"]] = Progress(assessed=row["assessed"], claims=row["claims"])
    return progress


def article_languages() -> list[str]:
    """The languages that articles exist in, for the list's filter."""
    return list(Article.objects.order_by("language").values_list("language", flat=True).distinct())


def source_links_due(
    *, now: datetime, recheck_age: timedelta, request_grace: timedelta
) -> QuerySet[SourceLink]:
    """Cited links never checked, checked before ``now - recheck_age``, or whose page could not
    be archived and is due again (``archive_retry_at``), oldest first.

    Links asked for within ``request_grace`` and not checked since are left out: their check
    is already queued.
    """
    not_queued = (
        Q(check_requested_at__isnull=True)
        | Q(check_requested_at__lt=now - request_grace)
        | Q(check_requested_at__lte=F("last_checked_at"))  # a check answered it
    )
    due = (
        Q(last_checked_at__isnull=True)
        | Q(last_checked_at__lt=now - recheck_age)
        | Q(archive_retry_at__lte=now)
    )
    cited = SourceLink.objects.filter(pk__in=SourceLink.objects.filter(evidence__isnull=False))
    return cited.filter(due & not_queued).order_by(F("last_checked_at").asc(nulls_first=True), "pk")


# --- The public text of an article (W3C annotation targets)


def article_text_version(slug: str) -> dict[str, Any] | None:
    """The article's current body and its hash, for its public text address."""
    found = Article.objects.filter(slug=slug).values("body", "content_hash").first()
    return dict(found) if found is not None else None
