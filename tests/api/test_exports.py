"""Each export format, field by field, on the seed articles' Cyrillic text; streaming; queries."""

import csv
import hashlib
import io
import json

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.exports.claimreview import CLAIMREVIEW_RATINGS
from annotations.exports.records import CSV_COLUMNS
from annotations.models import Claim
from tests.api.conftest import bulk_claims
from tests.conftest import span_of

EXPORT = "/api/v1/export/claims"


def fetch(client, query: str) -> tuple[StreamingHttpResponse, bytes]:
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return response, b"".join(response.streaming_content)


@pytest.fixture
def desk(ru_article, uk_article, make_claim, analyst, other_analyst, reviewer):
    ru = make_claim(
        ru_article,
        "Венесуэла просит Россию",
        verdict="disputed",
        rationale="Документы не подтверждают «просьбу».",
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
    services.claim_sign_off(claim=ru, reviewer=reviewer)
    uk = make_claim(uk_article, "Мадуро", author=other_analyst, rationale="=1+1 формула")
    ru.refresh_from_db()
    uk.refresh_from_db()
    return {"ru": ru, "uk": uk}


def iso(dt):
    text = dt.isoformat()
    return text.replace("+00:00", "Z")


def check_record(record, claim):
    article = claim.article
    assert record["id"] == claim.pk
    assert record["url"] == f"http://testserver/api/v1/claims/{claim.pk}/"
    assert record["article"] == {
        "id": article.pk,
        "slug": article.slug,
        "title": article.title,
        "language": article.language,
        "url": f"http://testserver/api/v1/articles/{article.pk}/",
        "source_name": article.source_name,
        "source_url": article.source_url,
        "published_on": article.published_on.isoformat() if article.published_on else None,
        "content_hash": article.content_hash,
    }
    assert (record["start"], record["end"]) == (claim.start, claim.end)
    assert record["quote"] == article.body[claim.start : claim.end] == claim.quote
    assert record["prefix"] == claim.prefix and record["suffix"] == claim.suffix
    assert record["verdict"] == claim.verdict
    assert record["rationale"] == claim.rationale
    assert record["version"] == claim.version
    assert record["is_orphaned"] is False
    assert record["created_by"] == {
        "id": claim.created_by_id,
        "username": claim.created_by.username,
    }
    assert record["updated_by"] == {
        "id": claim.updated_by_id,
        "username": claim.updated_by.username,
    }
    assert record["created_at"] == iso(claim.created_at)
    assert record["updated_at"] == iso(claim.updated_at)
    assert record["signed_off"] is claim.is_signed_off
    if claim.is_signed_off:
        assert record["signed_off_by"]["id"] == claim.signed_off_by_id
        assert record["signed_off_at"] == iso(claim.signed_off_at)
    else:
        assert record["signed_off_by"] is None and record["signed_off_at"] is None
    evidence = list(claim.evidence.order_by("created_at", "id"))
    assert [e["id"] for e in record["evidence"]] == [e.pk for e in evidence]
    for item, ev in zip(record["evidence"], evidence, strict=True):
        assert item["url"] == ev.url and item["title"] == ev.title
        assert item["excerpt"] == ev.excerpt and item["note"] == ev.note
        assert item["stance"] == ev.stance
        assert item["added_by"]["id"] == ev.added_by_id
        assert item["link"]["url"] == ev.source_link.url
        assert item["link"]["outcome"] == ev.source_link.outcome
        assert set(item["link"]) >= {"id", "url", "outcome", "http_status", "final_url"}


def test_json(reviewer_api, desk):
    response, content = fetch(reviewer_api, "format=json")
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    records = json.loads(content)
    assert [r["id"] for r in records] == [desk["ru"].pk, desk["uk"].pk]
    for record in records:
        check_record(record, Claim.objects.get(pk=record["id"]))
    assert "Венесуэла просит Россию".encode() in content  # not \u-escaped


def test_jsonl(reviewer_api, desk):
    response, content = fetch(reviewer_api, "format=jsonl")
    assert response["Content-Type"] == "application/x-ndjson"
    lines = content.decode("utf-8").split("\n")
    assert lines[-1] == ""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 2
    for record in records:
        check_record(record, Claim.objects.get(pk=record["id"]))
    _, as_json = fetch(reviewer_api, "format=json")
    assert records == json.loads(as_json)


def test_json_signed_off_only(reviewer_api, desk):
    _, content = fetch(reviewer_api, "format=json&signed_off=true")
    assert [r["id"] for r in json.loads(content)] == [desk["ru"].pk]


def test_empty_exports_are_valid(reviewer_api, seeds):
    assert json.loads(fetch(reviewer_api, "format=json")[1]) == []
    assert fetch(reviewer_api, "format=jsonl")[1] == b""
    assert json.loads(fetch(reviewer_api, "format=claimreview")[1]) == []
    collection = json.loads(fetch(reviewer_api, "format=w3c")[1])
    assert collection["total"] == 0 and "first" not in collection


@pytest.mark.parametrize("bom", [False, True])
def test_csv(reviewer_api, desk, bom):
    response, content = fetch(reviewer_api, "format=csv" + ("&bom=1" if bom else ""))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert content.startswith(b"\xef\xbb\xbf") is bom
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 3
    by_id = {int(row[0]): dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    ru, uk = desk["ru"], desk["uk"]
    row = by_id[ru.pk]
    assert row["quote"] == "Венесуэла просит Россию"
    assert row["article_title"] == ru.article.title
    assert row["article_language"] == "ru"
    assert (row["start"], row["end"]) == (str(ru.start), str(ru.end))
    assert row["prefix"] == ru.prefix and row["suffix"] == ru.suffix
    assert row["verdict"] == "disputed"
    assert row["rationale"] == "Документы не подтверждают «просьбу»."
    assert row["created_by"] == "olena" and row["signed_off_by"] == "iryna"
    assert row["signed_off_at"] == iso(ru.signed_off_at)
    assert row["evidence_count"] == "2"
    assert row["evidence_urls"].split(" ") == [
        "https://example.org/doc?id=1",
        "https://example.org/second",
    ]
    assert row["evidence_stances"] == "refutes supports"
    assert row["link_outcomes"] == "pending pending"
    other = by_id[uk.pk]
    assert other["quote"] == "Мадуро" and other["article_language"] == "uk"
    assert other["signed_off_by"] == "" and other["evidence_urls"] == ""
    # The default (csv=raw) is lossless: a leading "=" stays as it is (see test_csv_modes).
    assert other["rationale"] == "=1+1 формула"


def test_w3c_collection(reviewer_api, desk):
    response, content = fetch(reviewer_api, "format=w3c")
    assert response["Content-Type"].startswith("application/ld+json")
    collection = json.loads(content)
    assert collection["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert collection["type"] == "AnnotationCollection"
    assert collection["id"] == "http://testserver/api/v1/export/claims?format=w3c"
    assert collection["total"] == 2
    assert collection["last"] == collection["id"] + "&after=0&start=0"
    page = collection["first"]
    assert page["type"] == "AnnotationPage"
    assert page["id"] == collection["id"] + "&after=0&start=0"
    assert page["startIndex"] == 0 and "next" not in page
    assert len(page["items"]) == 2
    for annotation in page["items"]:
        check_annotation(annotation, Claim.objects.get(pk=int(annotation["id"].split("/")[-2])))


def check_annotation(annotation, claim):
    article = claim.article
    assert "@context" not in annotation  # given once, on the collection or page
    assert annotation["type"] == "Annotation"
    assert annotation["id"] == f"http://testserver/api/v1/claims/{claim.pk}/"
    assert annotation["motivation"] == "assessing"
    assert annotation["created"] == iso(claim.created_at)
    assert annotation["modified"] == iso(claim.updated_at)  # evidence changes move it
    assert annotation["creator"] == {"type": "Person", "nickname": claim.created_by.username}
    target = annotation["target"]
    text_url = f"http://testserver/texts/{article.slug}/{article.content_hash}.txt"
    assert target["source"] == {
        "id": text_url,
        "type": "Text",
        "format": "text/plain",
        "language": article.language,
    }
    quote_sel, position_sel = target["selector"]
    assert quote_sel["type"] == "TextQuoteSelector"
    assert quote_sel["exact"] == claim.quote
    assert quote_sel["prefix"] == article.body[claim.start - len(quote_sel["prefix"]) : claim.start]
    assert quote_sel["suffix"] == article.body[claim.end : claim.end + len(quote_sel["suffix"])]
    assert position_sel == {"type": "TextPositionSelector", "start": claim.start, "end": claim.end}
    # Code points, as the model defines them: the body sliced by them is the quote.
    assert article.body[position_sel["start"] : position_sel["end"]] == quote_sel["exact"]
    bodies = annotation["body"]
    assert bodies[0] == {
        "type": "TextualBody",
        "purpose": "assessing",
        "value": claim.verdict,
        "format": "text/plain",
        "language": "en",
    }
    commenting = [b for b in bodies if b["purpose"] == "commenting"]
    assert [b["value"] for b in commenting] == [claim.rationale] if claim.rationale else []
    if commenting:
        assert commenting[0]["type"] == "TextualBody"
        # The analyst's language, stored with the rationale (RATIONALE_LANGUAGE), not the article's.
        assert commenting[0]["language"] == claim.rationale_language == "en"
    linking = [b for b in bodies if b["type"] == "SpecificResource"]
    evidence = list(claim.evidence.order_by("created_at", "id"))
    sources = [
        b["source"]["id"] if e.title else b["source"]
        for b, e in zip(linking, evidence, strict=True)
    ]
    assert sources == [e.url for e in evidence]
    for body, item in zip(linking, evidence, strict=True):
        purposes = body["purpose"] if isinstance(body["purpose"], list) else [body["purpose"]]
        assert purposes[0] == "linking"
        assert (
            purposes[1:]
            == {"supports": [], "refutes": ["questioning"], "context": ["describing"]}[item.stance]
        )
        if item.title:
            assert body["source"]["label"] == item.title
        if item.excerpt:
            assert body["selector"] == {"type": "TextQuoteSelector", "exact": item.excerpt}
    moderating = [b for b in bodies if b["purpose"] == "moderating"]
    if claim.signed_off_at:
        assert moderating == [
            {
                "type": "TextualBody",
                "purpose": "moderating",
                "value": "signed off",
                "format": "text/plain",
                "language": "en",
                "creator": {"type": "Person", "nickname": claim.signed_off_by.username},
                "created": iso(claim.signed_off_at),
            }
        ]
    else:
        assert moderating == []


def test_w3c_pages(reviewer_api, desk, settings):
    settings.W3C_PAGE_SIZE = 1
    collection = json.loads(fetch(reviewer_api, "format=w3c&verdict=disputed&verdict=pending")[1])
    assert collection["total"] == 2
    first_ids = [a["id"] for a in collection["first"]["items"]]
    ru, uk = sorted([desk["ru"], desk["uk"]], key=lambda c: c.pk)
    assert collection["first"]["next"].endswith(f"&after={ru.pk}&start=1")
    assert collection["last"].endswith(f"&after={ru.pk}&start=1")
    page2 = json.loads(fetch(reviewer_api, collection["first"]["next"].split("?", 1)[1])[1])
    assert page2["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert page2["type"] == "AnnotationPage"
    assert page2["id"] == collection["last"]
    assert page2["partOf"] == {"id": collection["id"], "type": "AnnotationCollection"}
    assert page2["startIndex"] == 1
    assert page2["prev"] == collection["first"]["id"]
    assert "next" not in page2
    assert len(page2["items"]) == 1 and page2["items"][0]["id"] not in first_ids
    check_annotation(page2["items"][0], uk)
    # A page named without its start (by hand) counts the annotations before it.
    query = "format=w3c&verdict=disputed&verdict=pending"
    by_hand = json.loads(fetch(reviewer_api, f"{query}&after={ru.pk}")[1])
    assert by_hand["startIndex"] == 1 and by_hand["id"] == page2["id"]
    assert by_hand["items"] == page2["items"]
    assert reviewer_api.get(f"{EXPORT}?format=w3c&after={ru.pk}&start=-1").status_code == 400
    assert reviewer_api.get(f"{EXPORT}?format=w3c&after={uk.pk}").status_code == 404
    assert reviewer_api.get(f"{EXPORT}?format=w3c&after=-1").status_code == 400


def test_claimreview(reviewer_api, desk, settings, make_claim, ru_article, reviewer):
    settings.DESK_NAME = "Десk проверки"
    settings.DESK_URL = "https://desk.example.org/"
    # A signed-off claim whose sign-off was withdrawn is not published.
    other = make_claim(ru_article, "Washington", verdict="verified")
    services.claim_sign_off(claim=other, reviewer=reviewer)
    services.claim_revoke_sign_off(claim=other, reviewer=reviewer)
    response, content = fetch(reviewer_api, "format=claimreview")
    assert response["Content-Type"].startswith("application/ld+json")
    reviews = json.loads(content)
    assert len(reviews) == 1  # the pending, unsigned claims are not fact-checks yet
    review = reviews[0]
    claim = desk["ru"]
    article = claim.article
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    # Not published: no public page to point at; the API address names it instead.
    assert "url" not in review
    assert review["identifier"] == f"http://testserver/api/v1/claims/{claim.pk}/"
    assert review["claimReviewed"] == "Венесуэла просит Россию"
    assert review["reviewBody"] == claim.rationale
    assert review["datePublished"] == claim.signed_off_at.date().isoformat()
    assert "inLanguage" not in review  # the rationale's language is the analyst's, unknown
    assert review["itemReviewed"]["inLanguage"] == "ru"
    assert review["author"] == {
        "@type": "Organization",
        "name": "Десk проверки",
        "url": "https://desk.example.org/",
    }
    assert review["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 1,
        "bestRating": 3,
        "worstRating": 1,
        "alternateName": "False",
        "name": "Disputed",
    }
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["datePublished"] == article.published_on.isoformat()
    assert item["appearance"]["@type"] == "CreativeWork"
    assert item["appearance"]["url"] == f"http://testserver/api/v1/articles/{article.pk}/"
    assert item["appearance"]["headline"] == article.title
    assert [c["url"] for c in review["citation"]] == [
        "https://example.org/doc?id=1",
        "https://example.org/second",
    ]


def test_claimreview_rating_mapping_covers_final_verdicts():
    from annotations.models import Verdict

    assert set(CLAIMREVIEW_RATINGS) == set(Verdict.final())
    values = [CLAIMREVIEW_RATINGS[v]["ratingValue"] for v in ("disputed", "unsourced", "verified")]
    assert values == [1, 2, 3]


def test_claimreview_uses_article_source_url_when_known(reviewer_api, desk):
    article = desk["ru"].article
    article.source_url = "https://news.example.org/venezuela"
    article.save()
    review = json.loads(fetch(reviewer_api, "format=claimreview")[1])[0]
    assert review["itemReviewed"]["appearance"]["url"] == "https://news.example.org/venezuela"


@pytest.mark.parametrize(
    "query", ["format=xml", "format=csv&bom=maybe", "format=json&verdict=nope", "ordering=x"]
)
def test_bad_export_parameters(reviewer_api, seeds, query):
    response = reviewer_api.get(f"{EXPORT}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_outsider_can_export(outsider_api, desk):
    assert outsider_api.get(f"{EXPORT}?format=json").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "w3c", "claimreview"])
def test_exports_stream_in_chunks(reviewer_api, ru_article, analyst, settings, fmt):
    settings.EXPORT_CHUNK_SIZE = 7
    bulk_claims(ru_article, 30, analyst, verdict="verified")
    Claim.objects.update(signed_off_by=analyst, signed_off_at=Claim.objects.first().created_at)
    response = reviewer_api.get(f"{EXPORT}?format={fmt}")
    assert isinstance(response, StreamingHttpResponse)
    parts = [part for part in response.streaming_content if part]
    # One piece per chunk of 7 claims (30 -> 5), plus opening/closing pieces.
    assert len(parts) >= 5


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims/?page_size=1000",
        "/api/v1/claims/?page_size=1000&has_evidence=true&link_outcome=pending",
        "/api/v1/evidence/?page_size=1000",
        *(f"{EXPORT}?format={fmt}" for fmt in ("json", "jsonl", "csv", "w3c", "claimreview")),
        f"{EXPORT}?format=jsonl&history=true",
        f"{EXPORT}?format=w3c&after=0",  # a page named by hand: it counts what is before it
        f"{EXPORT}?format=w3c&after=0&start=0",  # a page as the desk links it
    ],
)
def test_query_count_does_not_grow(reviewer_api, ru_article, analyst, settings, path):
    """10 and 1,000 claims cost the same queries (the export's chunk holds both sizes)."""
    settings.EXPORT_CHUNK_SIZE = 2000
    settings.W3C_PAGE_SIZE = 2000
    bulk_claims(ru_article, 10, analyst, verdict="verified")
    Claim.objects.update(signed_off_by=analyst, signed_off_at=Claim.objects.first().created_at)
    small = queries_for(reviewer_api, path)
    Claim.objects.all().delete()
    bulk_claims(ru_article, 1000, analyst, verdict="verified")
    Claim.objects.update(signed_off_by=analyst, signed_off_at=Claim.objects.first().created_at)
    assert Claim.objects.count() == 1000
    large = queries_for(reviewer_api, path)
    assert small == large, (small, large)


@pytest.mark.parametrize(
    "fmt, query, lists, stored",
    [
        ("jsonl", "", 3, True),
        ("jsonl", "&history=true", 4, False),
        ("csv", "", 1, True),
        ("csv", "&csv=excel", 1, True),
    ],
)
def test_export_queries_per_chunk(
    reviewer_api, ru_article, analyst, settings, fmt, query, lists, stored
):
    """With chunks of 500, per full chunk: the keys (with the stored texts, but for jsonl
    with history), then the build of the texts missing: on PostgreSQL one query (the
    records, or the CSV rows' ``COPY``), elsewhere the claims and one per list read
    (evidence, and for jsonl assessments, comments, and history when asked for); then, for
    stored texts, one for their generations before the build and one to store them after it
    (PostgreSQL's json build does both itself). And one to end."""
    settings.EXPORT_CHUNK_SIZE = 500
    bulk_claims(ru_article, 10, analyst)
    small = queries_for(reviewer_api, f"{EXPORT}?format={fmt}{query}")
    Claim.objects.all().delete()
    bulk_claims(ru_article, 1000, analyst)
    assert Claim.objects.count() == 1000
    large = queries_for(reviewer_api, f"{EXPORT}?format={fmt}{query}")
    build = 1 if connection.vendor == "postgresql" else 1 + lists
    keys = 1 if connection.vendor == "postgresql" or stored else 0
    store = stored and not (connection.vendor == "postgresql" and fmt == "jsonl")
    per_chunk = keys + build + (2 if store else 0)
    assert large == small + per_chunk + 1, (small, large)


def test_stored_records_cost_one_query_per_chunk(reviewer_api, ru_article, analyst, settings):
    """Once built, json, jsonl and csv read each chunk's stored texts in the keys' query."""
    settings.EXPORT_CHUNK_SIZE = 500
    bulk_claims(ru_article, 1000, analyst)
    for fmt in ("jsonl", "json", "csv", "csv&csv=excel"):
        cold_body = fetch(reviewer_api, f"format={fmt}")[1]
        with CaptureQueriesContext(connection) as warm:
            warm_body = fetch(reviewer_api, f"format={fmt}")[1]
        assert warm_body == cold_body
        chunk_queries = [q["sql"] for q in warm if "stored_text" in q["sql"]]
        assert len(chunk_queries) == 3, chunk_queries  # two chunks, and one to end
        assert not any(q["sql"].startswith("UPDATE") for q in warm)


def test_export_orderings(reviewer_api, ru_article, make_claim):
    late, early = span_of(ru_article, "Россию"), span_of(ru_article, "Венесуэла")
    first = make_claim(ru_article, "Россию")
    second = make_claim(ru_article, "Венесуэла")
    records = json.loads(fetch(reviewer_api, "format=json")[1])
    assert [r["id"] for r in records] == [first.pk, second.pk]  # by id, the default
    records = json.loads(fetch(reviewer_api, "format=json&ordering=position")[1])
    assert [(r["start"], r["end"]) for r in records] == sorted([late, early])
    records = json.loads(fetch(reviewer_api, "format=jsonl&ordering=-id")[1].splitlines()[0])
    assert records["id"] == second.pk


def _pairs(text: str):
    """A JSON text with every object as a list of (key, value) pairs: key order counts."""
    return json.loads(text, object_pairs_hook=list)


@pytest.mark.parametrize("ordering", ["id", "position", "-updated_at"])
def test_postgres_builds_the_same_records(
    reviewer_api, desk, analyst, other_analyst, reviewer, ru_article, make_claim, ordering
):
    """On PostgreSQL json/jsonl are built by the database: they must equal the Python records,
    key order included, for every kind of value the record holds."""
    from datetime import UTC, date, datetime

    from django.utils import timezone

    from annotations import selectors
    from annotations.exports import chunks
    from annotations.exports.fields import Urls
    from annotations.exports.records import JSON_HISTORY_RECORD, JSON_RECORD, RECORD
    from annotations.models import Comment, SourceLink
    from tests import support

    if connection.vendor != "postgresql":
        pytest.skip("the SQL-built records exist on PostgreSQL only")
    SourceLink.objects.filter(url="https://example.org/second").update(
        outcome="broken",
        http_status=404,
        final_url="https://example.org/gone",
        page_title="Страница",
        last_checked_at=timezone.now(),
        text_changed_at=datetime(2025, 3, 4, 5, 6, 7, 1, tzinfo=UTC),
        error="HTTP 404 «нет»",
    )
    whole_second = make_claim(ru_article, "Washington")
    Claim.objects.filter(pk=whole_second.pk).update(
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), is_orphaned=True
    )
    ru_article.__class__.objects.filter(pk=ru_article.pk).update(
        source_url="https://news.example.org/a", published_on=date(2025, 10, 31)
    )
    desk["uk"].article.__class__.objects.filter(pk=desk["uk"].article_id).update(published_on=None)
    # Mentions sort by code point in both (capitals first, Cyrillic last), whatever the collation.
    support.make_user("Zed", "analyst")
    support.make_user("дмитро", "analyst")
    services.comment_add(claim=desk["ru"], author=analyst, body="@pavlo @Zed @дмитро @iryna «да»")
    services.comment_add(claim=desk["ru"], author=reviewer, body="No mentions.")
    Comment.objects.filter(body="No mentions.").update(
        created_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    )
    # The desk's state: analysts who disagree, a reviewer's decision (which withdraws the
    # sign-off), rationale languages; and the history these write.
    services.assessment_submit(
        claim=desk["uk"], analyst=analyst, verdict="disputed", rationale="Да 🙂"
    )
    services.assessment_submit(claim=desk["uk"], analyst=other_analyst, verdict="verified")
    services.claim_decide(claim=desk["uk"], reviewer=reviewer, verdict="unsourced", reason="Нет")
    urls = Urls("http://testserver/api/v1/")
    keyset = selectors.CLAIM_ORDERINGS[ordering]
    for record in (RECORD, JSON_RECORD, JSON_HISTORY_RECORD):
        from_sql = [
            _pairs(text)
            for chunk in chunks.sql_record_chunks(
                Claim.objects.all(), keyset=keyset, chunk_size=2, api_root=urls.root, record=record
            )
            for text in chunk
        ]
        from_python = [
            _pairs(json.dumps(record.builder(urls)(row)))
            for chunk in chunks.claim_rows(
                Claim.objects.all(), keyset=keyset, chunk_size=2, record=record
            )
            for row in chunk
        ]
        assert len(from_sql) == 3
        assert from_sql == from_python
    comments = {r[0][1]: dict(r)["comments"] for r in from_sql}[desk["ru"].pk]
    assert [dict(c)["mentions"] for c in comments] == [[], ["Zed", "iryna", "pavlo", "дмитро"]]
    records = {
        r["id"]: r for r in json.loads(fetch(reviewer_api, f"format=json&ordering={ordering}")[1])
    }
    assert records[whole_second.pk]["created_at"] == "2025-01-02T03:04:05Z"
    assert records[whole_second.pk]["is_orphaned"] is True
    assert records[desk["ru"].pk]["signed_off_by"]["id"] == reviewer.pk
    assert records[desk["uk"].pk]["signed_off_by"] is None
    assert records[desk["uk"].pk]["article"]["published_on"] is None
    assert records[desk["ru"].pk]["article"]["published_on"] == "2025-10-31"
    link = records[desk["ru"].pk]["evidence"][1]["link"]
    assert link["text_changed_at"] == "2025-03-04T05:06:07.000001Z"
    assert link["http_status"] == 404 and link["error"] == "HTTP 404 «нет»"
    uk = dict(from_sql[[r[0][1] for r in from_sql].index(desk["uk"].pk)])
    assert dict(uk["decided_by"])["username"] == reviewer.username
    assert [dict(dict(a)["analyst"])["username"] for a in uk["assessments"]] == [
        "pavlo",
        "olena",
    ]
    changes = [dict(h)["changes"] for h in uk["history"]]
    assert any(dict(c).get("decided_by") == [None, reviewer.pk] for c in changes)


