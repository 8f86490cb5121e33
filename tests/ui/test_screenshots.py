"""Screenshots of the main screens, taken from the real pages with the demo data.

Run ``make screenshots`` (WRITE_SCREENSHOTS=1) to refresh docs/screenshots/; otherwise the
pictures go to a temporary folder, so the test still checks that every screen renders.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from annotations import services
from annotations.models import Claim, LinkOutcome, SourceLink, Verdict

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def _demo_claims(article, analyst) -> Claim:
    def add(quote: str, **kwargs) -> Claim:
        start = article.body.index(quote)
        return services.claim_create(
            article=article,
            start=start,
            end=start + len(quote),
            quote=quote,
            author=analyst,
            **kwargs,
        )

    add("Николас Мадуро также обращался к Китаю и Ирану", verdict=Verdict.DISPUTED)
    add("к Китаю", verdict=Verdict.PENDING)
    add("в 2013 году", verdict=Verdict.VERIFIED)
    claim = Claim.objects.get(article=article, quote__startswith="президент Венесуэлы")
    services.evidence_add(
        claim=claim,
        actor=analyst,
        url="https://example.org/moved",
        title="Kremlin comment (moved)",
        excerpt="Пресс-служба Кремля не комментировала письмо.",
        stance="context",
    )
    services.evidence_add(
        claim=claim, actor=analyst, url="https://example.org/gone", title="Gone", stance="refutes"
    )
    now = timezone.now()
    SourceLink.objects.filter(url__contains="washingtonpost").update(
        outcome=LinkOutcome.OK, http_status=200, last_checked_at=now
    )
    SourceLink.objects.filter(url__endswith="/moved").update(
        outcome=LinkOutcome.REDIRECTED,
        http_status=301,
        final_url="https://example.org/new",
        last_checked_at=now,
    )
    SourceLink.objects.filter(url__endswith="/gone").update(
        outcome=LinkOutcome.BROKEN, http_status=404, last_checked_at=now
    )
    return claim


def test_screenshots_of_the_main_screens(open_browser, live_seeds, tmp_path):
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    ru = live_seeds["ru"]
    from django.contrib.auth import get_user_model

    analyst = get_user_model().objects.get(username="analyst")
    claim = _demo_claims(ru, analyst)

    b = open_browser()
    page = b.page
    page.goto("/accounts/login/")
    page.screenshot(path=out / "login.png")
    b.login("analyst", "analyst-demo")
    page.screenshot(path=out / "article-list.png", full_page=True)

    b.open_article(ru, f"#claim={claim.pk}")
    page.wait_for_selector("#claim-detail:not([hidden])")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=out / "annotator.png")

    b.select_text("Кроме того, как свидетельствуют документы")
    page.locator("#selection-toolbar").wait_for(state="visible")
    page.screenshot(path=out / "selection-toolbar.png")

    page.keyboard.press("Escape")
    page.locator("body").focus()
    page.keyboard.press("?")
    page.screenshot(path=out / "shortcuts.png")
    page.keyboard.press("Escape")

    # The claim list on its own: text order, verdicts, trailing context.
    page.locator("#close-detail").click()
    page.locator("#panel").screenshot(path=out / "claim-list.png")
    page.locator("#claim-list .claim-item").first.click()

    # Delete asks first, saying what goes with the claim.
    page.get_by_role("button", name="Delete claim").click()
    page.locator("#confirm-dialog").wait_for(state="visible")
    page.screenshot(path=out / "delete-confirm.png")
    page.locator("#confirm-dialog").get_by_role("button", name="Keep the claim").click()

    # A conflict: someone else changes the claim while the analyst types.
    services.claim_update(claim=claim, actor=analyst, verdict=Verdict.DISPUTED)
    page.get_by_label("Rationale").fill("Only WP reports the letter; no second source yet.")
    page.get_by_role("button", name="Save rationale").click()
    page.locator("#conflict").wait_for(state="visible")
    page.locator("#panel").screenshot(path=out / "conflict.png")

    # A 390-px phone: the article list, the text, and a tapped claim in its tab.
    phone = b.context.browser.new_context(
        base_url=b.page.url.split("/articles/")[0],
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        locale="en-GB",
    )
    try:
        mobile = phone.new_page()
        mobile.goto("/accounts/login/")
        mobile.get_by_label("Username").fill("analyst")
        mobile.get_by_label("Password").fill("analyst-demo")
        mobile.get_by_role("button", name="Log in").click()
        mobile.wait_for_selector(".article-table")
        mobile.screenshot(path=out / "phone-article-list.png")
        mobile.goto(f"/articles/{ru.pk}/")
        mobile.wait_for_selector("#annotator[data-ready='1']")
        mobile.screenshot(path=out / "phone-annotator.png")
        mobile.locator(f"mark[data-claims~='{claim.pk}']").first.tap()
        mobile.wait_for_selector("#claim-detail:not([hidden])")
        mobile.screenshot(path=out / "phone-claim.png")
    finally:
        phone.close()

    # Blind double-checking: the analyst joined a span another analyst judged already.
    uk = live_seeds["uk"]
    uk.blind_review = True
    uk.save(update_fields=["blind_review"])
    quote = uk.body[uk.body.index(".") + 2 :][:60].rsplit(" ", 1)[0]
    start = uk.body.index(quote)
    span = {"article": uk, "start": start, "end": start + len(quote), "quote": quote}
    from tests import support

    services.claim_create(
        **span,
        author=support.cast_user("other_analyst"),
        verdict=Verdict.DISPUTED,
        rationale="Hidden until the analyst submits.",
    )
    blind = services.claim_create(**span, author=analyst)
    # A fresh tab: the first one holds unsaved input from the conflict above.
    tab = b.context.new_page()
    tab.goto(f"/articles/{uk.pk}/#claim={blind.pk}")
    tab.wait_for_selector("#blind-note:not([hidden])")
    tab.locator("#panel").screenshot(path=out / "blind-review.png")

    screens = ("login", "article-list", "annotator", "selection-toolbar", "shortcuts")
    phones = ("phone-article-list", "phone-annotator", "phone-claim")
    for name in (*screens, "claim-list", "delete-confirm", "conflict", "blind-review", *phones):
        assert (out / f"{name}.png").stat().st_size > 5_000


def test_screenshot_of_the_agreement_page(open_browser, live_seeds, tmp_path):
    """The review desk's agreement page: two analysts who judged the same claims."""
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    from django.contrib.auth import get_user_model

    from tests import support

    analyst = get_user_model().objects.get(username="analyst")
    second = support.make_user("mykola", services.ANALYST, first_name="Mykola", last_name="K.")
    judged = {
        "Николас Мадуро также обращался к Китаю и Ирану": ("disputed", "disputed"),
        "президент Венесуэлы написал письмо": ("verified", "verified"),
        "ремонте радаров и военных самолетов": ("verified", "unsourced"),
        "Пресс-служба": ("unsourced", "unsourced"),
    }
    for article in live_seeds.values():
        for quote, (first, other) in judged.items():
            if quote not in article.body:
                continue
            start = article.body.index(quote)
            claim = services.claim_create(
                article=article,
                start=start,
                end=start + len(quote),
                quote=quote,
                author=analyst,
                verdict=first,
            )
            services.assessment_submit(claim=claim, analyst=second, verdict=other)

    b = open_browser()
    b.login("reviewer", "reviewer-demo")
    b.page.goto("/admin/agreement/")
    b.page.wait_for_selector("#agreement-articles")
    b.page.screenshot(path=out / "agreement.png", full_page=True)
    assert (out / "agreement.png").stat().st_size > 5_000


