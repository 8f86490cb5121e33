"""Adding 1,000 articles through the API, against the importer and the bare insert, same run.

``POST /api/v1/articles/`` {text} through Django's full handler with a reviewer's token:
each request cleans the text (the importer's pipeline), detects its language (lingua) and
writes the article. Two references on the same 1,000 texts, measured in the same run:

- ``import_article`` (what ``manage.py import_articles`` does per file, without HTTP);
- the floor: ``Article.objects.create`` of the already cleaned text (no cleaning, no
  language detection, no identity lookup).

The texts are the two seed articles with a numbered first paragraph, so each is a new
article (about 4,000 characters of Russian or Ukrainian news each). Then the same 1,000 texts
are posted again, which updates the articles (no duplicates: the count is checked).

    createdb -h 127.0.0.1 -U postgres wb_bench_add
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wb_bench_add \\
        .venv/bin/python benchmarks/add_articles.py

Without BENCH_DATABASE_URL it runs on a temporary SQLite file.
"""

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-add-")
os.environ["DATA_DIR"] = _tmp
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{_tmp}/bench.db"
os.environ["DEBUG"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from annotations.importing import import_article, parse_text  # noqa: E402
from annotations.models import Article  # noqa: E402
from annotations.services import token_issue  # noqa: E402
from tests import support  # noqa: E402

N = int(os.environ.get("BENCH_ARTICLES", "1000"))
SEEDS = sorted((ROOT / "fixtures" / "seeds").glob("*.txt"))


def texts(tag: str) -> list[str]:
    seeds = [path.read_text(encoding="utf-8") for path in SEEDS]
    return [
        f"Выпуск {tag} № {i}: заголовок статьи номер {i}\n\n{seeds[i % 2]}\n\nКонец {tag} {i}."
        for i in range(N)
    ]


def rate(label: str, seconds: float) -> float:
    per_second = N / seconds
    print(f"{label:<48} {seconds:7.2f} s  {per_second:8.1f} articles/s")
    return per_second


def main() -> None:
    call_command("migrate", verbosity=0)
    Article.objects.all().delete()
    User.objects.filter(username=support.CAST["reviewer"].username).delete()
    reviewer = support.cast_user("reviewer")
    token = token_issue(user=reviewer, rotate=True)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost", secure=True)
    print(f"{connection.vendor}, {N} articles\n")

    api_texts = texts("api")
    client.post("/api/v1/articles/", {"text": "Прогрев\n\nПервый запрос."}, "application/json")
    Article.objects.all().delete()  # the first request loads lingua's models: not counted
    started = time.perf_counter()
    for text in api_texts:
        response = client.post("/api/v1/articles/", {"text": text}, "application/json")
        assert response.status_code == 201, response.content[:300]
    api = rate("POST /api/v1/articles/ {text} (new)", time.perf_counter() - started)
    assert Article.objects.count() == N

    started = time.perf_counter()
    for text in api_texts:
        response = client.post("/api/v1/articles/", {"text": text}, "application/json")
        assert response.status_code == 200, response.content[:300]
    again = rate("the same texts again (updates, no duplicates)", time.perf_counter() - started)
    assert Article.objects.count() == N

    started = time.perf_counter()
    for i, text in enumerate(texts("import")):
        import_article(text.encode(), filename=f"bench-{i}.txt")
    imported = rate("import_article (the importer, no HTTP)", time.perf_counter() - started)

    cleaned = [parse_text(text, filename="x") for text in texts("floor")]
    started = time.perf_counter()
    for i, parsed in enumerate(cleaned):
        Article.objects.create(
            title=parsed.title,
            slug=f"floor-{i}",
            body=parsed.body,
            language=parsed.language,
            content_hash=hashlib.sha256(parsed.body.encode()).hexdigest(),
            source_file=f"floor-{i}.txt",
        )
    floor = rate("Article.objects.create (floor)", time.perf_counter() - started)

    print(
        f"\nAPI / importer: {api / imported:.2f}   API / floor: {api / floor:.2f}   "
        f"update / new: {again / api:.2f}"
    )


if __name__ == "__main__":
    main()
