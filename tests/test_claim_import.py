"""Importing claims: the round trip per format, tool formats, identity, dry runs, bad files."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from annotations import services
from annotations.models import Assessment, Claim, Comment, Evidence, HistoryEntry
from annotations.services import ImportOutcome

EXPORT = "/api/v1/export/claims"


@pytest.fixture
def desk(ru_article, uk_article, make_claim, analyst, other_analyst, reviewer):
    """Claims with assessments, evidence, comments, a sign-off; Cyrillic and an emoji."""
    ru = make_claim(
        ru_article,
        "Венесуэла просит Россию",
        verdict="disputed",
        rationale="Документы не подтверждают «просьбу» 🙂.",
    )
    services.evidence_add(
        claim=ru,
        actor=analyst,
        url="https://example.org/doc?id=1",
        title="Документ",
        excerpt="выдержка",
        note="стр. 2",
        stance="refutes",
    )
    services.evidence_add(claim=ru, actor=analyst, url="https://example.org/second")
    services.comment_add(claim=ru, author=other_analyst, body="Проверю ещё @olena")
    services.claim_sign_off(claim=ru, reviewer=reviewer)
    uk = make_claim(uk_article, "Мадуро", author=other_analyst, rationale="-1 та @ на початку")
    return [Claim.objects.get(pk=ru.pk), Claim.objects.get(pk=uk.pk)]


def export(user, fmt: str) -> bytes:
    client = APIClient()
    client.force_authenticate(user)  # a token would rotate the test's own client's
    response = client.get(f"{EXPORT}?format={fmt}")
    assert response.status_code == 200
    content = getattr(response, "streaming_content", None)
    return b"".join(content) if content is not None else response.content


CLAIM_FIELDS = (
    "article_id",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "verdict",
    "rationale",
    "created_by_id",
    "updated_by_id",
    "created_at",
    "updated_at",
    "signed_off_by_id",
    "signed_off_at",
)
EVIDENCE_FIELDS = ("url", "title", "excerpt", "note", "stance", "added_by_id", "created_at")


def snapshot(claims, *, w3c: bool = False):
    """What the round trip must give back, per claim in span order."""
    rows = []
    for claim in sorted(claims, key=lambda c: (c.article_id, c.start)):
        fields = CLAIM_FIELDS
        if w3c:  # W3C carries no sign-off, one creator, and evidence as bare links
            fields = tuple(f for f in fields if not f.startswith(("signed_off", "updated_by")))
        row = {name: getattr(claim, name) for name in fields}
        ev_fields = ("url",) if w3c else EVIDENCE_FIELDS
        row["evidence"] = [
            {name: getattr(e, name) for name in ev_fields} for e in claim.evidence.order_by("id")
        ]
        if not w3c:
            row["comments"] = [
                (c.author_id, c.body, c.created_at, sorted(m.username for m in c.mentions.all()))
                for c in Comment.objects.filter(claim=claim).order_by("id")
            ]
        rows.append(row)
    return rows


def empty_desk():
    Claim.with_deleted.all().delete()
    assert not Evidence.objects.exists() and not Comment.objects.exists()


def run(data: bytes, fmt: str, actor, **kwargs):
    return services.claims_import(stream=io.BytesIO(data), format=fmt, actor=actor, **kwargs)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "w3c"])
def test_an_export_imported_into_an_empty_desk_gives_back_the_same_claims(desk, reviewer, fmt):
    before = snapshot(desk, w3c=fmt == "w3c")
    data = export(reviewer, fmt)
    empty_desk()

    report = run(data, fmt, reviewer)

    assert report.written and report.counts["created"] == 2, report.as_dict()
    after = snapshot(Claim.objects.all(), w3c=fmt == "w3c")
    assert after == before
    for claim in Claim.objects.all():
        assert claim.external_source == "http://testserver/api/v1/"
        assert Assessment.objects.filter(claim=claim, analyst=claim.created_by).exists()
        assert HistoryEntry.objects.filter(claim=claim, action="created", actor=reviewer).exists()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "w3c"])
def test_a_second_import_updates_rather_than_duplicates(desk, reviewer, fmt):
    data = export(reviewer, fmt)
    empty_desk()
    first = run(data, fmt, reviewer)
    ids = sorted(Claim.objects.values_list("pk", flat=True))

    again = run(data, fmt, reviewer)

    assert again.counts["unchanged"] == 2 and again.counts["created"] == 0, again.as_dict()
    assert sorted(Claim.objects.values_list("pk", flat=True)) == ids
    assert first.counts["created"] == 2


def test_a_changed_record_updates_its_claim_and_records_why(desk, reviewer):
    lines = export(reviewer, "jsonl").splitlines()
    empty_desk()
    run(b"\n".join(lines), "jsonl", reviewer)
    record = json.loads(lines[1])
    record["verdict"], record["rationale"] = "verified", "Подтверждено."
    report = run(json.dumps(record).encode(), "jsonl", reviewer)
    assert report.counts["updated"] == 1
    claim = Claim.objects.get(external_id=str(record["id"]))
    assert (claim.verdict, claim.rationale, claim.version) == ("verified", "Подтверждено.", 2)
    entry = HistoryEntry.objects.filter(claim=claim, action="updated").get()
    assert entry.changes["verdict"] == ["pending", "verified"]


def test_a_dry_run_reports_and_writes_nothing(desk, reviewer):
    data = export(reviewer, "json")
    empty_desk()
    report = run(data, "json", reviewer, dry_run=True)
    assert [r.outcome for r in report.records] == [ImportOutcome.CREATED] * 2
    assert not report.written and not Claim.with_deleted.exists()


def test_a_changed_article_text_places_the_claim_elsewhere(desk, reviewer, ru_article):
    data = export(reviewer, "jsonl")
    empty_desk()
    ru_article.body = "Вставка в начале. " + ru_article.body
    ru_article.content_hash = "changed"
    ru_article.save()
    report = run(data, "jsonl", reviewer)
    moved = [r for r in report.records if r.outcome == ImportOutcome.PLACED_ELSEWHERE]
    assert len(moved) == 1 and "placed at" in moved[0].reason
    claim = Claim.objects.get(pk=moved[0].claim_id)
    assert ru_article.body[claim.start : claim.end] == claim.quote == "Венесуэла просит Россию"


def bad(desk, reviewer, data: bytes, fmt: str):
    empty_desk()
    report = run(data, fmt, reviewer)
    assert not report.written and not Claim.with_deleted.exists()
    return report


def test_not_json_is_refused_whole(desk, reviewer):
    report = bad(desk, reviewer, b"[{nope", "json")
    assert report.file_error_code == "not_json" and "not a JSON array" in report.file_error


def test_a_wrong_shape_is_refused_with_the_missing_field(desk, reviewer):
    report = bad(desk, reviewer, b'[{"id": 1}]', "json")
    assert report.records[0].outcome == ImportOutcome.REFUSED
    assert "«article» is missing" in report.records[0].reason


def refusal(desk, reviewer, edit) -> str:
    lines = export(reviewer, "jsonl").splitlines()
    record = json.loads(lines[0])
    edit(record)
    report = bad(desk, reviewer, lines[1] + b"\n" + json.dumps(record).encode(), "jsonl")
    assert report.counts["refused"] == 1 and report.counts["created"] == 1
    return report.records[1].code


def test_one_bad_record_writes_nothing_and_names_it(desk, reviewer):
    def unknown_article(r):
        r["article"] = {"slug": "nope", "source_url": "", "content_hash": "0"}

    assert refusal(desk, reviewer, unknown_article) == "import_article_unknown"


def test_a_span_past_the_text_is_refused(desk, reviewer):
    def past(r):
        r["start"], r["end"] = 10**6, 10**6 + 3

    assert refusal(desk, reviewer, past) == "end_past_body"


def test_an_unknown_user_is_refused(desk, reviewer):
    def stranger(r):
        r["created_by"] = {"id": 99, "username": "незнакомец"}

    assert refusal(desk, reviewer, stranger) == "import_user_unknown"


def test_skip_refused_writes_the_others(desk, reviewer):
    lines = export(reviewer, "jsonl").splitlines()
    empty_desk()
    report = run(lines[0] + b"\nnot json\n", "jsonl", reviewer, skip_refused=True)
    assert report.written and report.counts == {**report.counts, "created": 1, "refused": 1}
    assert Claim.objects.count() == 1


def test_only_reviewers_import(desk, analyst):
    with pytest.raises(PermissionDenied):
        run(b"[]", "json", analyst)


def label_studio_task(article, quote, label):
    start = article.body.index(quote)
    return {
        "id": 7,
        "data": {"text": article.body},
        "annotations": [
            {
                "id": 3,
                "created_at": "2026-11-01T10:00:00.000000Z",
                "result": [
                    {
                        "id": "r1",
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {
                            "start": start,
                            "end": start + len(quote),
                            "text": quote,
                            "labels": [label],
                        },
                    }
                ],
            }
        ],
    }


def test_label_studio_spans_become_claims_through_the_label_map(ru_article, reviewer):
    data = json.dumps([label_studio_task(ru_article, "Венесуэла просит Россию", "Ложь")]).encode()
    refused = run(data, "label_studio", reviewer)
    assert refused.records[0].code == "import_label_unknown" and not Claim.objects.exists()

    report = run(data, "label_studio", reviewer, label_map={"Ложь": "disputed"})
    claim = Claim.objects.get()
    assert report.counts["created"] == 1
    assert (claim.quote, claim.verdict, claim.article_id) == (
        "Венесуэла просит Россию",
        "disputed",
        ru_article.pk,
    )
    assert (claim.external_source, claim.external_id) == ("label-studio", "7/3/r1")
    assert claim.created_at.isoformat().startswith("2026-11-01T10:00:00")
    assert (
        run(data, "label_studio", reviewer, label_map={"Ложь": "disputed"}).counts["unchanged"] == 1
    )


def test_label_studio_utf16_offsets_after_an_emoji(ru_article, reviewer):
    ru_article.body = "🙂 " + ru_article.body
    ru_article.content_hash = __import__("hashlib").sha256(ru_article.body.encode()).hexdigest()
    ru_article.save()
    task = label_studio_task(ru_article, "Венесуэла просит Россию", "verified")
    task["annotations"][0]["result"][0]["value"]["start"] += 1  # JavaScript counts 🙂 twice
    task["annotations"][0]["result"][0]["value"]["end"] += 1
    report = run(json.dumps([task]).encode(), "label_studio", reviewer)
    assert report.counts["created"] == 1, report.as_dict()
    assert Claim.objects.get().quote == "Венесуэла просит Россию"


def test_doccano_jsonl_both_shapes(ru_article, reviewer):
    start, end = ru_article.body.index("Россию"), ru_article.body.index("Россию") + 6
    lines = [
        {"id": 1, "text": ru_article.body, "label": [[start, end, "FALSE"]]},
        {
            "id": 2,
            "text": ru_article.body,
            "entities": [{"id": 9, "start_offset": 0, "end_offset": 5, "label": "TRUE"}],
        },
    ]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    report = run(data, "doccano", reviewer, label_map={"FALSE": "disputed", "TRUE": "verified"})
    assert report.counts["created"] == 2, report.as_dict()
    assert sorted(Claim.objects.values_list("verdict", flat=True)) == ["disputed", "verified"]


def test_doccano_span_out_of_range(ru_article, reviewer):
    data = json.dumps({"text": "короткий", "label": [[0, 50, "X"]]}).encode()
    report = run(data, "doccano", reviewer, article=ru_article, label_map={"X": "verified"})
    assert report.records[0].code == "end_past_body" and not Claim.objects.exists()


def test_the_command_reports_and_refuses(desk, reviewer, tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_bytes(export(reviewer, "jsonl"))
    empty_desk()
    out = io.StringIO()
    call_command("import_claims", str(path), "--dry-run", "--user", reviewer.username, stdout=out)
    assert "2 created" in out.getvalue() and "dry run" in out.getvalue()
    assert not Claim.objects.exists()
    call_command("import_claims", str(path), "--user", reviewer.username, stdout=out)
    assert Claim.objects.count() == 2
    path.write_bytes(b"{broken\n")
    with pytest.raises(CommandError, match="refused"):
        call_command("import_claims", str(path), "--user", reviewer.username, stdout=out)


def test_a_single_w3c_annotation_and_a_page_import(desk, reviewer):
    collection = json.loads(export(reviewer, "w3c"))
    items = collection["first"]["items"]
    page = {"@context": collection["@context"], "type": "AnnotationPage", "items": items[:1]}
    empty_desk()
    single = run(json.dumps(items[1], ensure_ascii=False).encode(), "w3c", reviewer)
    paged = run(json.dumps(page, ensure_ascii=False).encode(), "w3c", reviewer)
    assert (single.counts["created"], paged.counts["created"]) == (1, 1)
    assert sorted(Claim.objects.values_list("quote", flat=True)) == sorted(
        [items[0]["target"]["selector"][0]["exact"], items[1]["target"]["selector"][0]["exact"]]
    )


def test_w3c_tolerates_additions_and_places_by_quote_when_positions_are_stale(desk, reviewer):
    collection = json.loads(export(reviewer, "w3c"))
    for item in collection["first"]["items"]:
        item["target"]["state"] = {"type": "HttpRequestState", "value": "Accept: text/plain"}
        item["target"]["selector"][1]["start"] += 3  # stale positions
        item["target"]["selector"][1]["end"] += 3
        item["body"].append({"type": "TextualBody", "purpose": "tagging", "value": "новое"})
    collection["x-future"] = {"anything": [1, 2, 3]}
    before = snapshot(desk, w3c=True)
    empty_desk()
    report = run(json.dumps(collection).encode(), "w3c", reviewer)
    assert report.counts["placed_elsewhere"] == 2, report.as_dict()
    assert snapshot(Claim.objects.all(), w3c=True) == before


def test_an_empty_collection_imports_nothing_and_a_thing_is_refused(reviewer, seeds):
    empty = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection"}
    assert run(json.dumps({**empty, "total": 0}).encode(), "w3c", reviewer).written
    report = run(b'{"type": "Thing"}', "w3c", reviewer)
    assert report.file_error_code == "wrong_shape"


def test_spans_stay_unique_when_the_caches_are_dropped_between_chunks(
    desk, reviewer, settings, monkeypatch
):
    from annotations.services import claim_import

    settings.IMPORT_CHUNK_SIZE = 1
    monkeypatch.setattr(claim_import, "CACHED_ARTICLES", 0)
    lines = export(reviewer, "jsonl").splitlines()
    twice = json.loads(lines[0])
    twice["id"] = 10**6  # another claim on the same span
    twice["url"] = f"http://testserver/api/v1/claims/{10**6}/"
    empty_desk()
    data = lines[0] + b"\n" + lines[1] + b"\n" + json.dumps(twice).encode()
    report = run(data, "jsonl", reviewer)
    assert report.records[2].code == "duplicate_span" and not Claim.objects.exists()


def records_over_articles(articles, reviewer, analyst, count: int) -> bytes:
    """``count`` jsonl records in the export's shape, one article after another, each with two
    evidence items, an assessment and a comment mentioning a desk member."""
    lines = []
    for i in range(count):
        article = articles[i % len(articles)]
        start = i // len(articles)
        end = start + 12
        lines.append(
            json.dumps(
                {
                    "id": 5000 + i,
                    "url": f"http://elsewhere.example/api/v1/claims/{5000 + i}/",
                    "article": {"slug": article.slug, "content_hash": article.content_hash},
                    "start": start,
                    "end": end,
                    "quote": article.body[start:end],
                    "verdict": "disputed",
                    "rationale": "Почему 🙂",
                    "created_by": {"username": analyst.username},
                    "created_at": "2026-01-02T03:04:05+00:00",
                    "evidence": [
                        {"url": f"https://example.org/count/{j}", "stance": "refutes"}
                        for j in range(2)
                    ],
                    "comments": [{"author": reviewer.username, "body": "Да", "mentions": []}],
                    "assessments": [{"analyst": analyst.username, "verdict": "disputed"}],
                }
            )
        )
    return "\n".join(lines).encode()


@pytest.mark.parametrize("count", [3, 40])
def test_one_chunk_runs_the_same_queries_whatever_its_records(
    seeds, reviewer, analyst, count, django_assert_num_queries
):
    from annotations.models import Article

    articles = [
        Article.objects.create(
            slug=f"count-{i}",
            title=f"Статья {i}",
            body=f"Текст номер {i}: " + seeds["ru"].body,
            language="ru",
            content_hash=f"count-{i}",
            source_file=f"count-{i}.txt",
        )
        for i in range(40)
    ]
    data = records_over_articles(articles, reviewer, analyst, count)
    # The importer's groups; users, articles, their spans, existing claims; claims,
    # assessments; links (creating the new ones and requesting their checks: 6); evidence,
    # comments, history; two savepoints.
    with django_assert_num_queries(19):
        report = run(data, "jsonl", reviewer)
    assert report.counts["created"] == count and Evidence.objects.count() == 2 * count
    # Again: all unchanged; the existing claims and what they have, per chunk.
    with django_assert_num_queries(8):
        report = run(data, "jsonl", reviewer)
    assert report.counts["unchanged"] == count
