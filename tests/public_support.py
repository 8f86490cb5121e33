"""A desk with published and unpublished fact-checks, shared by the public-site tests.

Every unpublished thing carries a marker (its quote, ``SECRET-`` rationales, titles,
excerpts and a ``secret.example.org`` address), so a test can look for any trace of it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from annotations import services
from annotations.models import Article, Claim, SourceLink
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
