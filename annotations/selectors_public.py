"""Reads of the public site: only published fact-checks and what they show.

``public_claims`` is the one rule of what is public (``services.claim_is_public`` says the
same of one claim): published after the latest sign-off, with a final verdict, still placed
in its article and not deleted. ``public_groups`` is the same rule for claim groups
(``services.claim_group_is_public``). Every public page, the feed and the sitemap read from
here.
"""

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.db.models import CharField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.urls import reverse

from annotations.models import Claim, ClaimGroup, Evidence, Verdict
from annotations.services.publishing import appearance_order

PUBLIC_PAGE_SIZE = 20


def _public_claim_rows() -> QuerySet[Claim]:
    return Claim.objects.filter(
        published_at__isnull=False,
        signed_off_at__isnull=False,
        published_at__gte=F("signed_off_at"),
        verdict__in=Verdict.final(),
        is_orphaned=False,
    )


def _evidence() -> Prefetch:
    return Prefetch(
        "evidence",
        queryset=Evidence.objects.select_related("source_link", "pinned_snapshot").order_by(
            "created_at", "id"
        ),
    )


def public_claims() -> QuerySet[Claim]:
    """Published fact-checks, newest first, with their article and evidence in three queries."""
    return (
        _public_claim_rows()
        .select_related("article")
        .defer("article__body")
        .prefetch_related(_evidence())
        .order_by("-published_at", "-id")
    )


def public_listing() -> QuerySet[Claim]:
    """What the feed and the sitemap list: no evidence needed."""
    return public_claims().prefetch_related(None)


def published_evidence(claim: Claim, evidence: list[Evidence]) -> list[Evidence]:
    """The citations the reviewer published: a source cited after publication waits for the
    next publication (edits of a published citation show, as the desk's own corrections)."""
    published_at = claim.published_at
    return [e for e in evidence if published_at is not None and e.created_at <= published_at]


def public_claim(pk: int) -> Claim | None:
    """The published claim with its article's text (the page shows the claim in context)."""
    return public_claims().defer(None).select_related("article").filter(pk=pk).first()


def was_public(pk: int) -> bool:
    """A claim that once had a public page (its slug is kept): its address answers 410."""
    return Claim.with_deleted.filter(pk=pk).exclude(public_slug="").exists()


def public_path(claim: Claim) -> str:
    return reverse("public-claim", kwargs={"pk": claim.pk, "slug": claim.public_slug or "claim"})


def absolute(path: str) -> str:
    """An address on the public site, from ``DESK_URL`` (what feeds and JSON-LD must carry)."""
    return urljoin(settings.DESK_URL, path)


def public_url(claim: Claim) -> str:
    return absolute(public_path(claim))


# --- claim groups


def public_groups() -> QuerySet[ClaimGroup]:
    """Published claim groups, newest first: every live member signed off (before the
    publication) with a final verdict and placed, and no claim joined since."""
    live = Claim.objects.filter(group_id=OuterRef("pk"))
    unfit = live.filter(
        Q(signed_off_at__isnull=True)
        | Q(signed_off_at__gt=OuterRef("published_at"))
        | ~Q(verdict__in=Verdict.final())
        | Q(is_orphaned=True)
    )
    return (
        ClaimGroup.objects.filter(published_at__isnull=False)
        .filter(Q(members_changed_at__isnull=True) | Q(members_changed_at__lte=F("published_at")))
        .filter(Exists(live))
        .exclude(Exists(unfit))
        .order_by("-published_at", "-id")
    )


def _members(*, body: bool = False, evidence: bool = False) -> Prefetch:
    members = Claim.objects.select_related("article").order_by("id")
    if not body:
        members = members.defer("article__body")
    if evidence:
        members = members.prefetch_related(_evidence())
    return Prefetch("members", queryset=members, to_attr="live_members")


def with_appearances(groups: list[ClaimGroup]) -> list[ClaimGroup]:
    """Each group's ``appearances``: its members, earliest published article first (the lead,
    as ClaimReview's ``firstAppearance``), then by id."""
    for group in groups:
        members: list[Claim] = getattr(group, "live_members", [])
        group.appearances = sorted(members, key=appearance_order)  # type: ignore[attr-defined]
    return groups


