from django.core.management.base import BaseCommand, CommandParser

from annotations.matching import passages_rebuild
from annotations.models import Article


class Command(BaseCommand):
    help = (
        "Rebuild the same-claim matcher's passage index from the article texts (all articles, "
        "or those given by id). Writing an article keeps its passages current; this is for "
        "articles loaded around the services (loaddata) or after changing the matcher's rules."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("article_ids", nargs="*", type=int)

    def handle(self, *args: object, article_ids: list[int], **options: object) -> None:
        articles = None
        if article_ids:
            articles = Article.objects.filter(pk__in=article_ids).order_by("id")
        done, passages = passages_rebuild(articles)
        self.stdout.write(f"Indexed {passages} passages of {done} articles.")