def test_screenshots_of_the_sign_off_safeguards(open_browser, live_seeds, tmp_path):
    """The annotator asking before a change withdraws a sign-off; the admin's bulk sign-off page."""
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    ru = live_seeds["ru"]
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    analyst, reviewer = users.get(username="analyst"), users.get(username="reviewer")
    claim = _demo_claims(ru, analyst)
    services.claim_update(claim=claim, actor=analyst, rationale="WP cites the letter itself.")
    claim = services.claim_sign_off(claim=claim, reviewer=reviewer)
    ready = Claim.objects.get(article=ru, quote="в 2013 году")  # nothing in the way: pre-ticked
    services.claim_update(claim=ready, actor=analyst, rationale="The 2013 visit is on record.")
    services.evidence_add(claim=ready, actor=analyst, url="https://example.org/2013")
    SourceLink.objects.filter(url="https://example.org/2013").update(outcome=LinkOutcome.OK)

    b = open_browser()
    page = b.page
    b.login("analyst", "analyst-demo")
    b.open_article(ru, f"#claim={claim.pk}")
    page.locator("#verdict-field").get_by_text("Unsourced").click()
    page.locator("#confirm-dialog").wait_for(state="visible")
    page.screenshot(path=out / "sign-off-withdraw-confirm.png")
    page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()

    desk = open_browser()
    desk.login("reviewer", "reviewer-demo")
    admin = desk.page
    admin.goto("/admin/annotations/claim/?signed_off=no")
    admin.locator("#action-toggle").check()
    admin.locator("select[name=action]").select_option("sign_off")
    admin.get_by_role("button", name="Run").or_(admin.get_by_role("button", name="Go")).click()
    admin.wait_for_selector("#sign-off-claims")
    admin.screenshot(path=out / "sign-off-confirmation.png", full_page=True)
    admin.get_by_role("link", name="Cancel: sign nothing off").click()
    admin.wait_for_selector("#result_list")
    assert not Claim.objects.filter(signed_off_by=reviewer).exclude(pk=claim.pk).exists()

    for name in ("sign-off-withdraw-confirm", "sign-off-confirmation"):
        assert (out / f"{name}.png").stat().st_size > 5_000


