"""Citations carry their archived copies (issue 12, item 5): the pinned snapshot and the
Wayback memento in the API and the json/jsonl export, the W3C TimeState, and the WARC
downloads of a claim's and an article's pinned copies, read back with warcio."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import TestCase
from warcio.archiveiterator import ArchiveIterator

from annotations import services
from annotations.linkcheck import archive, service
from annotations.models import Claim, Evidence, Snapshot, SourceLink
from tests.api.conftest import bulk_claims
from tests.conftest import span_of
from tests.linkcheck.conftest import linkcheck_settings, web  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

EXPORT = "/api/v1/export/claims"


def page(text: str) -> bytes:
    return f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>".encode()


def serve(web, path: str, body: bytes) -> str:  # noqa: F811
    web.pages[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
    return f"{web.base}{path}"


def check(url: str) -> None:
    link, _ = SourceLink.objects.get_or_create(url=url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        service.link_check_run(link_id=link.pk, force=True, final=True)


@pytest.fixture
def archived(web, ru_article, make_claim, analyst):  # noqa: F811
    """A claim citing two archived pages: one pinned to a revisit (its body in an earlier,
    unpinned copy), one pinned to an original; and a second claim citing nothing archived."""
    claim = make_claim(ru_article, "Венесуэла просит Россию", verdict="disputed")
    same = serve(web, "/same", page("одна и та же"))
    check(same)
    check(same)  # an identical body: the latest copy is a revisit
    revisited = services.evidence_add(claim=claim, actor=analyst, url=same)
    other = serve(web, "/other", page("другая"))
    check(other)
    original = services.evidence_add(claim=claim, actor=analyst, url=other)
    plain = make_claim(ru_article, "Мадуро")
    services.evidence_add(claim=plain, actor=analyst, url="https://example.org/never-checked")
    revisited.refresh_from_db()
    original.refresh_from_db()
    assert revisited.pinned_snapshot.is_revisit and not original.pinned_snapshot.is_revisit
    return {"claim": claim, "revisited": revisited, "original": original, "plain": plain}


def warc_records(response) -> list:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/warc"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    data = b"".join(response.streaming_content)
    assert data[:2] == b"\x1f\x8b"  # gzip, a member per record
    found = []
    records = ArchiveIterator(io.BytesIO(data), check_digests="raise")
    for record in records:
        found.append((record.rec_type, record.rec_headers, record.content_stream().read()))
        # Each record is its own gzip member, as warcio writes them (replay tools seek to it).
        assert data[records.get_record_offset() :][:2] == b"\x1f\x8b"
    return found


def check_replayable(found: list) -> dict[str, bytes]:
    """Every revisit's original is in the file, before it; returns {target URL: body}."""
    assert found[0][0] == "warcinfo"
    seen: set[str] = set()
    bodies: dict[str, bytes] = {}
    for rec_type, headers, body in found[1:]:
        if rec_type == "response":
            seen.add(headers.get_header("WARC-Record-ID"))
            bodies[headers.get_header("WARC-Target-URI")] = body
        elif rec_type == "revisit":
            assert headers.get_header("WARC-Refers-To") in seen
    return bodies


def test_a_claims_warc_holds_its_pinned_copies_and_the_originals_they_revisit(
    reviewer_api,
    archived,
    web,  # noqa: F811
):
    found = warc_records(
        reviewer_api.get(f"/api/v1/claims/{archived['claim'].pk}/evidence.warc.gz")
    )
    bodies = check_replayable(found)
    assert bodies == {
        f"{web.base}/same": page("одна и та же"),
        f"{web.base}/other": page("другая"),
    }
    types = [rec_type for rec_type, _, _ in found]
    assert types.count("revisit") == 1 and types.count("response") == 2
    pinned = archived["revisited"].pinned_snapshot
    ids = {h.get_header("WARC-Record-ID") for t, h, _ in found if t in ("response", "revisit")}
    assert ids == {
        pinned.warc_record_id,
        pinned.refers_to.warc_record_id,
        archived["original"].pinned_snapshot.warc_record_id,
    }


def test_an_articles_warc_holds_every_claims_copies_and_a_claim_without_any_is_only_warcinfo(
    reviewer_api, archived, ru_article
):
    article = warc_records(reviewer_api.get(f"/api/v1/articles/{ru_article.pk}/evidence.warc.gz"))
    assert len(check_replayable(article)) == 2
    empty = warc_records(
        reviewer_api.get(f"/api/v1/claims/{archived['plain'].pk}/evidence.warc.gz")
    )
    assert [rec_type for rec_type, _, _ in empty] == ["warcinfo"]


