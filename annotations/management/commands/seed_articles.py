from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from annotations.models import Article


class Command(BaseCommand):
    help = (
        "Load the seed articles (fixtures/articles.json) into a desk that has no articles yet. "
        "Unlike a plain loaddata on every start, it never puts back an old text over an article "
        "re-imported since (its claims were re-anchored to the new text)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fixture", default=str(settings.BASE_DIR / "fixtures" / "articles.json")
        )

    def handle(self, *args: object, fixture: str, **options: object) -> None:
        if Article.objects.exists():
            self.stdout.write("Articles are already loaded: the seed fixture is left alone.")
            return
        call_command("loaddata", fixture, verbosity=options.get("verbosity", 1))
        call_command("rebuild_passages", verbosity=options.get("verbosity", 1))
