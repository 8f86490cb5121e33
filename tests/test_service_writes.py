"""Services write only the columns a change touches (``save(update_fields=...)``).

A full-row save would also rewrite columns another writer owns (a link check's fields, a
concurrent import's), so each test reads the UPDATE statements the service sent.
"""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.importing import import_article
from annotations.models import Article
from tests.conftest import RU_SEED

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"
SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


def columns_updated(queries: CaptureQueriesContext, table: str) -> list[set[str]]:
    """The columns each ``UPDATE table SET ...`` statement assigned, in order."""
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith(f'UPDATE "{table}" SET '):
            assignments = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
            found.append(set(re.findall(r'"(\w+)" = ', assignments)))
    return found


@pytest.mark.django_db
def test_a_verdict_change_writes_the_verdict_and_bookkeeping_only(ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    with CaptureQueriesContext(connection) as queries:
        services.claim_update(claim=claim, actor=analyst, verdict="disputed")
    assert columns_updated(queries, "annotations_claim") == [
        {"verdict", "updated_by_id", "version", "updated_at"}
    ]


@pytest.mark.django_db
def test_signing_off_and_revoking_write_the_sign_off_columns_only(ru_article, make_claim, reviewer):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    sign_off = {"signed_off_by_id", "signed_off_at", "updated_by_id", "version", "updated_at"}
    with CaptureQueriesContext(connection) as queries:
        services.claim_sign_off(claim=claim, reviewer=reviewer)
        services.claim_revoke_sign_off(claim=claim, reviewer=reviewer)
    signed = sign_off | {"sign_off_withdrawn_at"}  # a new sign-off clears a withdrawn one's mark
    assert columns_updated(queries, "annotations_claim") == [signed, sign_off]


@pytest.mark.django_db
def test_an_evidence_edit_writes_the_edited_fields_only(ru_article, make_claim, analyst):
    evidence = services.evidence_add(
        claim=make_claim(ru_article, QUOTE), actor=analyst, url="https://example.org/a"
    )
    with CaptureQueriesContext(connection) as queries:
        services.evidence_update(evidence=evidence, actor=analyst, note="checked twice")
        services.evidence_update(evidence=evidence, actor=analyst, url="https://example.org/b")
    # (then the link check's own bookkeeping for the new link, not the service's row write)
    assert columns_updated(queries, "annotations_evidence")[:2] == [
        {"note", "updated_at"},
        {"url", "source_link_id", "updated_at"},
    ]


@pytest.mark.django_db
def test_a_reimport_writes_the_imported_article_fields_only(ru_article, make_claim):
    claim = make_claim(ru_article, "Авиакон Цитотранс")
    raw = (SEEDS / RU_SEED).read_text().replace(' авиакомпании "Авиакон Цитотранс"', "")
    with CaptureQueriesContext(connection) as queries:
        import_article(raw.encode(), filename=ru_article.source_file)
    assert columns_updated(queries, "annotations_article") == [
        {
            "title", "body", "language", "published_on", "source_name", "content_hash",
            "author", "text_changed_at", "updated_at",
        }
    ]  # fmt: skip
    # Then the re-anchoring, and the text version the orphaned claims last matched.
    remembered = {"orphaned_text_hash", "orphaned_text_at"}
    claim_updates = columns_updated(queries, "annotations_claim")
    assert claim_updates[-2:] == [remembered, remembered]
    claim_updates = claim_updates[:-2]
    assert claim_updates[-1] <= {
        "start", "end", "quote", "prefix", "suffix", "is_orphaned",
        "signed_off_by_id", "signed_off_at", "version", "updated_at",
    }  # fmt: skip
    assert "rationale" not in set().union(*claim_updates)
    assert Article.objects.get(pk=ru_article.pk).claims.get(pk=claim.pk).is_orphaned
