from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from annotations.importing import ArticleFileError, import_article_file
from annotations.services import ArticleImport


def summary(result: ArticleImport) -> str:
    """One line per file: what happened to the article and, on a new text, to its claims."""
    verb = "created" if result.created else ("updated" if result.body_changed else "unchanged")
    article = result.article
    text = f"{verb}: «{article.title}» ({article.language}, {len(article.body)} chars)"
    if result.body_changed and not result.created:
        text += (
            f"; claims re-anchored: {len(result.moved)} moved, {len(result.changed)} changed, "
            f"{len(result.orphaned)} lost and flagged, {result.unchanged} in place"
        )
    return text


class Command(BaseCommand):
    help = (
        "Import plain-text news articles (one file each; a directory means its *.txt files). "
        "Importing a file again updates its article and re-anchors the claims on it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args: object, paths: list[Path], **options: object) -> None:
        files: list[Path] = []
        for path in paths:
            files.extend(sorted(path.glob("*.txt")) if path.is_dir() else [path])
        failures = 0
        for path in files:
            try:
                report = import_article_file(path)
            except ArticleFileError as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"error: {exc}"))
                continue
            except DatabaseError as exc:  # the file's transaction was rolled back as a whole
                failures += 1
                self.stderr.write(self.style.ERROR(f"error: {path.name}: not saved ({exc})"))
                continue
            self.stdout.write(f"{path.name}: {summary(report)}")
            for claim in report.orphaned:
                self.stdout.write(
                    self.style.WARNING(f"  claim {claim.pk} {claim} lost its place: flagged")
                )
        if failures:
            raise CommandError(f"{failures} of {len(files)} file(s) could not be imported.")
