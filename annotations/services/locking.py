"""Row locks, taken in the order the importer and the services share."""

from annotations.models import Article, Claim


def lock_article(article: Article | int) -> Article:
    pk = article.pk if isinstance(article, Article) else article
    return Article.objects.select_for_update().get(pk=pk)


def lock_claim(claim: Claim | int) -> Claim:
    """Lock the claim's article, then the claim: the importer's order, so the two never deadlock.

    Holding the article also keeps its body from changing under a span being checked.
    """
    pk = claim.pk if isinstance(claim, Claim) else claim
    article_id = Claim.objects.filter(pk=pk).values_list("article_id", flat=True).get()
    article = lock_article(article_id)
    locked = Claim.objects.select_for_update(of=("self",)).get(pk=pk)
    locked.article = article
    return locked
