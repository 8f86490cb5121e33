"""Recording one assessment through the API against today's claim update, same run.

``PUT /api/v1/claims/{id}/assessment/`` {verdict} (the annotator's verdict keys) against
``PATCH /api/v1/claims/{id}/`` {verdict} (the claim update as it was before the desk), each
200 times through Django's full handler with a token and If-Match, interleaved so that both
see the same database state. Every request changes a verdict on a claim of a desk that
holds CLAIMS claims with two assessments each. The target of issue 10: no slower.

Run on PostgreSQL (the figure that counts) with a throw-away database:

    createdb -h 127.0.0.1 -U postgres wb_bench_assess
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wb_bench_assess \\
        .venv/bin/python benchmarks/assessment_write.py

Without BENCH_DATABASE_URL it runs on a temporary SQLite file.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-assess-")
os.environ["DATA_DIR"] = _tmp
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{_tmp}/bench.db"
os.environ["DEBUG"] = "0"
os.environ.setdefault("DESK_URL", "http://127.0.0.1:8000/")  # required without DEBUG
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from annotations import services  # noqa: E402
from annotations.anchoring import context_around  # noqa: E402
from annotations.models import Article, Assessment, Claim  # noqa: E402
from annotations.services import token_issue  # noqa: E402
from tests import support  # noqa: E402

RUNS = 200
CLAIMS = 5_000
VERDICTS = ("verified", "disputed")


def fill(analyst: User, other: User) -> list[Claim]:
    """CLAIMS claims on the seed articles' copies, each assessed by both analysts (agreeing)."""
    Claim.with_deleted.all().delete()
    seed = Article.objects.filter(source_file__startswith="0").first()
    assert seed is not None, "the seed articles are missing"
    body, claims, length, copy = seed.body, [], 1, 0
    while len(claims) < CLAIMS:
        article, _ = Article.objects.get_or_create(
            slug=f"bench-assess-{copy}",
            defaults={
                "title": f"{seed.title} #{copy}",
                "body": body,
                "language": seed.language,
                "content_hash": seed.content_hash,
                "source_file": f"bench-assess-{copy}.txt",
            },
        )
        for start in range(len(body) - length):
            prefix, suffix = context_around(body, start, start + length)
            claims.append(
                Claim(
                    article=article,
                    start=start,
                    end=start + length,
                    quote=body[start : start + length],
                    prefix=prefix,
                    suffix=suffix,
                    verdict="pending",
                    created_by=analyst,
                    updated_by=analyst,
                )
            )
            if len(claims) == CLAIMS:
                break
        length += 1
        if length > 3:
            length, copy = 1, copy + 1
    made = Claim.objects.bulk_create(claims, batch_size=2000)
    Assessment.objects.bulk_create(
        [Assessment(claim=c, analyst=who) for c in made for who in (analyst, other)],
        batch_size=4000,
    )
    return made


def timed(client: Client, method: str, path: str, body: dict, version: int) -> tuple[float, int]:
    started = time.perf_counter()
    response = getattr(client, method)(
        path,
        body,
        content_type="application/json",
        HTTP_IF_MATCH=f'"{version}"',
        HTTP_HOST="localhost",
    )
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 201), (
        method,
        path,
        response.status_code,
        response.content,
    )
    return elapsed, int(response["ETag"].strip('"'))


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures/articles.json"), verbosity=0)
    Claim.with_deleted.all().delete()  # a run before this one
    User.objects.filter(username__startswith="bench-analyst").delete()
    analyst = support.make_user("bench-analyst", services.ANALYST)
    other = support.make_user("bench-analyst-2", services.ANALYST)
    claims = fill(analyst, other)
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=analyst, rotate=True)}")
    patch_times, put_times = [], []
    # Warm both paths (imports, the token cache, prepared plans) on claims not measured.
    for claim in claims[-4:-2]:
        timed(client, "patch", f"/api/v1/claims/{claim.pk}/", {"verdict": "verified"}, 1)
    for claim in claims[-2:]:
        timed(client, "put", f"/api/v1/claims/{claim.pk}/assessment/", {"verdict": "verified"}, 1)
    claim_versions = {c.pk: c.version for c in claims}
    assessment_versions = {c.pk: 1 for c in claims}
    for i in range(RUNS):
        verdict = VERDICTS[i % 2]
        patched, assessed = claims[2 * (i % 50)], claims[2 * (i % 50) + 1]
        elapsed, claim_versions[patched.pk] = timed(
            client,
            "patch",
            f"/api/v1/claims/{patched.pk}/",
            {"verdict": verdict},
            claim_versions[patched.pk],
        )
        patch_times.append(elapsed)
        elapsed, assessment_versions[assessed.pk] = timed(
            client,
            "put",
            f"/api/v1/claims/{assessed.pk}/assessment/",
            {"verdict": verdict},
            assessment_versions[assessed.pk],
        )
        put_times.append(elapsed)
    patch_ms = statistics.median(patch_times) * 1000
    put_ms = statistics.median(put_times) * 1000
    print(
        f"{connection.vendor}: {CLAIMS:,} claims x 2 assessments; median of {RUNS} each, "
        "interleaved, through the full handler"
    )
    print(f"PATCH /claims/{{id}}/ verdict (reference)   {patch_ms:8.2f} ms")
    print(f"PUT /claims/{{id}}/assessment/ verdict      {put_ms:8.2f} ms")
    print(f"ratio assessment / claim update            {put_ms / patch_ms:8.2f} (target <= 1)")


if __name__ == "__main__":
    main()
