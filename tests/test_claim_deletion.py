"""Deleted claims are kept, restorable as themselves, and purged after the retention (issue 11).

Services first, then the API (reads 404, restore, query counts), then the admin.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotations import selectors, services, tasks
from annotations.models import Claim, Evidence, HistoryEntry, Verdict
from tests.conftest import span_of

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"
URL = "https://example.org/letter"


@pytest.fixture
def cited(make_claim, ru_article, analyst):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    services.evidence_add(claim=claim, actor=analyst, url=URL, excerpt="never sent")
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def deleted(cited, analyst):
    services.claim_delete(claim=cited, actor=analyst, expected_version=cited.version)
    return Claim.with_deleted.get(pk=cited.pk)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- services


def test_delete_keeps_the_claim_its_evidence_and_history(deleted, analyst):
    assert deleted.is_deleted and deleted.deleted_by == analyst
    assert not Claim.objects.filter(pk=deleted.pk).exists()
    assert Evidence.objects.filter(claim_id=deleted.pk).count() == 1
    assert HistoryEntry.objects.filter(claim=deleted, action="deleted").exists()


def test_restore_brings_back_the_same_claim(deleted, analyst):
    restored = services.claim_restore(claim=deleted.pk, actor=analyst)
    assert restored.pk == deleted.pk and not restored.is_deleted
    assert restored.version == deleted.version + 1
    assert Claim.objects.get(pk=deleted.pk).evidence.get().url == URL
    actions = list(
        HistoryEntry.objects.filter(claim_ref=deleted.pk).values_list("action", flat=True)
    )
    assert actions[:2] == ["restored", "deleted"] and actions[-1] == "created"


def test_a_deleted_claim_does_not_block_its_span(deleted, ru_article, other_analyst):
    start, end = span_of(ru_article, QUOTE)
    again = services.claim_create(
        article=ru_article, start=start, end=end, quote=QUOTE, author=other_analyst
    )
    assert again.pk != deleted.pk


def test_restoring_onto_a_taken_span_is_refused_clearly(deleted, ru_article, analyst):
    start, end = span_of(ru_article, QUOTE)
    other = services.claim_create(
        article=ru_article, start=start, end=end, quote=QUOTE, author=analyst
    )
    with pytest.raises(ValidationError) as exc:
        services.claim_restore(claim=deleted.pk, actor=analyst)
    assert f"claim {other.pk} now covers the same span" in " ".join(exc.value.messages)
    assert Claim.with_deleted.get(pk=deleted.pk).is_deleted


def test_restore_follows_the_delete_rules(deleted, other_analyst, reviewer):
    with pytest.raises(PermissionDenied):
        services.claim_restore(claim=deleted.pk, actor=other_analyst)
    assert services.claim_restore(claim=deleted.pk, actor=reviewer).pk == deleted.pk


def test_restoring_a_live_claim_says_there_is_nothing_to_restore(cited, analyst):
    with pytest.raises(ValidationError, match="not deleted"):
        services.claim_restore(claim=cited.pk, actor=analyst)


def test_a_claim_whose_text_changed_comes_back_orphaned(deleted, ru_article, analyst):
    ru_article.body = ru_article.body.replace(QUOTE, QUOTE.upper())
    ru_article.save(update_fields=["body"])
    restored = services.claim_restore(claim=deleted.pk, actor=analyst)
    assert restored.is_orphaned


def test_purge_removes_only_expired_claims(deleted, make_claim, ru_article, analyst, settings):
    settings.CLAIM_DELETED_RETENTION_DAYS = 30
    fresh = make_claim(ru_article, "Венесуэла")
    services.claim_delete(claim=fresh, actor=analyst)
    Claim.with_deleted.filter(pk=deleted.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert services.claims_purge_deleted() == 1
    assert not Claim.with_deleted.filter(pk=deleted.pk).exists()
    assert not Evidence.objects.filter(claim_id=deleted.pk).exists()
    assert HistoryEntry.objects.filter(claim_ref=deleted.pk).exists()  # the story stays
    assert Claim.with_deleted.filter(pk=fresh.pk).exists()


def test_purge_command_and_beat_task(deleted, capsys, settings):
    Claim.with_deleted.filter(pk=deleted.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    call_command("purge_deleted_claims")
    assert "Purged 1 claim(s)" in capsys.readouterr().out
    assert tasks.purge_deleted_claims() == 0
    assert "purge-deleted-claims" in settings.CELERY_BEAT_SCHEDULE


def test_counts_per_verdict_leave_deleted_claims_out(deleted, ru_article):
    assert selectors.claim_counts([ru_article.pk])[ru_article.pk][Verdict.VERIFIED] == 0
    article = selectors.articles_with_claim_counts().get(pk=ru_article.pk)
    assert article.count_total == 0 and article.count_verified == 0


# --- API


def test_api_reads_of_a_deleted_claim_are_404(deleted, analyst):
    client = api(analyst)
    evidence = Evidence.objects.get(claim_id=deleted.pk)
    assert client.get(f"/api/v1/claims/{deleted.pk}/").status_code == 404
    assert client.get(f"/api/v1/claims/{deleted.pk}/history/").status_code == 404
    assert client.get(f"/api/v1/evidence/{evidence.pk}/").status_code == 404
    assert deleted.pk not in [c["id"] for c in client.get("/api/v1/claims/").json()["results"]]
    assert client.get("/api/v1/evidence/").json()["results"] == []
    exported = client.get("/api/v1/export/?format=json").content.decode()
    assert QUOTE not in exported


def test_api_restore_returns_the_same_claim_with_its_etag(deleted, analyst):
    client = api(analyst)
    response = client.post(f"/api/v1/claims/{deleted.pk}/restore/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == deleted.pk and body["evidence"][0]["url"] == URL
    assert response["ETag"] == f'"{deleted.version + 1}"'
    assert client.get(f"/api/v1/claims/{deleted.pk}/").status_code == 200


def test_api_restore_checks_if_match(deleted, analyst):
    client = api(analyst)
    stale = client.post(f"/api/v1/claims/{deleted.pk}/restore/", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    ok = client.post(f"/api/v1/claims/{deleted.pk}/restore/", HTTP_IF_MATCH=f'"{deleted.version}"')
    assert ok.status_code == 200


def test_api_restore_permissions_and_refusals(deleted, other_analyst, analyst, ru_article):
    assert api(other_analyst).post(f"/api/v1/claims/{deleted.pk}/restore/").status_code == 403
    assert api(analyst).post("/api/v1/claims/99999999/restore/").status_code == 404
    start, end = span_of(ru_article, QUOTE)
    services.claim_create(article=ru_article, start=start, end=end, quote=QUOTE, author=analyst)
    taken = api(analyst).post(f"/api/v1/claims/{deleted.pk}/restore/")
    assert taken.status_code == 400 and "covers the same span" in taken.content.decode()
    assert Claim.with_deleted.get(pk=deleted.pk).is_deleted


def test_api_delete_then_create_on_the_same_span(cited, analyst, ru_article):
    client = api(analyst)
    gone = client.delete(f"/api/v1/claims/{cited.pk}/", HTTP_IF_MATCH=f'"{cited.version}"')
    assert gone.status_code == 204
    start, end = span_of(ru_article, QUOTE)
    body = {"article": ru_article.pk, "start": start, "end": end, "quote": QUOTE}
    assert client.post("/api/v1/claims/", body, format="json").status_code == 201


def test_api_list_query_count_is_unchanged_by_deleted_claims(make_claim, ru_article, analyst):
    client = api(analyst)
    for quote in ("Венесуэла", "Владимира Путина"):
        make_claim(ru_article, quote)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/claims/").status_code == 200
        return len(queries)

    before = count()
    claim = make_claim(ru_article, QUOTE)
    services.claim_delete(claim=claim, actor=analyst)
    assert count() == before


# --- admin


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def test_admin_lists_live_claims_unless_asked_for_deleted(
    reviewer_client, deleted, make_claim, ru_article
):
    live = make_claim(ru_article, "Венесуэла")
    url = reverse("admin:annotations_claim_changelist")
    shown = reviewer_client.get(url).context["cl"].result_list
    assert [c.pk for c in shown] == [live.pk]
    shown = reviewer_client.get(f"{url}?deleted=yes").context["cl"].result_list
    assert [c.pk for c in shown] == [deleted.pk]


def test_admin_restore_action(reviewer_client, deleted):
    url = reverse("admin:annotations_claim_changelist")
    response = reviewer_client.post(
        f"{url}?deleted=yes",
        {"action": "restore", "_selected_action": [deleted.pk]},
        follow=True,
    )
    assert "1 claim(s) restored." in response.content.decode()
    assert Claim.objects.filter(pk=deleted.pk).exists()


def test_admin_restore_onto_a_taken_span_says_why(reviewer_client, deleted, ru_article, analyst):
    start, end = span_of(ru_article, QUOTE)
    services.claim_create(article=ru_article, start=start, end=end, quote=QUOTE, author=analyst)
    url = reverse("admin:annotations_claim_changelist")
    response = reviewer_client.post(
        f"{url}?deleted=yes", {"action": "restore", "_selected_action": [deleted.pk]}, follow=True
    )
    assert "Not restored" in response.content.decode()
    assert Claim.with_deleted.get(pk=deleted.pk).is_deleted


def test_admin_shows_a_deleted_claim_read_only(reviewer_client, deleted):
    page = reviewer_client.get(reverse("admin:annotations_claim_change", args=[deleted.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert "Claim deleted" in page.content.decode()