def test_screenshots_of_the_discussion_and_the_inbox(open_browser, live_seeds, tmp_path):
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    ru = live_seeds["ru"]
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    analyst, reviewer = users.get(username="analyst"), users.get(username="reviewer")
    claim = _demo_claims(ru, analyst)
    services.comment_add(
        claim=claim, author=analyst, body="Only WP has the letter. @reviewer, enough to verify?"
    )
    services.claim_decide(
        claim=claim,
        reviewer=reviewer,
        verdict=Verdict.VERIFIED,
        reason="WP saw the letter; the Kremlin does not deny it.",
        comment="Verified on WP's word, @analyst: add the Kremlin's comment as context.",
    )
    services.claim_sign_off(claim=claim, reviewer=reviewer)

    b = open_browser()
    page = b.page
    b.login("analyst", "analyst-demo")
    page.goto("/inbox/")
    page.locator(".inbox-line").first.wait_for()
    page.screenshot(path=out / "inbox.png")

    page.locator(".inbox-line .inbox-message").first.click()
    b.wait_ready()
    page.locator("#comment-list .comment").nth(1).wait_for()
    page.locator(".discussion").scroll_into_view_if_needed()
    page.locator("#panel").screenshot(path=out / "discussion.png")


def test_screenshot_of_the_review_queue(open_browser, live_seeds, tmp_path):
    """The review queue on the demo desk: a disagreement first, then what awaits a sign-off."""
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    b = open_browser()
    b.login("reviewer", "reviewer-demo")
    b.page.goto("/admin/annotations/claim/review-queue/")
    b.page.wait_for_selector("#result_list")
    assert b.page.locator("#result_list tbody tr").first.get_attribute("data-kind") == (
        "disagreement"
    )
    b.page.screenshot(path=out / "review-queue.png", full_page=True)
    assert (out / "review-queue.png").stat().st_size > 5_000