def test_unknown_and_deleted_claims_and_articles_are_404(reviewer_api, archived, reviewer):
    assert reviewer_api.get("/api/v1/claims/999999/evidence.warc.gz").status_code == 404
    assert reviewer_api.get("/api/v1/articles/999999/evidence.warc.gz").status_code == 404
    services.claim_delete(claim=archived["claim"], actor=reviewer)
    gone = reviewer_api.get(f"/api/v1/claims/{archived['claim'].pk}/evidence.warc.gz")
    assert gone.status_code == 404 and gone["Content-Type"] == "application/json"


def test_the_blind_rule_keeps_copies_of_unjudged_claims_out(
    other_api, archived, ru_article, other_analyst
):
    ru_article.blind_review = True
    ru_article.save(update_fields=["blind_review"])
    claim = archived["claim"]
    start, end = span_of(ru_article, claim.quote)
    services.claim_create(  # joins the claim without judging it
        article=ru_article, start=start, end=end, quote=claim.quote, author=other_analyst
    )
    url = f"/api/v1/claims/{claim.pk}/evidence.warc.gz"
    assert [t for t, _, _ in warc_records(other_api.get(url))] == ["warcinfo"]
    whole = f"/api/v1/articles/{ru_article.pk}/evidence.warc.gz"
    assert [t for t, _, _ in warc_records(other_api.get(whole))] == ["warcinfo"]
    # A claim on the blind article they never touched is not theirs to see at all.
    assert (
        other_api.get(f"/api/v1/claims/{archived['plain'].pk}/evidence.warc.gz").status_code == 404
    )
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    assert len(check_replayable(warc_records(other_api.get(url)))) == 2


def test_the_warc_endpoints_are_in_the_schema(analyst_api):
    schema = analyst_api.get("/api/schema/?format=json").json()
    for path in ("/api/v1/claims/{id}/evidence.warc.gz", "/api/v1/articles/{id}/evidence.warc.gz"):
        get = schema["paths"][path]["get"]
        assert "application/warc" in get["responses"]["200"]["content"]
        assert "404" in get["responses"]


# --- The fields: API, json export, W3C


def snapshot_shape(snapshot: Snapshot, iso) -> dict:
    return {
        "id": snapshot.pk,
        "captured_at": iso(snapshot.captured_at),
        "sha256": snapshot.body_sha256,
        "archive_url": f"http://testserver/archive/{snapshot.pk}/",
        "status": 200,
    }


def export_iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def with_memento(evidence: Evidence) -> None:
    SourceLink.objects.filter(pk=evidence.source_link_id).update(
        wayback_status="success",
        wayback_url="https://web.archive.org/web/20250304050607/https://example.org/",
        wayback_archived_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
    )


def test_the_api_shows_each_citations_pinned_copy_and_memento(reviewer_api, archived):
    with_memento(archived["original"])
    claim = reviewer_api.get(f"/api/v1/claims/{archived['claim'].pk}/").json()
    revisited, original = claim["evidence"]
    pinned = archived["revisited"].pinned_snapshot
    assert revisited["pinned_snapshot"]["archive_url"] == f"http://testserver/archive/{pinned.pk}/"
    assert revisited["pinned_snapshot"]["sha256"] == pinned.body_sha256
    assert revisited["pinned_snapshot"]["status"] == 200 and revisited["memento"] is None
    assert original["memento"] == {
        "memento_url": "https://web.archive.org/web/20250304050607/https://example.org/",
        "archived_at": "2025-03-04T05:06:07Z",
    }
    item = reviewer_api.get(f"/api/v1/evidence/{archived['original'].pk}/").json()
    assert item["pinned_snapshot"]["id"] == archived["original"].pinned_snapshot_id
    plain = reviewer_api.get(f"/api/v1/claims/{archived['plain'].pk}/").json()["evidence"][0]
    assert plain["pinned_snapshot"] is None and plain["memento"] is None


def test_json_and_jsonl_records_carry_the_copies(reviewer_api, archived):
    with_memento(archived["original"])
    for fmt in ("json", "jsonl"):
        response = reviewer_api.get(f"{EXPORT}?format={fmt}")
        text = b"".join(response.streaming_content).decode()
        records = (
            json.loads(text) if fmt == "json" else [json.loads(x) for x in text.split("\n") if x]
        )
        by_id = {r["id"]: r for r in records}
        revisited, original = by_id[archived["claim"].pk]["evidence"]
        assert revisited["pinned_snapshot"] == snapshot_shape(
            archived["revisited"].pinned_snapshot, export_iso
        )
        assert revisited["memento"] is None
        assert original["memento"] == {
            "memento_url": "https://web.archive.org/web/20250304050607/https://example.org/",
            "archived_at": "2025-03-04T05:06:07Z",
        }
        [plain] = by_id[archived["plain"].pk]["evidence"]
        assert plain["pinned_snapshot"] is None and plain["memento"] is None


