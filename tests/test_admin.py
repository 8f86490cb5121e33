"""The review desk: pages render, writes go through the services, queries stay bounded."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import selectors_review, services
from annotations.models import Claim, HistoryEntry, LinkOutcome, SourceLink, Verdict
from tests.conftest import span_of

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def make_many_claims(article, author, count: int) -> None:
    """Distinct spans with evidence and a checked link, built in bulk to keep setup quick."""
    link, _ = SourceLink.objects.get_or_create(
        url="https://example.org/", defaults={"outcome": LinkOutcome.BROKEN}
    )
    claims = Claim.objects.bulk_create(
        Claim(
            article=article,
            start=i,
            end=i + 5 + i % 7,
            quote=article.body[i : i + 5 + i % 7],
            verdict=list(Verdict)[i % 4],
            created_by=author,
            updated_by=author,
        )
        for i in range(count)
    )
    from annotations.models import Evidence

    Evidence.objects.bulk_create(
        Evidence(claim=c, source_link=link, url=link.url, added_by=author) for c in claims
    )


def test_reviewer_sees_the_claim_list_with_its_columns(reviewer_client, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.DISPUTED)
    services.evidence_add(claim=claim, actor=claim.created_by, url="https://example.org/a")
    response = reviewer_client.get(reverse("admin:annotations_claim_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert QUOTE in page
    assert "Disputed" in page
    assert "1 not checked" in page
    for label in ("verdict", "sign-off", "link health", "language"):
        assert f"By {label}" in page


@pytest.mark.parametrize(
    "query",
    [
        "verdict__exact=disputed",
        "signed_off=yes",
        "signed_off=no",
        "links=unhealthy",
        "links=pending",
        "links=healthy",
        "links=none",
        "article__language__exact=uk",
        "q=Путина",
    ],
)
def test_claim_list_filters_and_search(reviewer_client, seeds, make_claim, query):
    disputed = make_claim(seeds["ru"], QUOTE, verdict=Verdict.DISPUTED)
    services.evidence_add(claim=disputed, actor=disputed.created_by, url="https://example.org/p")
    make_claim(seeds["uk"], "Мадуро надіслав листа", verdict=Verdict.VERIFIED)
    response = reviewer_client.get(reverse("admin:annotations_claim_changelist") + "?" + query)
    assert response.status_code == 200
    expected = {
        "verdict__exact=disputed": 1,
        "signed_off=yes": 0,
        "signed_off=no": 2,
        "links=unhealthy": 0,
        "links=pending": 1,
        "links=healthy": 0,
        "links=none": 1,
        "article__language__exact=uk": 1,
        "q=Путина": 1,
    }[query]
    assert response.context["cl"].result_count == expected


def test_claim_page_shows_the_quote_in_its_paragraph_escaped(
    reviewer_client, ru_article, make_claim
):
    ru_article.body = ru_article.body.replace("Об этом", "<script>alert(1)</script> Об этом", 1)
    ru_article.save()
    claim = make_claim(ru_article, "Об этом сообщает")
    services.claim_update(claim=claim, actor=claim.created_by, rationale="checked <b>twice</b>")
    response = reviewer_client.get(reverse("admin:annotations_claim_change", args=[claim.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; " in page
    assert "<script>alert(1)</script>" not in page
    assert '<mark style="background:#ffe08a">Об этом сообщает</mark>' in page
    assert "со ссылкой на внутренние документы" in page  # the rest of the paragraph
    assert "О чем Венесуэла просит Россию?" not in page.split("claim-context")[1].split("</div>")[0]
    assert "Updated" not in page or "rationale" in page  # the history table is on the page
    assert "<ins>checked &lt;b&gt;twice&lt;/b&gt;</ins>" in page  # escaped, and no repr quotes


def test_reviewer_overrides_a_verdict_and_signs_off_from_the_claim_page(
    reviewer_client, reviewer, ru_article, make_claim
):
    claim = make_claim(ru_article, QUOTE)
    url = reverse("admin:annotations_claim_change", args=[claim.pk])
    start, end = span_of(ru_article, QUOTE)
    response = reviewer_client.post(
        url,
        {
            "article": ru_article.pk,
            "start": start,
            "end": end,
            "verdict": "disputed",
            "rationale": "WP does not publish the letter itself.",
            "sign_off": "on",
            "version": claim.version,
            "evidence-TOTAL_FORMS": "1",
            "evidence-INITIAL_FORMS": "0",
            "evidence-0-url": "https://www.washingtonpost.com/world/",
            "evidence-0-title": "WP",
            "evidence-0-stance": "context",
            "evidence-0-excerpt": "",
            "evidence-0-note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert claim.verdict == "disputed"
    assert claim.updated_by == reviewer
    assert claim.signed_off_by == reviewer
    assert claim.evidence.get().source_link.url == "https://www.washingtonpost.com/world/"
    actions = list(HistoryEntry.objects.filter(claim=claim).values_list("subject", "action"))
    assert ("claim", "signed_off") in actions and ("evidence", "created") in actions


def test_an_override_in_the_admin_is_a_decision_that_keeps_the_analysts_reasoning(
    reviewer_client, reviewer, ru_article, make_claim, other_analyst
):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by <WP>.")
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    url = reverse("admin:annotations_claim_change", args=[claim.pk])
    page = reviewer_client.get(url).content.decode()
    assert "Cited by &lt;WP&gt;." in page and "Disputed" in page  # both assessments, escaped
    claim.refresh_from_db()
    assert claim.in_disagreement
    start, end = span_of(ru_article, QUOTE)
    form = {
        "article": ru_article.pk,
        "start": start,
        "end": end,
        "verdict": "unsourced",
        "rationale": "Neither source holds up.",
        "version": claim.version,
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
    }
    assert reviewer_client.post(url, form).status_code == 302
    claim.refresh_from_db()
    assert (claim.verdict, claim.decided_by, claim.in_disagreement) == (
        "unsourced",
        reviewer,
        False,
    )
    assert claim.assessments.get(analyst__username="olena").rationale == "Cited by <WP>."


def test_a_stale_admin_form_is_refused(reviewer_client, ru_article, make_claim, analyst):
    claim = make_claim(ru_article, QUOTE)
    start, end = span_of(ru_article, QUOTE)
    services.claim_update(claim=claim, actor=analyst, verdict=Verdict.VERIFIED)
    response = reviewer_client.post(
        reverse("admin:annotations_claim_change", args=[claim.pk]),
        {
            "article": ru_article.pk,
            "start": start,
            "end": end,
            "verdict": "disputed",
            "rationale": "",
            "version": 1,
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Someone changed this claim while you were editing it" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verdict == Verdict.VERIFIED


def test_admin_add_form_shows_the_rule_that_failed(reviewer_client, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = reviewer_client.post(
        reverse("admin:annotations_claim_add"),
        {
            "article": ru_article.pk,
            "start": claim.start,
            "end": claim.end,
            "verdict": "pending",
            "rationale": "",
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "already has a claim on exactly this span" in response.content.decode()
    assert Claim.objects.count() == 1


def test_bulk_action_sets_the_verdict(reviewer_client, ru_article, make_claim):
    first = make_claim(ru_article, QUOTE)
    second = make_claim(ru_article, "написал письмо")
    url = reverse("admin:annotations_claim_changelist")
    ids = [first.pk, second.pk]
    reviewer_client.post(url, {"action": "mark_verified", "_selected_action": ids})
    assert set(Claim.objects.values_list("verdict", flat=True)) == {"verified"}


# Bulk sign-off goes through a confirmation page: tests/test_sign_off_confirmation.py.


def test_analyst_in_admin_cannot_change_another_analysts_claim(
    client, ru_article, make_claim, other_analyst
):
    other_analyst.is_staff = True
    other_analyst.save()
    claim = make_claim(ru_article, QUOTE)
    client.force_login(other_analyst)
    page = client.get(reverse("admin:annotations_claim_change", args=[claim.pk])).content.decode()
    assert 'name="verdict"' not in page  # read-only view
    response = client.post(
        reverse("admin:annotations_claim_change", args=[claim.pk]), {"verdict": "verified"}
    )
    assert response.status_code == 403


def test_article_page_shows_counts_per_verdict(reviewer_client, ru_article, make_claim):
    make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    make_claim(ru_article, "написал письмо", verdict=Verdict.DISPUTED)
    make_claim(ru_article, "Об этом")
    page = reviewer_client.get(
        reverse("admin:annotations_article_change", args=[ru_article.pk])
    ).content.decode()
    for label, n in (("pending", 1), ("verified", 1), ("disputed", 1), ("unsourced", 0)):
        assert f">{label}: {n}</span>" in page
    listing = reviewer_client.get(reverse("admin:annotations_article_changelist")).content.decode()
    assert "О чем Венесуэла просит Россию?" in listing
    assert "Пристрасті навколо Венесуели" in listing


def test_a_reviewer_sets_blind_review_from_the_article_list(reviewer_client, seeds):
    ru, uk = seeds["ru"], seeds["uk"]
    url = reverse("admin:annotations_article_changelist")
    listing = reviewer_client.get(url).content.decode()
    assert 'value="blind_review_on"' in listing
    chosen = {"_selected_action": [ru.pk, uk.pk]}
    response = reviewer_client.post(url, {**chosen, "action": "blind_review_on"}, follow=True)
    assert "2 article(s) now under blind review." in response.content.decode()
    ru.refresh_from_db()
    uk.refresh_from_db()
    assert (ru.blind_review, uk.blind_review) == (True, True)
    reviewer_client.post(url, {"_selected_action": [ru.pk], "action": "blind_review_default"})
    ru.refresh_from_db()
    assert ru.blind_review is None  # the desk default again
    page = reviewer_client.get(reverse("admin:annotations_article_change", args=[uk.pk]))
    assert "blind" in page.content.decode().lower()


def test_staff_who_may_not_decide_get_no_blind_review_actions(client, ru_article, other_analyst):
    other_analyst.is_staff = True
    other_analyst.save()
    client.force_login(other_analyst)
    url = reverse("admin:annotations_article_changelist")
    listing = client.get(url)
    assert listing.status_code == 200 and 'value="assign"' not in listing.content.decode()
    assert 'value="blind_review_on"' not in listing.content.decode()
    client.post(url, {"_selected_action": [ru_article.pk], "action": "blind_review_on"})
    ru_article.refresh_from_db()
    assert ru_article.blind_review is None


@pytest.mark.parametrize(
    "name",
    [
        "annotations_sourcelink_changelist",
        "annotations_historyentry_changelist",
        "annotations_article_changelist",
    ],
)
def test_other_admin_lists_render(reviewer_client, ru_article, make_claim, name):
    claim = make_claim(ru_article, QUOTE)
    services.evidence_add(claim=claim, actor=claim.created_by, url="https://example.org/x")
    assert reviewer_client.get(reverse(f"admin:{name}")).status_code == 200


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["annotations_claim_changelist", "annotations_article_changelist"])
def test_admin_lists_run_the_same_queries_for_10_and_200_claims(
    reviewer_client, seeds, analyst, name
):
    url = reverse(f"admin:{name}")
    make_many_claims(seeds["ru"], analyst, 10)
    small = count_queries(reviewer_client, url)
    make_many_claims(seeds["uk"], analyst, 190)
    Claim.objects.filter(article=seeds["uk"]).update(created_by=analyst)
    large = count_queries(reviewer_client, url)
    assert Claim.objects.count() == 200
    assert small == large
    assert large <= 12


def test_admin_span_change_is_checked_against_the_claims_article(
    reviewer_client, ru_article, make_claim
):
    claim = make_claim(ru_article, QUOTE)
    response = reviewer_client.post(
        reverse("admin:annotations_claim_change", args=[claim.pk]),
        {
            "start": claim.start,
            "end": len(ru_article.body) + 10,
            "verdict": "pending",
            "rationale": "",
            "version": claim.version,
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is past the end of the article text" in response.content.decode()
    claim.refresh_from_db()
    assert claim.quote == QUOTE


def test_orphaned_claims_are_counted_apart_everywhere(
    reviewer_client, ru_article, make_claim, client
):
    make_claim(ru_article, QUOTE)
    lost = make_claim(ru_article, "написал письмо")
    Claim.objects.filter(pk=lost.pk).update(is_orphaned=True)
    page = reviewer_client.get(
        reverse("admin:annotations_article_change", args=[ru_article.pk])
    ).content.decode()
    assert ">pending: 1</span>" in page and "1 lost after a text change" in page
    api = reviewer_client.get(f"/api/v1/articles/{ru_article.pk}/").json()
    assert api["claim_counts"]["pending"] == 1


def test_a_change_racing_the_admin_save_is_reported_not_a_500(
    reviewer_client, ru_article, make_claim, analyst, monkeypatch
):
    claim = make_claim(ru_article, QUOTE)
    real_update = services.claim_update

    def someone_else_first(**kwargs):
        # Another editor saves between the form's version check and the admin's save.
        real_update(claim=claim.pk, actor=analyst, rationale="saved first")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "claim_update", someone_else_first)
    url = reverse("admin:annotations_claim_change", args=[claim.pk])
    response = reviewer_client.post(
        url,
        {
            "start": claim.start,
            "end": claim.end,
            "verdict": "disputed",
            "rationale": "",
            "version": claim.version,
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "someone changed this claim at the same moment" in response.content.decode()
    claim.refresh_from_db()
    # Nothing of the reviewer's was written (here the simulated editor shared the rolled-back
    # transaction; a real one would have committed on its own).
    assert claim.verdict == "pending" and claim.version == 1


BODY = "First one.\n\nSecond people.\n\nThird"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 5, ("", "First", " one.")),  # in the first paragraph
        (19, 25, ("Second ", "people", ".")),  # in the middle one: nothing of its neighbours
        (6, 18, ("First ", "one.\n\nSecond", " people.")),  # over two paragraphs
        (28, 33, ("", "Third", "")),  # the last one, to the end of the text
    ],
)
def test_a_span_is_shown_within_its_paragraphs(start, end, expected):
    span = selectors_review.span_in_context(BODY, start, end)
    assert (span.before, span.quote, span.after) == expected


def test_claim_list_tells_healthy_links_from_failing_ones(reviewer_client, seeds, make_claim):
    healthy = make_claim(seeds["ru"], QUOTE)
    mixed = make_claim(seeds["uk"], "Мадуро надіслав листа")
    services.evidence_add(claim=healthy, actor=healthy.created_by, url="https://example.org/ok")
    services.evidence_add(claim=mixed, actor=mixed.created_by, url="https://example.org/ok")
    services.evidence_add(claim=mixed, actor=mixed.created_by, url="https://example.org/gone")
    SourceLink.objects.filter(url="https://example.org/ok").update(outcome=LinkOutcome.OK)
    SourceLink.objects.filter(url="https://example.org/gone").update(outcome=LinkOutcome.BROKEN)
    url = reverse("admin:annotations_claim_changelist")
    for query, expected in (("healthy", [healthy.pk]), ("unhealthy", [mixed.pk])):
        response = reviewer_client.get(f"{url}?links={query}")
        assert [c.pk for c in response.context["cl"].result_list] == expected
    page = reviewer_client.get(url).content.decode()
    assert "1 failing" in page and "fine" in page


def test_claim_page_history_keeps_removed_evidence(reviewer_client, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    evidence = services.evidence_add(
        claim=claim, actor=claim.created_by, url="https://example.org/removed"
    )
    services.evidence_remove(evidence=evidence.pk, actor=claim.created_by)
    response = reviewer_client.get(reverse("admin:annotations_claim_change", args=[claim.pk]))
    history = response.content.decode().split("<th>changes</th>")[1].split("</table>")[0]
    assert history.index("Evidence deleted") < history.index("Evidence created")
    assert "Claim created" in history and "https://example.org/removed" in history


def test_claim_page_shows_each_evidence_links_state(reviewer_client, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    services.evidence_add(claim=claim, actor=claim.created_by, url="https://example.org/a")
    SourceLink.objects.update(outcome=LinkOutcome.BROKEN, error="HTTP 404 <Not Found>")
    page = reviewer_client.get(
        reverse("admin:annotations_claim_change", args=[claim.pk])
    ).content.decode()
    assert (
        '<span class="link-state link-broken" title="HTTP 404 &lt;Not Found&gt;">Broken</span>'
        in page
    )