def test_screenshots_of_the_archive_viewer(open_browser, live_seeds, tmp_path):
    """The archive viewer on a cited page that was edited since: the page and the changes."""
    from django.contrib.auth import get_user_model

    from tests.ui.test_archive_viewer import archive_page

    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    analyst = get_user_model().objects.get(username="analyst")
    page_of = (
        "<!doctype html><html><head><title>Ministry statement</title></head><body>"
        "<nav>Home · World · Politics</nav><article><h1>The ministry's statement</h1>"
        "<p>The ministry said on Monday that the letter was sent in March.</p>"
        "<p>{middle}</p><p>Officials declined to comment on the content of the letter.</p>"
        "</article><footer>Most read today</footer></body></html>"
    )
    url = "https://example.org/statement"
    archive_page(url, page_of.format(middle="Two diplomats confirmed its delivery.").encode())
    claim = live_seeds["ru"].claims.first() or _demo_claims(live_seeds["ru"], analyst)
    evidence = services.evidence_add(
        claim=claim, actor=analyst, url=url, excerpt="the letter was sent in March"
    )
    archive_page(url, page_of.format(middle="One diplomat denied it was delivered.").encode())
    evidence.refresh_from_db()
    assert evidence.pinned_snapshot is not None

    b = open_browser()
    b.login("analyst", "analyst-demo")
    viewer = f"/archive/{evidence.pinned_snapshot.pk}/?evidence={evidence.pk}"
    b.page.goto(viewer)
    b.page.frame_locator("iframe.archive-frame").locator("h1").wait_for()
    b.page.screenshot(path=out / "archive-viewer.png")
    b.page.goto(viewer + "&tab=changes")
    b.page.locator(".archive-diff").wait_for()
    b.page.screenshot(path=out / "archive-changes.png")
    for name in ("archive-viewer", "archive-changes"):
        assert (out / f"{name}.png").stat().st_size > 5_000


def test_screenshot_of_the_exports_page(open_browser, live_seeds, tmp_path):
    """A background export started from the page, then written (as the worker would)."""
    from annotations.models import ExportJob

    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    b = open_browser()
    b.login("reviewer", "reviewer-demo")
    b.page.goto("/exports/")
    b.page.get_by_label("Format").select_option("csv")
    b.page.get_by_role("button", name="Start export").click()
    b.page.wait_for_selector("text=is queued")
    b.page.get_by_label("Format").select_option("jsonl")
    b.page.get_by_label("End a jsonl file").check()
    b.page.get_by_role("button", name="Start export").click()
    b.page.wait_for_selector("text=is queued")
    for job in ExportJob.objects.order_by("id"):
        services.export_job_run(job.pk)
    b.page.goto("/exports/")
    assert b.page.get_by_role("link", name="Download").count() == 2
    b.page.screenshot(path=out / "exports.png", full_page=True)
    assert (out / "exports.png").stat().st_size > 5_000


def test_screenshot_of_adding_an_article(open_browser, live_seeds, tmp_path):
    """The "Add article" page with the preview of a pasted Ukrainian text."""
    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    from tests import support

    support.cast_user("reviewer")
    text = (DOCS.parent.parent / "fixtures" / "seeds" / "001_3e1ff92a3d920351.txt").read_text()
    b = open_browser()
    b.login("iryna", "pw-iryna")
    b.page.goto("/articles/add/")
    b.page.wait_for_selector("#add-article[data-ready='1']")
    b.page.get_by_role("tab", name="Paste text").click()
    b.page.get_by_label("The article's text").fill(text)
    b.page.get_by_role("button", name="Preview").click()
    b.page.get_by_label("Title", exact=True).wait_for()
    b.page.screenshot(path=out / "add-article.png", full_page=False)
    assert (out / "add-article.png").stat().st_size > 5_000


