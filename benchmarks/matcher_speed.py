"""Same-claim suggestions among the sentences of 100,000 articles, on PostgreSQL.

Fills its own database: the two seed articles through the real importer (so their passages,
keys and term counts are the matcher's own), then BENCH_ARTICLES synthetic articles
(default 100,000) of PASSAGES sentences each, bulk-loaded with COPY. A synthetic sentence's
key is drawn from the seed vocabulary (lemmas, names and numbers in their seed frequencies)
mixed with a Zipf-distributed long tail of made-up lemmas and names, as a news archive's
vocabulary is: a few words everywhere, most words rare. Their bodies are filler (the
lexical scorer reads keys, and only the returned passages' text is shown).

Then, for every passage of the gold set (benchmarks/data/match_gold.json) as a claim, times
``claim_matches`` (what the API answers with) against the reference measured in the same
run: the bare index query alone (the same tsquery, ts_rank, LIMIT), interleaved, median of
all runs. Target: median < 200 ms.

    .venv/bin/python benchmarks/matcher_speed.py

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/wb_matcher;
the database is dropped and recreated; BENCH_REUSE=1 times again on the last run's fill).
Without it the script says so and exits 0.
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import support  # noqa: E402

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wb_matcher")
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "100000"))
PASSAGES = int(os.environ.get("BENCH_PASSAGES", "20"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TAIL_LEMMAS, TAIL_NAMES = 80_000, 10_000
TARGET_MS = 200
CONSONANTS = "бвгджклмнпрстфхцчшщ"


def recreate_database() -> bool:
    import psycopg

    parts = urlsplit(DB_URL)
    name = parts.path.lstrip("/")
    try:
        with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is not reachable ({exc}); nothing measured.")
        return False
    return True


def setup_django() -> None:
    os.environ.update(DATA_DIR=tempfile.mkdtemp(prefix="bench-matcher-"), DATABASE_URL=DB_URL)
    os.environ.update(DEBUG="0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    support.database_defaults()  # hand-written INSERTs meet new columns' defaults


def import_seeds() -> None:
    from annotations.importing import import_article_file

    for path in sorted((ROOT / "fixtures" / "seeds").glob("*.txt")):
        import_article_file(path)


def vocabulary() -> dict[str, tuple[list[str], list[float]]]:
    """Pools of (tokens, cumulative weights): seed lemmas, names and numbers by their seed
    frequency; a long tail of made-up lemmas and names by Zipf's law."""
    from annotations.matching.text import Features
    from annotations.models import Passage

    seed: dict[str, Counter[str]] = {"lemmas": Counter(), "names": Counter(), "numbers": Counter()}
    for key in Passage.objects.values_list("key", flat=True):
        features = Features.from_key(key)
        seed["lemmas"].update(features.lemmas)
        seed["names"].update(features.names)
        seed["numbers"].update(features.numbers)
    rng = random.Random(13)

    def made_up(prefix: str, letters: str, n: int) -> list[str]:
        words: set[str] = set()
        while len(words) < n:
            words.add(prefix + "".join(rng.choices(letters, k=rng.randint(3, 7))))
        return sorted(words)

    def cumulative(weights: list[float]) -> list[float]:
        total, out = 0.0, []
        for w in weights:
            total += w
            out.append(total)
        return out

    pools = {}
    for name, counter in seed.items():
        tokens = sorted(counter)
        pools["seed_" + name] = (tokens, cumulative([counter[t] for t in tokens]))
    for name, words in (
        ("tail_lemmas", made_up("", CONSONANTS, TAIL_LEMMAS)),
        ("tail_names", made_up("0q", "bcdfghklmnprstvz", TAIL_NAMES)),
    ):
        rng.shuffle(words)
        pools[name] = (words, cumulative([1 / rank for rank in range(1, len(words) + 1)]))
    return pools


# Where a synthetic sentence's tokens come from, and how often.
MIX = [
    ("seed_lemmas", 0.30),
    ("tail_lemmas", 0.50),
    ("seed_names", 0.06),
    ("tail_names", 0.09),
    ("seed_numbers", 0.05),
]


