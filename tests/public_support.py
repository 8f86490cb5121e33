"""A desk with published and unpublished fact-checks, shared by the public-site tests.

Every unpublished thing carries a marker (its quote, ``SECRET-`` rationales, titles,
excerpts and a ``secret.example.org`` address), so a test can look for any trace of it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from annotations import services
from annotations.models import Article, Claim, ClaimGroup, SourceLink
from tests.conftest import span_of

PUBLISHED_QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"
SOURCE_URL = "https://www.washingtonpost.com/world/2025/10/31/venezuela-russia-letter/"
WAYBACK = "https://web.archive.org/web/20251101000000/https://example.org/letter"


@dataclass
class PublicDesk:
    published: Claim
    hidden: list[Claim] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)


def _claim(article: Article, quote: str, author, **kwargs) -> Claim:
    start, end = span_of(article, quote)
    return services.claim_create(
        article=article, start=start, end=end, quote=quote, author=author, **kwargs
    )


def build_public_desk(ru: Article, uk: Article, analyst, reviewer) -> PublicDesk:
    ru.source_name = "The Washington Post"
    ru.source_url = SOURCE_URL
    ru.save()
    published = _claim(
        ru,
        PUBLISHED_QUOTE,
        analyst,
        verdict="verified",
        rationale="Письмо подтверждают документы, на которые ссылается WP.",
    )
    services.evidence_add(
        claim=published,
        actor=analyst,
        url="https://example.org/letter",
        title="Копия письма",
        excerpt="просит о помощи",
        stance="supports",
    )
    SourceLink.objects.filter(url="https://example.org/letter").update(
        wayback_url=WAYBACK, wayback_archived_at=datetime(2025, 11, 1, tzinfo=UTC)
    )
    services.claim_sign_off(claim=published, reviewer=reviewer)
    services.claim_publish(claim=published, reviewer=reviewer)

    # Cited after publication: not published until the claim is published again.
    services.evidence_add(
        claim=published,
        actor=analyst,
        url="https://secret.example.org/later",
        title="SECRET-EVIDENCE-later",
        excerpt="SECRET-EXCERPT-later",
    )
    desk = PublicDesk(published=published)
    # Signed off, never published.
    never = _claim(
        uk,
        "Ніколас Мадуро надіслав Володимиру Путіну листа",
        analyst,
        verdict="disputed",
        rationale="SECRET-RATIONALE-never",
    )
    services.evidence_add(
        claim=never,
        actor=analyst,
        url="https://secret.example.org/never",
        title="SECRET-EVIDENCE-never",
        excerpt="SECRET-EXCERPT-never",
    )
    services.claim_sign_off(claim=never, reviewer=reviewer)
    # Published, then taken down.
    down = _claim(
        uk,
        "посилити оборонні можливості країни",
        analyst,
        verdict="unsourced",
        rationale="SECRET-RATIONALE-down",
    )
    services.claim_sign_off(claim=down, reviewer=reviewer)
    services.claim_publish(claim=down, reviewer=reviewer)
    services.claim_unpublish(claim=down, reviewer=reviewer)
    # Published, then an edit withdrew the sign-off; signed off again but not republished.
    edited = _claim(
        ru,
        "расширения военного сотрудничества",
        analyst,
        verdict="verified",
        rationale="SECRET-RATIONALE-before",
    )
    services.claim_sign_off(claim=edited, reviewer=reviewer)
    services.claim_publish(claim=edited, reviewer=reviewer)
    services.claim_update(claim=edited, actor=analyst, rationale="SECRET-RATIONALE-edited")
    services.claim_sign_off(claim=edited, reviewer=reviewer)
    # Never signed off.
    pending = _claim(uk, "Коротко", analyst, rationale="SECRET-RATIONALE-pending")
    desk.hidden = [Claim.objects.get(pk=c.pk) for c in (never, down, edited, pending)]
    desk.published = Claim.objects.get(pk=published.pk)
    desk.markers = [
        *(c.quote for c in desk.hidden),
        "SECRET-",
        "secret.example.org",
    ]
    return desk


GROUP_RU_QUOTE = "Николас Мадуро также обращался к Китаю и Ирану"
GROUP_UK_QUOTE = "Венесуела зверталася по військову підтримку і до Китаю, і до Ірану"


def build_group(
    ru: Article,
    uk: Article,
    analyst,
    reviewer,
    *,
    quotes: tuple[str, str] = (GROUP_RU_QUOTE, GROUP_UK_QUOTE),
    rationale: str = "Документы WP это подтверждают.",
    evidence_url: str = "https://example.org/group-letter",
    publish: bool = True,
) -> ClaimGroup:
    """The same claim in the Russian and the Ukrainian report, linked, each with a citation,
    both signed off and (``publish``) the group published."""
    first = _claim(ru, quotes[0], analyst, verdict="verified", rationale=rationale)
    start, end = span_of(uk, quotes[1])
    second = services.claim_link(first, article=uk, start=start, end=end, user=analyst)
    for n, member in enumerate((first, second)):
        services.evidence_add(
            claim=member, actor=analyst, url=f"{evidence_url}/{n}", title=f"Источник {n}"
        )
    SourceLink.objects.filter(url__startswith=evidence_url).update(
        wayback_url=WAYBACK, wayback_archived_at=datetime(2025, 11, 1, tzinfo=UTC)
    )
    for member in (first, second):
        services.claim_sign_off(claim=member.pk, reviewer=reviewer)
    group = ClaimGroup.objects.get(pk=Claim.objects.get(pk=first.pk).group_id)
    if publish:
        group = services.claim_group_publish(group=group, reviewer=reviewer)
    return group
