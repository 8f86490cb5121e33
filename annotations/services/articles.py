"""Writing an imported article, and re-anchoring its claims when its text changed."""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from annotations.matching.index import article_passages_refresh
from annotations.models import Article, Claim
from annotations.services.errors import MSG_NO_RIGHT_BLIND
from annotations.services.locking import lock_article
from annotations.services.reanchoring import ClaimOutcome, article_reanchor_claims
from annotations.services.roles import User, can_decide, require

_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo",
        "є": "ye", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k",
        "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
        "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip


@dataclass
class ArticleImport:
    """What importing one file did: the article, and what happened to each of its claims."""

    article: Article
    created: bool
    body_changed: bool
    unchanged: int = 0
    moved: list[Claim] = field(default_factory=list)
    changed: list[Claim] = field(default_factory=list)
    orphaned: list[Claim] = field(default_factory=list)

    def add(self, claim: Claim, outcome: ClaimOutcome) -> None:
        if outcome == ClaimOutcome.UNCHANGED:
            self.unchanged += 1
            return
        by_outcome = {
            ClaimOutcome.MOVED: self.moved,
            ClaimOutcome.CHANGED: self.changed,
            ClaimOutcome.ORPHANED: self.orphaned,
        }
        by_outcome[outcome].append(claim)


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title.lower().translate(_TRANSLIT))[:80].strip("-") or "article"
    slug, n = base, 2
    taken = Article.objects.exclude(pk=exclude_pk) if exclude_pk else Article.objects.all()
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def article_import(
    *,
    source_file: str = "",
    source_url: str = "",
    title: str,
    body: str,
    language: str,
    published_on: datetime.date | None,
    source_name: str,
    author: str = "",
) -> ArticleImport:
    """Create or update the article imported from ``source_file`` or fetched from
    ``source_url``, in one transaction.

    That name (or link) is its identity: importing it again updates the same article, and two
    imports of it at once give one article (the loser of the insert race updates the
    winner's row). Claims on a changed text are placed again by quote and context; those
    that cannot be placed are flagged as orphaned, never dropped.
    """
    if bool(source_file) == bool(source_url):
        raise ValueError("An article is identified by exactly one of source_file, source_url.")
    identity = {"source_url": source_url} if source_url else {"source_file": source_file}
    content_hash = hashlib.sha256(body.encode("utf-8")).hexdigest()
    for _ in range(3):
        article = Article.objects.select_for_update().filter(**identity).first()
        if article is not None:
            break
        article = Article(**identity, slug=_unique_slug(title), text_changed_at=timezone.now())
        _fill(article, title, body, language, published_on, source_name, author, content_hash)
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the outer one usable
                article.save()
        except IntegrityError:
            continue  # the same identity (or slug) was inserted meanwhile: look again
        article_passages_refresh(article)  # the same-claim matcher's passages, this transaction
        return ArticleImport(article=article, created=True, body_changed=False)
    else:
        raise IntegrityError(f"Could not save the article {identity}: it keeps changing.")
    body_changed = article.content_hash != content_hash
    reindex = body_changed or article.language != language
    previous_text = (article.content_hash, article.text_changed_at)
    if body_changed:
        article.text_changed_at = timezone.now()
    _fill(article, title, body, language, published_on, source_name, author, content_hash)
    article.save(
        update_fields=[
            "title",
            "body",
            "language",
            "published_on",
            "source_name",
            "author",
            "content_hash",
            "text_changed_at",
            "updated_at",
        ]
    )
    result = ArticleImport(article=article, created=False, body_changed=body_changed)
    if reindex:  # the same-claim matcher's passages follow the text, in this transaction
        article_passages_refresh(article)
    if body_changed:
        for claim, outcome in article_reanchor_claims(article=article):
            result.add(claim, outcome)
        _remember_orphaned_text(article, *previous_text)
    return result


def _remember_orphaned_text(
    article: Article, content_hash: str, text_at: datetime.datetime | None
) -> None:
    """Claims orphaned by this import keep the text version they last matched (W3C exports
    point at it); claims placed again forget it."""
    claims = Claim.objects.filter(article=article)
    claims.filter(is_orphaned=True, orphaned_text_hash="").update(
        orphaned_text_hash=content_hash, orphaned_text_at=text_at
    )
    claims.filter(is_orphaned=False).exclude(orphaned_text_hash="").update(
        orphaned_text_hash="", orphaned_text_at=None
    )


def _fill(
    article: Article,
    title: str,
    body: str,
    language: str,
    published_on: datetime.date | None,
    source_name: str,
    author: str,
    content_hash: str,
) -> None:
    article.title, article.body, article.language = title, body, language
    article.published_on, article.source_name, article.author = published_on, source_name, author
    article.content_hash = content_hash


@transaction.atomic
def article_set_blind_review(
    *, article: Article | int, actor: User, blind_review: bool | None
) -> Article:
    """Turn blind double-checking on or off for one article (``None``: the desk default).

    A reviewer's call, like deciding: it changes what every analyst on the article may see.
    """
    require(can_decide(actor), MSG_NO_RIGHT_BLIND)
    locked = lock_article(article)
    if locked.blind_review != blind_review:
        locked.blind_review = blind_review
        locked.save(update_fields=["blind_review", "updated_at"])
    return locked