def fill(pools: dict[str, tuple[list[str], list[float]]]) -> dict[str, float]:
    """COPY the synthetic articles and passages; rebuild the GIN index after; count terms."""
    from django.db import connection

    from annotations.matching.schema import TOTAL, add_term_counts

    rng = random.Random(2026)
    sources = [name for name, _ in MIX]
    shares = [share for _, share in MIX]
    timings = {}
    started = time.perf_counter()
    sentence = "Синтетичне речення про події дня, число {n}."
    counts: Counter[str] = Counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM annotations_article")
        first_id = cursor.fetchone()[0] + 1
        cursor.execute("DROP INDEX annotations_passage_search")
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY annotations_article (id, title, slug, body, language, source_name, "
            "source_url, published_on, content_hash, source_file, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            for i in range(ARTICLES):
                pk = first_id + i
                body = " ".join(sentence.format(n=n) for n in range(PASSAGES))
                copy.write_row(
                    (
                        pk,
                        f"Synthetic {pk}",
                        f"synthetic-{pk}",
                        body,
                        "uk" if i % 2 else "ru",
                        "bench",
                        "",
                        None,
                        f"{pk:064x}",
                        f"synthetic-{pk}.txt",
                        "2026-12-03T00:00:00Z",
                        "2026-12-03T00:00:00Z",
                    )
                )
        timings["COPY articles (s)"] = time.perf_counter() - started
        started = time.perf_counter()
        with raw.cursor().copy(
            'COPY annotations_passage (article_id, start, "end", key) FROM STDIN'
        ) as copy:
            for i in range(ARTICLES):
                offset = 0
                for n in range(PASSAGES):
                    text = sentence.format(n=n)
                    picks = rng.choices(sources, weights=shares, k=rng.randint(8, 16))
                    tokens = {rng.choices(pools[p][0], cum_weights=pools[p][1])[0] for p in picks}
                    copy.write_row((first_id + i, offset, offset + len(text), " ".join(tokens)))
                    counts.update(tokens)
                    offset += len(text) + 1
            counts[TOTAL] += ARTICLES * PASSAGES
        timings["COPY passages (s)"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(
            "CREATE INDEX annotations_passage_search ON annotations_passage USING gin (search)"
        )
        cursor.execute("ANALYZE annotations_passage")
        cursor.execute("ANALYZE annotations_article")
        timings["GIN index and ANALYZE (s)"] = time.perf_counter() - started
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('annotations_article', 'id'), "
            "(SELECT max(id) FROM annotations_article))"
        )
    add_term_counts(connection, counts)
    return timings


def gold_claims() -> list[Any]:
    from annotations.models import Article, Claim

    gold = json.loads((ROOT / "benchmarks" / "data" / "match_gold.json").read_text("utf-8"))
    articles = {a.source_file: a for a in Article.objects.filter(source_file__endswith=".txt")}
    claims = []
    for item in gold["pairs"] + gold["no_counterpart"]:
        q = item["query"]
        article = articles[q["article"]]
        claims.append(Claim(article=article, start=q["start"], end=q["end"], quote=q["text"]))
    return claims


def main() -> int:
    reuse = os.environ.get("BENCH_REUSE") == "1"  # time again on the database filled last run
    if not reuse and not recreate_database():
        return 0
    setup_django()
    from django.conf import settings
    from django.db import connection

    from annotations.matching import claim_matches, passage_key
    from annotations.matching.index import query_terms, query_text

    started = time.perf_counter()
    timings = {}
    if not reuse:
        import_seeds()
        timings = fill(vocabulary())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM annotations_passage")
        passages = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('annotations_passage_search'))")
        index_size = cursor.fetchone()[0]
    print(f"{ARTICLES:,} synthetic articles, {passages:,} passages, GIN index {index_size}")
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.1f}")
    print(f"  fill in all: {time.perf_counter() - started:.1f} s")

    claims = gold_claims()

    def bare(claim: Any) -> None:
        """The reference: the index query alone, with the terms already chosen."""
        query = query_text(bare_terms[claim.start, claim.article.pk], "postgresql")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.id, p.article_id, p.start, p.end, p.key FROM annotations_passage p, "
                "to_tsquery('simple', %s) q WHERE p.search @@ q AND p.article_id <> %s "
                "ORDER BY ts_rank(p.search, q) DESC, p.id LIMIT %s",
                [query, claim.article.pk, settings.MATCH_CANDIDATES],
            )
            cursor.fetchall()

    bare_terms = {
        (c.start, c.article.pk): query_terms(
            passage_key(c.quote, c.article.language), limit=settings.MATCH_QUERY_TERMS
        )
        for c in claims
    }
    for claim in claims:  # warm-up: dictionaries, caches, plans
        claim_matches(claim)
        bare(claim)
    full_ms, bare_ms, found = [], [], []
    for _ in range(RUNS):
        for claim in claims:
            t = time.perf_counter()
            found.append(len(claim_matches(claim)))
            full_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            bare(claim)
            bare_ms.append((time.perf_counter() - t) * 1000)

    def p90(values: list[float]) -> float:
        return statistics.quantiles(values, n=10)[-1]

    full, ref = statistics.median(full_ms), statistics.median(bare_ms)
    print(f"\n{len(claims)} gold claims x {RUNS} runs, interleaved (load {os.getloadavg()[0]:.1f})")
    print(
        f"  claim_matches        median {full:7.1f} ms  p90 {p90(full_ms):7.1f}"
        f"  max {max(full_ms):.1f}"
    )
    print(f"  bare index query     median {ref:7.1f} ms  p90 {p90(bare_ms):7.1f}")
    print(f"  ratio claim_matches / bare index query: {full / ref:.2f}")
    print(f"  suggestions per claim: median {statistics.median(found)}")
    print(f"  target < {TARGET_MS} ms median: {'met' if full < TARGET_MS else 'NOT met'}")
    slowest = max(range(len(claims)), key=lambda i: full_ms[i])
    claim = claims[slowest % len(claims)]
    query = query_text(bare_terms[claim.start, claim.article.pk], "postgresql")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT p.id FROM annotations_passage p, "
            "to_tsquery('simple', %s) q WHERE p.search @@ q AND p.article_id <> %s "
            "ORDER BY ts_rank(p.search, q) DESC, p.id LIMIT 50",
            [query, claim.article.pk],
        )
        print("\nEXPLAIN of the slowest claim's index query:")
        for (line,) in cursor.fetchall():
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
