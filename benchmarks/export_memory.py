"""Peak memory of streaming each export format at 1,000 and at 20,000 claims.

The export reads the database in chunks and writes as it goes, so its peak memory
should not grow with the number of claims: the ratio of the two peaks should stay
near 1 (a builder that holds the whole file would show about 20). Measured with
tracemalloc around the full request (view, queries, rendering) through Django's
handler, in one run, on a throw-away SQLite database (or BENCH_DATABASE_URL).

    .venv/bin/python benchmarks/export_memory.py      # or: make bench
"""

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-export-")
os.environ["DATA_DIR"] = _tmp
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{_tmp}/bench.db"
os.environ["DEBUG"] = "0"
os.environ.setdefault("DESK_URL", "http://127.0.0.1:8000/")  # required without DEBUG
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from annotations import services  # noqa: E402
from annotations.anchoring import context_around  # noqa: E402
from annotations.models import Article, Claim, Evidence, SourceLink  # noqa: E402
from annotations.services import token_issue  # noqa: E402
from tests import support  # noqa: E402

SIZES = (1_000, 20_000)
FORMATS = ("jsonl", "json", "csv", "w3c", "claimreview")
ARTICLES = 20


def fill(total: int, user: User) -> None:
    """``total`` signed-off claims with two evidence items each, spread over many articles."""
    Claim.objects.all().delete()
    seeds = list(Article.objects.filter(source_file__startswith="0"))
    articles = []
    for i in range(ARTICLES):
        seed = seeds[i % len(seeds)]
        article, _ = Article.objects.get_or_create(
            slug=f"bench-{i}",
            defaults={
                "title": f"{seed.title} #{i}",
                "body": seed.body,
                "language": seed.language,
                "content_hash": seed.content_hash,
                "source_file": f"bench-{i}.txt",
            },
        )
        articles.append(article)
    links = [
        SourceLink.objects.get_or_create(url=f"https://example.org/s/{i}")[0] for i in range(50)
    ]
    per_article = -(-total // ARTICLES)
    made = 0
    for article in articles:
        body, batch, length = article.body, [], 1
        while len(batch) < per_article and made + len(batch) < total:
            for start in range(len(body) - length):
                prefix, suffix = context_around(body, start, start + length)
                batch.append(
                    Claim(
                        article=article,
                        start=start,
                        end=start + length,
                        quote=body[start : start + length],
                        prefix=prefix,
                        suffix=suffix,
                        verdict="verified",
                        rationale="Проверено по документам",
                        created_by=user,
                        updated_by=user,
                        signed_off_by=user,
                        signed_off_at=article.created_at,
                    )
                )
                if len(batch) == per_article or made + len(batch) == total:
                    break
            length += 1
        created = Claim.objects.bulk_create(batch, batch_size=2000)
        Evidence.objects.bulk_create(
            [
                Evidence(
                    claim=claim,
                    source_link=links[(claim.pk + k) % len(links)],
                    url=links[(claim.pk + k) % len(links)].url,
                    title="Источник",
                    added_by=user,
                )
                for claim in created
                for k in range(2)
            ],
            batch_size=4000,
        )
        made += len(created)
    assert Claim.objects.count() == total, Claim.objects.count()


def export(client: Client, fmt: str) -> int:
    response = client.get(f"/api/v1/export/claims?format={fmt}", HTTP_HOST="localhost")
    assert response.status_code == 200, response.status_code
    return sum(len(part) for part in response.streaming_content)


def measure(client: Client, fmt: str) -> tuple[int, int, float]:
    """(peak traced bytes, response bytes, seconds) for one export through the handler.

    The time comes from an untraced run (tracemalloc slows Python down several times).
    """
    export(client, fmt)  # warm caches (imports, compiled regexes) before measuring
    started = time.perf_counter()
    size = export(client, fmt)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    export(client, fmt)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, elapsed


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures/articles.json"), verbosity=0)
    user = support.make_user("bench-reviewer", services.REVIEWER)
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    results: dict[str, dict[int, tuple[int, int, float]]] = {fmt: {} for fmt in FORMATS}
    for total in SIZES:
        fill(total, user)
        for fmt in FORMATS:
            results[fmt][total] = measure(client, fmt)
    small, large = SIZES
    print(f"export peak memory (tracemalloc), {small:,} vs {large:,} claims, 2 evidence each")
    print(f"{'format':<12}{'peak@1k KB':>12}{'peak@20k KB':>13}{'ratio':>8}{'rows/s@20k':>12}")
    print("(w3c: the collection embeds its first page only, W3C_PAGE_SIZE annotations)")
    worst = 0.0
    for fmt in FORMATS:
        p1, _, _ = results[fmt][small]
        p2, _, t2 = results[fmt][large]
        rows = min(large, settings.W3C_PAGE_SIZE) if fmt == "w3c" else large
        ratio = p2 / p1
        worst = max(worst, ratio)
        print(f"{fmt:<12}{p1 / 1024:>12.0f}{p2 / 1024:>13.0f}{ratio:>8.2f}{rows / t2:>12.0f}")
    print(f"worst ratio {worst:.2f} (20x the claims; 1.00 = flat, ~20 = whole file in memory)")


if __name__ == "__main__":
    main()
