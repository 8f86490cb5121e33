from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations import services
from annotations.models import Article
from annotations.services.claim_import import FORMATS
from annotations.services.errors import MSG_IMPORT_FORMAT_UNDETECTED


class Command(BaseCommand):
    help = (
        "Import claims from a file: the desk's json/jsonl export, W3C Web Annotation, Label "
        "Studio's JSON or doccano's JSONL. All or nothing per file unless --skip-refused; "
        "claims imported before (same source and id) are updated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, help="default: guessed from the file")
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument(
            "--skip-refused", action="store_true", help="write the other records when some fail"
        )
        parser.add_argument(
            "--label-map", nargs="+", default=[], metavar="LABEL=verdict", help="tool labels"
        )
        parser.add_argument("--article", help="article id or slug for Label Studio/doccano tasks")
        parser.add_argument(
            "--user", default="", help="the reviewer importing (default: a superuser)"
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["file"]
        assert isinstance(path, Path)
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        self.verbose = int(str(options.get("verbosity", 1))) > 1
        actor = self._actor(str(options["user"] or ""))
        article = self._article(options.get("article"))
        with path.open("rb") as stream:
            fmt = options.get("format") or services.detect_format(stream.read(65536), path.name)
            stream.seek(0)
            if fmt is None:
                raise CommandError(MSG_IMPORT_FORMAT_UNDETECTED.format(choices=", ".join(FORMATS)))
            try:
                report = services.claims_import(
                    stream=stream,
                    format=str(fmt),
                    actor=actor,
                    dry_run=bool(options["dry_run"]),
                    skip_refused=bool(options["skip_refused"]),
                    label_map=services.parse_label_map(options["label_map"]),  # type: ignore[arg-type]
                    article=article,
                    on_record=self._line,
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.counts.items())
        verb = (
            "dry run, nothing written"
            if report.dry_run
            else ("written" if report.written else "nothing written")
        )
        self.stdout.write(f"{path.name} ({fmt}): {counts}; {verb}")
        for notice in report.notices:
            self.stdout.write(self.style.WARNING(f"{path.name}: {notice.message}"))
        if report.file_error:
            raise CommandError(f"{path.name}: {report.file_error}")
        if report.refused and not report.skip_refused and not report.dry_run:
            raise CommandError(
                f"{report.refused} record(s) refused: nothing written "
                "(--skip-refused writes the rest)"
            )

    def _line(self, result: services.RecordResult) -> None:
        claim = f" claim {result.claim_id}" if result.claim_id else ""
        reason = f": {result.reason}" if result.reason else ""
        text = f"  {result.position}: {result.outcome.value}{claim}{reason}"
        if result.outcome == services.ImportOutcome.REFUSED:
            self.stdout.write(self.style.WARNING(text))
        elif self.verbose or result.outcome == services.ImportOutcome.PLACED_ELSEWHERE:
            self.stdout.write(text)

    def _actor(self, name: str) -> Any:
        users = get_user_model().objects.filter(is_active=True)
        user = (
            users.filter(username=name).first() if name else users.filter(is_superuser=True).first()
        )
        if user is None:
            raise CommandError(f"No active user {name!r}: give --user, a reviewer")
        return user

    def _article(self, value: object) -> Article | None:
        if not value:
            return None
        text = str(value)
        article = Article.objects.filter(slug=text).first()
        if article is None and text.isdigit():
            article = Article.objects.filter(pk=int(text)).first()
        if article is None:
            raise CommandError(f"No article {text!r}")
        return article
