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
            claim=member, actor=analyst, url=f"{evidence_url}/{n}", title=f"Source document {n + 1}"
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


@dataclass
class PublicGroups:
    published: list[ClaimGroup] = field(default_factory=list)
    hidden: list[ClaimGroup] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)


def build_public_groups(ru: Article, uk: Article, analyst, reviewer) -> PublicGroups:
    """Claim groups in every state the public must not see, beside two it may."""
    groups = PublicGroups()
    secret = "https://secret.example.org/group"
    groups.published.append(build_group(ru, uk, analyst, reviewer))
    # Every claim signed off, never published.
    never = build_group(
        ru,
        uk,
        analyst,
        reviewer,
        quotes=("пассивное оборудование обнаружения", "пасивне обладнання виявлення"),
        rationale="SECRET-RATIONALE-group-never",
        evidence_url=f"{secret}-never",
        publish=False,
    )
    # Published, then an edit withdrew the sign-offs; signed off again, not republished.
    edited = build_group(ru, uk, analyst, reviewer, quotes=("GPS-скремблеры", "глушники GPS"))
    first = Claim.objects.filter(group=edited).order_by("pk").first()
    assert first is not None
    services.claim_update(claim=first, actor=reviewer, rationale="SECRET-RATIONALE-group-edited")
    for member in Claim.objects.filter(group=edited, signed_off_at__isnull=True):
        services.claim_sign_off(claim=member, reviewer=reviewer)
    # A claim on a blind article, signed off on its own, linked in after the publication.
    blind = Article.objects.create(
        title="SECRET-BLIND-article",
        slug="secret-blind",
        language="ru",
        blind_review=True,
        body="Слепая проверка: беспилотники летят на тысячу километров.",
    )
    newcomer = _claim(
        blind,
        "беспилотники летят на тысячу километров",
        analyst,
        verdict="verified",
        rationale="Документы WP это подтверждают.",
    )
    services.claim_sign_off(claim=newcomer, reviewer=reviewer)
    blinded = build_group(
        ru,
        uk,
        analyst,
        reviewer,
        quotes=(
            "беспилотников с дальностью действия 1 тысячи километров",
            "дрони з дальністю до 1000 км",
        ),
    )
    lead = Claim.objects.filter(group=blinded).order_by("pk").first()
    assert lead is not None
    services.claim_link(lead, article=blind, start=newcomer.start, end=newcomer.end, user=reviewer)
    linked = Claim.objects.get(pk=newcomer.pk)
    assert linked.group_id == blinded.pk and linked.is_signed_off  # only the link is new
    # Published, then one appearance was lost in a re-import of its article.
    lost = build_group(
        ru,
        uk,
        analyst,
        reviewer,
        quotes=("Почему Венесуэла обращается за помощью?", "Росія співпрацює з Венесуелою"),
    )
    Claim.objects.filter(group=lost, article=uk).update(is_orphaned=True)
    # Published with three appearances, then one was deleted: the page shows the other two.
    kept = build_group(
        ru,
        uk,
        analyst,
        reviewer,
        quotes=(
            "серьезность воспринятой агрессии США в Карибском бассейне",
            "Мадуро надіслав листа голові КНР Сі Цзіньпіну",
        ),
    )
    keeper = Claim.objects.filter(group=kept).order_by("pk").first()
    assert keeper is not None
    start, end = span_of(ru, "наращивание военного присутствия Соединенных Штатов")
    doomed = services.claim_link(keeper, article=ru, start=start, end=end, user=analyst)
    services.claim_sign_off(claim=doomed.pk, reviewer=reviewer)
    kept = services.claim_group_publish(group=kept, reviewer=reviewer)
    services.claim_delete(claim=doomed.pk, actor=reviewer)
    groups.published.append(kept)
    groups.hidden = [ClaimGroup.objects.get(pk=g.pk) for g in (never, edited, blinded, lost)]
    hidden_claims = Claim.with_deleted.filter(group__in=groups.hidden) | Claim.with_deleted.filter(
        pk=doomed.pk
    )
    groups.markers = [*(c.quote for c in hidden_claims), "SECRET-", "secret.example.org"]
    return groups
