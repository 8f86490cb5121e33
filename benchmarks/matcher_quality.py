"""Same-claim matcher quality on the hand-built gold set (benchmarks/data/match_gold.json).

Loads the seed articles into a throw-away database (SQLite, or DATABASE_URL), indexes them,
and asks ``claim_matches`` for every gold passage as a claim. Reports, per half of the gold
set (``tune``: used to choose the weights and the threshold; ``held-out``: not) and overall:

- top-1 / top-3: the first (first three) suggestions include a counterpart passage (a
  suggestion counts when it overlaps a counterpart by at least half of the counterpart);
- silent: the share of no-counterpart passages with no suggestion above the threshold.

Every miss is printed with what was suggested, so what the misses share can be read off.

    .venv/bin/python benchmarks/matcher_quality.py [--threshold 0.3] [--sweep]
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "benchmarks" / "data" / "match_gold.json"
TARGETS = {"top1": 0.75, "top3": 0.90, "silent": 0.80}


def setup() -> None:
    data = tempfile.mkdtemp(prefix="bench-match-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data}/db.sqlite3")
    os.environ.update(DATA_DIR=data, DEBUG="0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures" / "articles.json"), verbosity=0)
    call_command("rebuild_passages", verbosity=0)


def hits(suggestions: list[Any], counterparts: list[dict[str, Any]]) -> list[bool]:
    """For each suggestion: does it overlap a counterpart by half of that counterpart?"""
    out = []
    for s in suggestions:
        ok = False
        for c in counterparts:
            overlap = min(s.end, c["end"]) - max(s.start, c["start"])
            ok = ok or overlap * 2 >= c["end"] - c["start"]
        out.append(ok)
    return out


def evaluate(gold: dict[str, Any], threshold: float, *, verbose: bool) -> dict[str, Any]:
    from django.conf import settings

    from annotations.matching import claim_matches
    from annotations.models import Article, Claim

    settings.MATCH_THRESHOLD = threshold
    articles = {a.source_file: a for a in Article.objects.all()}

    def suggest(query: dict[str, Any]) -> list[Any]:
        article = articles[query["article"]]
        assert article.body[query["start"] : query["end"]] == query["text"], query
        claim = Claim(article=article, start=query["start"], end=query["end"], quote=query["text"])
        return claim_matches(claim, limit=3)

    result: dict[str, Any] = {}
    for half in ("tune", "held-out", "all"):
        pairs = [p for p in gold["pairs"] if half in ("all", p["half"])]
        nones = [n for n in gold["no_counterpart"] if half in ("all", n["half"])]
        top1 = top3 = silent = 0
        misses = []
        for pair in pairs:
            found = suggest(pair["query"])
            marks = hits(found, pair["counterparts"])
            top1 += bool(marks[:1] and marks[0])
            top3 += any(marks[:3])
            if not (marks[:1] and marks[0]):
                misses.append(("pair", pair, found))
        for none in nones:
            found = suggest(none["query"])
            silent += not found
            if found:
                misses.append(("no counterpart", none, found))
        result[half] = {
            "pairs": len(pairs),
            "no_counterpart": len(nones),
            "top1": top1 / len(pairs),
            "top3": top3 / len(pairs),
            "silent": silent / len(nones),
            "misses": misses,
        }
    if verbose:
        for half, r in result.items():
            print(
                f"{half:9} pairs {r['pairs']:2}  top-1 {r['top1']:.0%}  top-3 {r['top3']:.0%}  "
                f"no-counterpart {r['no_counterpart']:2}  silent {r['silent']:.0%}"
            )
        print("\nMisses (all):")
        for kind, item, found in result["all"]["misses"]:
            print(f"- {kind} {item['id']} [{item['half']}]: {item['query']['text'][:90]}")
            for s in found:
                print(f"    {s.score:.3f} {s.quote[:90]}")
            if not found:
                print("    (no suggestion above the threshold)")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--sweep", action="store_true", help="metrics over thresholds")
    args = parser.parse_args()
    setup()
    from django.conf import settings

    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    if args.sweep:
        for step in range(10, 61, 2):
            t = step / 100
            r = evaluate(gold, t, verbose=False)
            line = "  ".join(
                f"{h}: {r[h]['top1']:.0%}/{r[h]['top3']:.0%}/{r[h]['silent']:.0%}"
                for h in ("tune", "held-out")
            )
            print(f"threshold {t:.2f}  top-1/top-3/silent  {line}")
        return 0
    threshold = settings.MATCH_THRESHOLD if args.threshold is None else args.threshold
    print(f"encoder {settings.MATCH_ENCODER}, threshold {threshold}\n")
    r = evaluate(gold, threshold, verbose=True)["all"]
    met = all(r[name] >= target for name, target in TARGETS.items())
    print("\ntargets (top-1 >= 75%, top-3 >= 90%, silent >= 80%):", "met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
