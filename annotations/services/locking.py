"""Row locks, taken in the order the importer and the services share."""

from annotations.models import Article, Claim


def lock_article(article: Article | int) -> Article:
    pk = article.pk if isinstance(article, Article) else article
    return Article.objects.select_for_update().get(pk=pk)


def lock_claim(claim: Claim | int, *, deleted: bool = False) -> Claim:
    """Lock the claim's article, then the claim: the importer's order, so the two never deadlock.

    Holding the article also keeps its body from changing under a span being checked.
    A deleted claim is found only when ``deleted`` asks for it (to restore it).
    """
    pk = claim.pk if isinstance(claim, Claim) else claim
    claims = Claim.with_deleted.filter(deleted_at__isnull=not deleted)
    article_id = claims.filter(pk=pk).values_list("article_id", flat=True).get()
    article = lock_article(article_id)
    locked = claims.select_for_update(of=("self",)).get(pk=pk)
    locked.article = article
    return locked