def test_screenshot_of_the_same_claim_elsewhere(open_browser, live_seeds, tmp_path):
    """The Russian claim linked to its Ukrainian appearance, and the matcher's suggestions."""
    import importlib.util

    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    call_command("load_demo", force=True, verbosity=0)
    matcher = importlib.util.find_spec("annotations.matching") is not None
    if matcher:
        call_command("rebuild_passages", verbosity=0)
    from django.contrib.auth import get_user_model

    reviewer = get_user_model().objects.get(username="reviewer")
    ru, uk = live_seeds["ru"], live_seeds["uk"]
    claim = Claim.objects.get(article=ru, quote__startswith="президент Венесуэлы")
    passage = (
        "Видання з посиланням на внутрішні документи уряду США пише, що Ніколас Мадуро "
        "надіслав Володимиру Путіну листа, в якому попросив допомоги в модернізації оборонних "
        "радарів і ремонті військової техніки."
    )
    start = uk.body.index(passage)
    services.claim_link(claim, article=uk, start=start, end=start + len(passage), user=reviewer)
    b = open_browser()
    page = b.page
    page.set_viewport_size({"width": 1280, "height": 1700})
    b.login("reviewer", "reviewer-demo")
    b.open_article(ru, f"#claim={claim.pk}")
    page.locator("#group-appearances .appearance").wait_for()
    if matcher:
        page.locator("#match-list .match").first.wait_for()
    section = page.locator("#same-claim")
    section.scroll_into_view_if_needed()
    section.screenshot(path=out / "same-claim.png")
    assert (out / "same-claim.png").stat().st_size > 3_000


def test_screenshot_of_a_public_fact_check_page(open_browser, live_seeds, tmp_path):
    """A published fact-check as an anonymous reader sees it: no login, no script."""
    from annotations import selectors_public
    from tests import support
    from tests.public_support import build_public_desk

    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    desk = build_public_desk(
        live_seeds["ru"],
        live_seeds["uk"],
        support.cast_user("analyst"),
        support.cast_user("reviewer"),
    )
    b = open_browser()
    errors: list[str] = []
    b.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    b.page.goto(selectors_public.public_path(desk.published))
    b.page.wait_for_selector("mark.claim-quote")
    assert b.page.locator("mark.claim-quote").inner_text() == desk.published.quote
    assert b.page.context.cookies() == []
    b.page.screenshot(path=out / "public-fact-check.png", full_page=True)
    assert (out / "public-fact-check.png").stat().st_size > 5_000
    b.page.goto("/fact-checks/")
    assert b.page.locator(".fact-check-item").count() == 1
    assert errors == []  # nothing refused by the CSP, nothing missing


def test_screenshot_of_a_public_claim_group_page(open_browser, live_seeds, tmp_path):
    """The same claim in the Russian and the Ukrainian report, published as one fact-check."""
    from annotations import selectors_public
    from tests import support
    from tests.public_support import build_group

    out = DOCS if os.environ.get("WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    ru, uk = live_seeds["ru"], live_seeds["uk"]
    ru.source_name, ru.source_url = "The Washington Post", "https://www.washingtonpost.com/"
    ru.save()
    uk.source_name = "24 Канал"
    uk.save()
    group = build_group(ru, uk, support.cast_user("analyst"), support.cast_user("reviewer"))
    b = open_browser()
    errors: list[str] = []
    b.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    b.page.set_viewport_size({"width": 1100, "height": 900})
    b.page.goto(selectors_public.group_path(group))
    b.page.wait_for_selector(".appearance mark.claim-quote")
    assert b.page.locator(".appearance").count() == 2
    labels = b.page.locator(".language-label").all_inner_texts()
    assert sorted(label.lower() for label in labels) == ["russian", "ukrainian"]
    assert b.page.context.cookies() == []
    b.page.screenshot(path=out / "public-claim-group.png", full_page=True)
    assert (out / "public-claim-group.png").stat().st_size > 5_000
    assert errors == []