def test_each_format_is_sent_as_registered(reviewer_api, desk):
    from annotations.exports.registry import FORMATS

    for name, fmt in FORMATS.items():
        response, _ = fetch(reviewer_api, f"format={name}")
        assert response["Content-Type"] == fmt.content_type
        assert response["Content-Disposition"] == f'attachment; filename="claims.{fmt.extension}"'
        assert response.streaming is fmt.streams


def test_the_schema_offers_the_registry(analyst_api):
    from annotations.exports.registry import FORMATS, params

    schema = analyst_api.get("/api/schema/?format=json").json()  # the schema needs a login
    operation = schema["paths"]["/api/v1/export/claims"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert sorted(parameters["format"]["schema"]["enum"]) == sorted(FORMATS)
    assert set(params()) <= set(parameters)
    assert set(operation["responses"]["200"]["content"]) == {f.media_type for f in FORMATS.values()}


def test_a_registered_format_is_offered_and_one_that_does_not_stream_is_sent_whole(
    reviewer_api, desk, monkeypatch
):
    from annotations.exports.base import ExportFormat
    from annotations.exports.registry import FORMATS

    def write(export):
        yield b"ids:"
        for chunk in export.chunks():
            yield " ".join(str(row["id"]) for row in chunk).encode()

    ids = ExportFormat("ids", "text/plain", "txt", write, "claim ids", {"type": "string"})
    assert reviewer_api.get(f"{EXPORT}?format=ids").status_code == 400
    monkeypatch.setitem(FORMATS, "ids", ids)
    response = reviewer_api.get(f"{EXPORT}?format=ids")
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == f"ids:{desk['ru'].pk} {desk['uk'].pk}".encode()
    monkeypatch.setitem(FORMATS, "ids", ExportFormat(**{**ids.__dict__, "streams": False}))
    response = reviewer_api.get(f"{EXPORT}?format=ids")
    assert response.status_code == 200 and not response.streaming
    assert response.content == f"ids:{desk['ru'].pk} {desk['uk'].pk}".encode()
    assert response["Content-Disposition"] == 'attachment; filename="claims.txt"'


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_records_carry_the_discussion(reviewer_api, desk, analyst, other_analyst, fmt):
    services.comment_add(claim=desk["ru"], author=analyst, body="Ask @pavlo, @iryna.")
    text = fetch(reviewer_api, f"format={fmt}")[1].decode()
    records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    by_id = {r["id"]: r for r in records}
    (comment,) = by_id[desk["ru"].pk]["comments"]
    assert comment["author"] == {"id": analyst.pk, "username": "olena"}
    assert comment["body"] == "Ask @pavlo, @iryna."
    assert comment["mentions"] == ["iryna", "pavlo"]
    assert comment["created_at"].endswith("Z")
    assert by_id[desk["uk"].pk]["comments"] == []
    csv_text = fetch(reviewer_api, "format=csv")[1].decode()
    assert "Ask @pavlo" not in csv_text


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_records_carry_the_desk_state_and_history_when_asked(
    reviewer_api, desk, analyst, other_analyst, reviewer, fmt
):
    """What the import needs to give the desk back: the assessments, the decision, the
    rationale languages, a withdrawn sign-off; the history with ``history=true`` only."""
    services.assessment_submit(
        claim=desk["ru"], analyst=other_analyst, verdict="verified", rationale="Так 🙂"
    )
    services.claim_decide(claim=desk["ru"], reviewer=reviewer, verdict="unsourced", reason="Ні")

    def records(query: str) -> dict[int, dict]:
        text = fetch(reviewer_api, f"format={fmt}{query}")[1].decode()
        found = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
        return {r["id"]: r for r in found}

    ru = Claim.objects.get(pk=desk["ru"].pk)
    record = records("")[ru.pk]
    assert record["rationale"] == "Ні" and record["rationale_language"] == "en"
    assert record["in_disagreement"] is False
    assert record["decided_by"] == {"id": reviewer.pk, "username": reviewer.username}
    assert record["decided_at"] == iso(ru.decided_at)
    assert record["signed_off_by"] is None
    assert record["sign_off_withdrawn_at"] == iso(ru.sign_off_withdrawn_at)
    assessments = list(ru.assessments.order_by("created_at", "id"))
    assert record["assessments"] == [
        {
            "analyst": {"id": a.analyst_id, "username": a.analyst.username},
            "verdict": a.verdict,
            "rationale": a.rationale,
            "rationale_language": a.rationale_language,
            "version": a.version,
            "created_at": iso(a.created_at),
            "updated_at": iso(a.updated_at),
        }
        for a in assessments
    ]
    assert [a["rationale"] for a in record["assessments"]] == [
        "Документы не подтверждают «просьбу».",
        "Так 🙂",
    ]
    assert "history" not in record
    with_history = records("&history=true")[ru.pk]
    entries = list(ru.history.order_by("at", "id"))
    assert [h["action"] for h in with_history["history"]] == [h.action for h in entries]
    assert with_history["history"][-1] == {
        "subject": "claim",
        "action": "decided",
        "changes": entries[-1].changes,
        "actor": {"id": reviewer.pk, "username": reviewer.username},
        "at": iso(entries[-1].at),
    }
    assert {k: v for k, v in with_history.items() if k != "history"} == record
    assert records("")[desk["uk"].pk]["decided_by"] is None


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_comments_do_not_grow_the_export_queries(
    reviewer_api, ru_article, analyst, other_analyst, settings, fmt
):
    settings.EXPORT_CHUNK_SIZE = 2000

    def fill(n):
        Claim.objects.all().delete()
        bulk_claims(ru_article, n, analyst, verdict="verified")
        for claim in Claim.objects.all():
            services.comment_add(claim=claim, author=analyst, body="@pavlo @iryna see")

    fill(5)
    small = queries_for(reviewer_api, f"{EXPORT}?format={fmt}")
    fill(60)
    assert queries_for(reviewer_api, f"{EXPORT}?format={fmt}") == small


def _summary_check(content: bytes) -> tuple[list[dict], dict]:
    """What a consumer does: split off the last line, count and hash what comes before it."""
    body, _, last = content.rstrip(b"\n").rpartition(b"\n")
    summary = json.loads(last)["export_summary"]
    lines = body.split(b"\n") if body else []
    assert summary["sha256"] == hashlib.sha256(body + b"\n" if body else b"").hexdigest()
    return [json.loads(line) for line in lines], summary


def test_jsonl_summary_counts_and_hashes_the_records(reviewer_api, desk):
    _, plain = fetch(reviewer_api, "format=jsonl")
    _, content = fetch(reviewer_api, "format=jsonl&summary=true")
    records, summary = _summary_check(content)
    assert summary["records"] == len(records) == 2
    assert content.startswith(plain)  # the records are the same bytes, the summary is added


def test_jsonl_summary_of_an_empty_export(reviewer_api, seeds):
    records, summary = _summary_check(fetch(reviewer_api, "format=jsonl&summary=true")[1])
    assert records == [] and summary["records"] == 0


def test_a_cut_jsonl_export_fails_the_summary_check(reviewer_api, desk):
    content = fetch(reviewer_api, "format=jsonl&summary=true")[1]
    first_record_only = content.split(b"\n", 1)[0] + b"\n"
    with pytest.raises((KeyError, AssertionError)):
        _summary_check(first_record_only)  # no summary line: the last line is a claim


def test_jsonl_summary_runs_no_extra_query(reviewer_api, desk):
    fetch(reviewer_api, "format=jsonl")  # the records stored, so both read them alike
    with CaptureQueriesContext(connection) as plain:
        fetch(reviewer_api, "format=jsonl")
    with CaptureQueriesContext(connection) as summed:
        fetch(reviewer_api, "format=jsonl&summary=true")
    assert len(summed) == len(plain)