def public_group_listing() -> QuerySet[ClaimGroup]:
    """What the index, the feed and the sitemap list: each group with its members' articles
    (two queries), no text and no evidence."""
    return public_groups().prefetch_related(_members())


def public_group(pk: int) -> ClaimGroup | None:
    """The published group with every member's article text and evidence: four queries."""
    found = list(public_groups().prefetch_related(_members(body=True, evidence=True)).filter(pk=pk))
    return with_appearances(found)[0] if found else None


def group_is_public(pk: int) -> bool:
    return public_groups().filter(pk=pk).exists()


def public_group_path_of(claim: Claim) -> str | None:
    """The page of the claim's group, if the group is public (one query when it has one)."""
    if claim.group_id is None:
        return None
    slug = public_groups().filter(pk=claim.group_id).values_list("public_slug", flat=True).first()
    return None if slug is None else group_path(claim.group_id, slug)


def group_was_public(pk: int) -> bool:
    """A group that once had a public page (its slug is kept): its address answers 410."""
    return ClaimGroup.objects.filter(pk=pk).exclude(public_slug="").exists()


def group_path(group: ClaimGroup | int, slug: str = "") -> str:
    pk = group.pk if isinstance(group, ClaimGroup) else group
    slug = group.public_slug if isinstance(group, ClaimGroup) else slug
    return reverse("public-group", kwargs={"pk": pk, "slug": slug or "claim"})


def group_url(group: ClaimGroup) -> str:
    return absolute(group_path(group))


def published_group_evidence(group: ClaimGroup, claim: Claim) -> list[Evidence]:
    """A member's citations published with the group (cited before the group's publication)."""
    published_at = group.published_at
    return [e for e in claim.evidence.all() if published_at and e.created_at <= published_at]


# --- the index and the feed: claims and groups together


def public_entries() -> Any:
    """(kind, id, published_at) of every published claim and group, newest first: one query
    per use (a count, a page), whatever the number of each."""
    text = CharField()
    claims = (
        _public_claim_rows()
        .annotate(kind=Value("claim", output_field=text))
        .values_list("kind", "id", "published_at")
        .order_by()
    )
    groups = (
        public_groups()
        .annotate(kind=Value("group", output_field=text))
        .values_list("kind", "id", "published_at")
        .order_by()
    )
    return claims.union(groups, all=True).order_by("-published_at", "-id")


def entries_of(rows: list[tuple[str, int, Any]]) -> list[Claim | ClaimGroup]:
    """The claims and groups named by ``public_entries`` rows, in their order: three queries."""
    claim_ids = [pk for kind, pk, _ in rows if kind == "claim"]
    group_ids = [pk for kind, pk, _ in rows if kind == "group"]
    claims = {c.pk: c for c in public_listing().filter(pk__in=claim_ids)} if claim_ids else {}
    groups: dict[int, ClaimGroup] = {}
    if group_ids:
        found = with_appearances(list(public_group_listing().filter(pk__in=group_ids)))
        groups = {g.pk: g for g in found}
    entries: list[Claim | ClaimGroup] = []
    for kind, pk, _ in rows:
        entry = claims.get(pk) if kind == "claim" else groups.get(pk)
        if entry is not None:
            entries.append(entry)
    return entries


def latest_entries(limit: int) -> list[Claim | ClaimGroup]:
    """The ``limit`` latest published claims and groups together (the feed): three queries."""
    claims: list[Claim | ClaimGroup] = list(public_listing()[:limit])
    groups = with_appearances(list(public_group_listing()[:limit]))
    both = [*claims, *groups]
    both.sort(key=lambda e: (e.published_at, e.pk), reverse=True)
    return both[:limit]


def entry_path(entry: Claim | ClaimGroup) -> str:
    return group_path(entry) if isinstance(entry, ClaimGroup) else public_path(entry)
