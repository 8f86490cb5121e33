"""The review queue: what needs a reviewer, in the order of urgency, counted per kind."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.models import Claim, Evidence, LinkOutcome, Snapshot, SourceLink, Verdict
from annotations.selectors_review import QueueKind, review_queue

K = QueueKind


@pytest.fixture
def claim_at(ru_article, analyst):
    """A claim on the n-th ten code points of the Russian article."""

    def make(n: int, article=None, **kwargs) -> Claim:
        article = article or ru_article
        start = 10 * n
        return services.claim_create(
            article=article, start=start, end=start + 8, author=analyst, **kwargs
        )

    return make


def signed_off(claim: Claim, reviewer, at=None) -> Claim:
    at = at or timezone.now() - timedelta(days=2)
    Claim.objects.filter(pk=claim.pk).update(
        verdict=Verdict.VERIFIED, signed_off_by=reviewer, signed_off_at=at
    )
    return Claim.objects.get(pk=claim.pk)


def cite(claim: Claim, who, url: str, **state) -> Evidence:
    link, _ = SourceLink.objects.get_or_create(url=url)
    return Evidence.objects.create(claim=claim, source_link=link, url=url, added_by=who, **state)


@pytest.fixture
def one_of_each(claim_at, analyst, other_analyst, reviewer):
    """A claim of every kind, plus a signed-off one whose evidence is fine (not listed)."""
    now = timezone.now()
    broken = signed_off(claim_at(0), reviewer)
    cite(broken, analyst, "https://example.org/gone")
    SourceLink.objects.filter(url="https://example.org/gone").update(
        outcome=LinkOutcome.BROKEN, last_checked_at=now
    )
    changed = signed_off(claim_at(1), reviewer, at=now - timedelta(days=3))
    cite(changed, analyst, "https://example.org/moved", source_changed_at=now - timedelta(days=1))
    lost_excerpt = signed_off(claim_at(2), reviewer)
    cite(lost_excerpt, analyst, "https://example.org/edited", excerpt_found=False)
    fine = signed_off(claim_at(3), reviewer, at=now - timedelta(days=1))
    cite(fine, analyst, "https://example.org/fine", source_changed_at=now - timedelta(days=2))

    disputed = claim_at(4, verdict=Verdict.VERIFIED)
    services.assessment_submit(claim=disputed, analyst=other_analyst, verdict=Verdict.DISPUTED)
    orphan = claim_at(5, verdict=Verdict.VERIFIED)
    Claim.objects.filter(pk=orphan.pk).update(is_orphaned=True, sign_off_withdrawn_at=now)
    withdrawn = claim_at(6, verdict=Verdict.VERIFIED)
    Claim.objects.filter(pk=withdrawn.pk).update(sign_off_withdrawn_at=now)
    awaiting = claim_at(7, verdict=Verdict.UNSOURCED)
    claim_at(8)  # pending: nothing for a reviewer yet
    return {
        "broken": broken,
        "changed": changed,
        "lost_excerpt": lost_excerpt,
        "fine": fine,
        "disputed": disputed,
        "orphan": orphan,
        "withdrawn": withdrawn,
        "awaiting": awaiting,
    }


def kinds_and_ids(queue) -> list[tuple[str, int]]:
    return [(row.kind, row.claim_id) for row in queue.rows]


def test_the_queue_lists_each_kind_most_urgent_first(one_of_each):
    c = one_of_each
    queue = review_queue()
    # Within a kind the oldest trouble first: the changed source (a day ago) before the
    # broken link and the lost excerpt (checked now / signed off two days ago).
    assert kinds_and_ids(queue) == [
        (K.EVIDENCE_BROKEN, c["lost_excerpt"].pk),
        (K.EVIDENCE_BROKEN, c["changed"].pk),
        (K.EVIDENCE_BROKEN, c["broken"].pk),
        (K.DISAGREEMENT, c["disputed"].pk),
        (K.ORPHANED, c["orphan"].pk),
        (K.SIGN_OFF_WITHDRAWN, c["withdrawn"].pk),
        (K.AWAITING_SIGN_OFF, c["awaiting"].pk),
    ]
    assert queue.counts == {
        K.EVIDENCE_BROKEN: 3,
        K.DISAGREEMENT: 1,
        K.ORPHANED: 1,
        K.SIGN_OFF_WITHDRAWN: 1,
        K.AWAITING_SIGN_OFF: 1,
    }
    assert queue.total == 7


def test_a_claim_in_two_kinds_is_listed_once_under_the_more_urgent(one_of_each):
    # The orphan also had its sign-off withdrawn by the import: it is listed as orphaned.
    queue = review_queue()
    ids = [row.claim_id for row in queue.rows]
    assert len(ids) == len(set(ids))
    assert (K.ORPHANED, one_of_each["orphan"].pk) in kinds_and_ids(queue)
    assert queue.counts[K.SIGN_OFF_WITHDRAWN] == 1


def test_deleted_claims_and_decided_disagreements_leave_the_queue(one_of_each, reviewer):
    services.claim_decide(
        claim=one_of_each["disputed"], reviewer=reviewer, verdict=Verdict.DISPUTED, reason="x"
    )
    services.claim_delete(claim=one_of_each["awaiting"], actor=reviewer)
    queue = review_queue()
    assert queue.counts[K.DISAGREEMENT] == 0
    # The decision is a final verdict not yet signed off: it waits for a sign-off now.
    assert (K.AWAITING_SIGN_OFF, one_of_each["disputed"].pk) in kinds_and_ids(queue)
    assert one_of_each["awaiting"].pk not in [r.claim_id for r in queue.rows]


def test_signing_off_takes_a_claim_out_and_a_later_edit_brings_it_back(one_of_each, reviewer):
    awaiting = one_of_each["awaiting"]
    services.claim_sign_off(claim=awaiting, reviewer=reviewer)
    assert awaiting.pk not in [r.claim_id for r in review_queue().rows]
    services.claim_update(claim=awaiting, actor=reviewer, verdict=Verdict.DISPUTED)
    assert (K.SIGN_OFF_WITHDRAWN, awaiting.pk) in kinds_and_ids(review_queue())


def test_the_kind_filter_and_its_pages(one_of_each):
    queue = review_queue(kind=K.EVIDENCE_BROKEN, page_size=2)
    assert [r.kind for r in queue.rows] == [K.EVIDENCE_BROKEN] * 2
    assert (queue.total, queue.num_pages, queue.has_next) == (3, 2, True)
    second = review_queue(kind=K.EVIDENCE_BROKEN, page=2, page_size=2)
    assert [r.claim_id for r in second.rows] == [one_of_each["broken"].pk]
    # A page that straddles two kinds continues where the first page stopped.
    pages = [kinds_and_ids(review_queue(page=p, page_size=3)) for p in (1, 2, 3)]
    assert [row for page in pages for row in page] == kinds_and_ids(review_queue())
    assert review_queue(page=9).rows == []


def test_the_article_and_assigned_filters(one_of_each, uk_article, claim_at, reviewer):
    elsewhere = claim_at(0, article=uk_article, verdict=Verdict.VERIFIED)
    assert review_queue(article_id=uk_article.pk).counts[K.AWAITING_SIGN_OFF] == 1
    assert [r.claim_id for r in review_queue(article_id=uk_article.pk).rows] == [elsewhere.pk]
    assert review_queue(assigned_to=reviewer.pk).total == 0
    services.article_assign(article=uk_article, analysts=[reviewer], reviewer=reviewer)
    mine = review_queue(assigned_to=reviewer.pk)
    assert [r.claim_id for r in mine.rows] == [elsewhere.pk]
    assert mine.counts[K.EVIDENCE_BROKEN] == 0


def _queries(**kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        queue = review_queue(**kwargs)
        assert queue.rows
    return len(ctx.captured_queries)


def test_the_queue_runs_three_queries_whatever_its_size(one_of_each, claim_at, reviewer):
    small = _queries(), _queries(page_size=3, page=2)
    for n in range(10, 40):
        claim = claim_at(n, verdict=Verdict.VERIFIED)
        if n % 3 == 0:
            signed = signed_off(claim, reviewer)
            cite(signed, reviewer, f"https://example.org/{n}", excerpt_found=False)
    assert (_queries(), _queries(page_size=3, page=2)) == small == (3, 3)


# --- The pages: the admin view and the API


def test_the_admin_page_lists_the_rows_with_both_links(client, reviewer, one_of_each):
    client.force_login(reviewer)
    url = reverse("admin:annotations_claim_review_queue")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    disputed = one_of_each["disputed"]
    assert f'href="/articles/{disputed.article_id}/#claim={disputed.pk}"' in html
    assert f'href="/admin/annotations/claim/{disputed.pk}/change/"' in html
    assert 'data-count="evidence_broken">3<' in html
    assert html.count("<tr data-kind=") == 7
    filtered = client.get(url, {"kind": K.ORPHANED}).content.decode()
    assert filtered.count("<tr data-kind=") == 1
    assert client.get(url, {"kind": "nonsense", "article": "x", "page": "-1"}).status_code == 200


def test_the_admin_page_runs_a_fixed_number_of_queries(
    client, reviewer, one_of_each, claim_at, django_assert_num_queries
):
    client.force_login(reviewer)
    url = reverse("admin:annotations_claim_review_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(10, 30):
        claim_at(n, verdict=Verdict.DISPUTED)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_analysts_are_kept_out_of_the_queue(client, analyst, one_of_each):
    staff_analyst = analyst
    staff_analyst.is_staff = True
    staff_analyst.save(update_fields=["is_staff"])
    client.force_login(staff_analyst)
    assert client.get(reverse("admin:annotations_claim_review_queue")).status_code == 403
    assert client.get("/api/v1/review-queue/").status_code == 403
    changelist = client.get(reverse("admin:annotations_claim_changelist")).content.decode()
    assert "Review queue" not in changelist


def test_analysts_who_are_not_staff_are_not_in_the_admin(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("admin:annotations_claim_review_queue"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_api_answers_rows_and_counts(client, reviewer, one_of_each):
    client.force_login(reviewer)
    data = client.get("/api/v1/review-queue/").json()
    assert data["counts"][K.EVIDENCE_BROKEN] == 3
    assert data["total"] == 7
    first = data["rows"][0]
    lost = one_of_each["lost_excerpt"]
    assert first == {
        "kind": K.EVIDENCE_BROKEN,
        "claim": lost.pk,
        "article": lost.article_id,
        "quote": lost.quote,
        "since": first["since"],
        "annotator_url": f"/articles/{lost.article_id}/#claim={lost.pk}",
        "admin_url": f"/admin/annotations/claim/{lost.pk}/change/",
    }
    only = client.get("/api/v1/review-queue/", {"kind": K.DISAGREEMENT}).json()
    assert [r["claim"] for r in only["rows"]] == [one_of_each["disputed"].pk]
    mine = client.get("/api/v1/review-queue/", {"assigned_to_me": "1"}).json()
    assert mine["rows"] == []


def test_the_claim_page_links_to_the_annotator_and_the_changelist_to_the_queue(
    client, reviewer, one_of_each
):
    client.force_login(reviewer)
    claim = one_of_each["awaiting"]
    page = client.get(reverse("admin:annotations_claim_change", args=[claim.pk])).content.decode()
    assert f'href="/articles/{claim.article_id}/#claim={claim.pk}"' in page
    changelist = client.get(reverse("admin:annotations_claim_changelist")).content.decode()
    assert reverse("admin:annotations_claim_review_queue") in changelist
    annotator = client.get(f"/articles/{claim.article_id}/").context["config"]
    assert annotator["admin_claim_url"] == "/admin/annotations/claim/0/change/"


def test_the_annotator_offers_analysts_no_desk_link(client, analyst, ru_article):
    client.force_login(analyst)
    assert client.get(f"/articles/{ru_article.pk}/").context["config"]["admin_claim_url"] is None


def test_the_api_refuses_bad_parameters(client, reviewer, analyst):
    client.force_login(reviewer)
    for params in ({"kind": "nonsense"}, {"page": "0"}, {"article": "x"}, {"sort": "id"}):
        assert client.get("/api/v1/review-queue/", params).status_code == 400, params
    client.force_login(analyst)
    assert client.get("/api/v1/review-queue/", {"kind": "nonsense"}).status_code == 403


def test_every_kinds_count_is_its_rows(one_of_each, claim_at, reviewer, other_analyst):
    # The counts classify groups of flags, the rows filter by conditions: one rule, held here.
    for n in range(10, 30):
        claim = claim_at(n, verdict=Verdict.VERIFIED if n % 2 else Verdict.PENDING)
        if n % 3 == 0:
            services.assessment_submit(claim=claim, analyst=other_analyst, verdict=Verdict.DISPUTED)
        if n % 5 == 0:
            Claim.objects.filter(pk=claim.pk).update(is_orphaned=True)
        if n % 7 == 0:
            cite(signed_off(claim, reviewer), reviewer, f"https://example.org/x{n}")
    queue = review_queue()
    for kind, count in queue.counts.items():
        assert len(review_queue(kind=kind, page_size=1000).rows) == count, kind
    assert len(review_queue(page_size=1000).rows) == queue.total


def pin_copy(evidence: Evidence, captured_at) -> Snapshot:
    """The copy the citation was pinned to when it was cited (the row alone: the queue reads
    rows, not files)."""
    snapshot = Snapshot.objects.create(
        source_link=evidence.source_link,
        captured_at=captured_at,
        url=evidence.url,
        http_status=200,
        content_type="text/html",
        body_sha256="0" * 64,
        size=10,
        storage_key=f"{evidence.source_link_id}/copy-{evidence.pk}.warc.gz",
        stored_bytes=100,
        warc_record_id=f"<urn:uuid:{evidence.pk}>",
    )
    Evidence.objects.filter(pk=evidence.pk).update(pinned_snapshot=snapshot)
    return snapshot


@pytest.mark.parametrize("outcome", LinkOutcome.gone())
def test_a_signed_off_claim_whose_page_is_gone_offers_its_archived_copy(
    client, reviewer, one_of_each, outcome, django_assert_num_queries
):
    broken = one_of_each["broken"]
    evidence = broken.evidence.get()
    SourceLink.objects.filter(pk=evidence.source_link_id).update(outcome=outcome)
    when = timezone.now() - timedelta(days=5)
    snapshot = pin_copy(evidence, when)
    # A changed (not gone) source with a pinned copy offers none: the page is still there.
    changed = one_of_each["changed"].evidence.get()
    pin_copy(changed, when)
    with django_assert_num_queries(3):
        rows = {row.claim_id: row for row in review_queue().rows}
    assert (rows[broken.pk].archived_snapshot_id, rows[broken.pk].archived_evidence_id) == (
        snapshot.pk,
        evidence.pk,
    )
    assert rows[broken.pk].archived_at == snapshot.captured_at
    assert rows[one_of_each["changed"].pk].archived_snapshot_id is None
    client.force_login(reviewer)
    html = client.get(reverse("admin:annotations_claim_review_queue")).content.decode()
    link = reverse("archive-view", args=[snapshot.pk]) + f"?evidence={evidence.pk}"
    assert f'href="{link}" class="archived-copy">archived copy from {when:%Y-%m-%d %H:%M}<' in html
    assert html.count("archived copy from") == 1


def test_a_blocked_link_or_one_without_a_copy_offers_none(one_of_each):
    broken = one_of_each["broken"]
    evidence = broken.evidence.get()
    assert all(r.archived_snapshot_id is None for r in review_queue().rows)  # none archived
    pin_copy(evidence, timezone.now())
    SourceLink.objects.filter(pk=evidence.source_link_id).update(outcome=LinkOutcome.BLOCKED)
    row = next(r for r in review_queue().rows if r.claim_id == broken.pk)
    assert row.archived_snapshot_id is None