@pytest.mark.parametrize("name", ["RECORD", "JSON_RECORD"])
def test_the_sql_records_equal_the_python_records_with_copies_and_mementos(archived, name):
    from annotations import selectors
    from annotations.exports import chunks, records
    from annotations.exports.fields import Urls

    if connection.vendor != "postgresql":
        pytest.skip("the SQL-built records exist on PostgreSQL only")
    with_memento(archived["original"])
    Snapshot.objects.filter(pk=archived["original"].pinned_snapshot_id).update(
        captured_at=datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    )
    record = getattr(records, name)
    urls = Urls("http://testserver/api/v1/")
    keyset = selectors.CLAIM_ORDERINGS["id"]
    pairs = lambda text: json.loads(text, object_pairs_hook=list)  # noqa: E731
    from_sql = [
        pairs(text)
        for chunk in chunks.sql_record_chunks(
            Claim.objects.all(), keyset=keyset, chunk_size=1, api_root=urls.root, record=record
        )
        for text in chunk
    ]
    from_python = [
        pairs(json.dumps(record.builder(urls)(row)))
        for chunk in chunks.claim_rows(
            Claim.objects.all(), keyset=keyset, chunk_size=1, record=record
        )
        for row in chunk
    ]
    assert len(from_sql) == 2 and from_sql == from_python
    evidence = dict(from_sql[0])["evidence"]
    assert (
        dict(dict(evidence[1])["pinned_snapshot"])["captured_at"] == "2025-01-02T03:04:05.000006Z"
    )
    assert dict(dict(evidence[1])["memento"])["archived_at"] == "2025-03-04T05:06:07Z"


def test_w3c_citations_carry_a_time_state(reviewer_api, archived):
    response = reviewer_api.get(f"{EXPORT}?format=w3c")
    collection = json.loads(b"".join(response.streaming_content))
    by_id = {a["id"]: a for a in collection["first"]["items"]}
    claim = by_id[f"http://testserver/api/v1/claims/{archived['claim'].pk}/"]
    links = [body for body in claim["body"] if body["type"] == "SpecificResource"]
    pinned = archived["revisited"].pinned_snapshot
    assert links[0] == {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": archived["revisited"].url,
        "state": {
            "type": "TimeState",
            "sourceDate": export_iso(pinned.captured_at),
            "cached": f"http://testserver/archive/{pinned.pk}/",
        },
    }
    plain = by_id[f"http://testserver/api/v1/claims/{archived['plain'].pk}/"]
    [link] = [body for body in plain["body"] if body["type"] == "SpecificResource"]
    assert "state" not in link


def queries_for(client, path: str) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path",
    [
        *(f"{EXPORT}?format={fmt}" for fmt in ("json", "jsonl", "w3c")),
        "/api/v1/claims/?page_size=1000",
        "/api/v1/evidence/?page_size=1000",
    ],
)
def test_pinned_copies_cost_no_queries_per_claim(
    reviewer_api, archived, ru_article, analyst, settings, path
):
    """10 and 200 more claims each citing a pinned, memento'd link cost the same queries."""
    settings.EXPORT_CHUNK_SIZE = 2000
    settings.W3C_PAGE_SIZE = 2000
    with_memento(archived["original"])
    pinned = archived["original"]
    kept = [archived["claim"].pk, archived["plain"].pk]

    def cite_all(count: int) -> None:
        claims = bulk_claims(ru_article, count, analyst, verdict="verified")
        Evidence.objects.bulk_create(
            Evidence(
                claim=claim,
                source_link_id=pinned.source_link_id,
                url=pinned.url,
                added_by=analyst,
                pinned_snapshot_id=pinned.pinned_snapshot_id,
            )
            for claim in claims
            if claim.pk not in kept  # bulk_claims returns the article's every claim
        )

    cite_all(10)
    small = queries_for(reviewer_api, path)
    Claim.objects.exclude(pk__in=kept).delete()
    cite_all(200)
    assert Evidence.objects.filter(pinned_snapshot__isnull=False).count() == 202
    large = queries_for(reviewer_api, path)
    assert small == large, (small, large)


def test_archive_urls_come_from_one_function(archived):
    snapshot = archived["original"].pinned_snapshot
    assert archive.snapshot_archive_path(snapshot.pk) == f"/archive/{snapshot.pk}/"
