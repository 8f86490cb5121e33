"""axe-core (from the locked npm package, injected from the local file) on the desk's pages."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.ui.test_browser import SENTENCE, add_claim, analyst_user, reviewer_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Django's own admin markup is not the desk's; its violations are not ours to fix here.
ADMIN_OWN = ["#header", "#nav-sidebar", "#toggle-nav-sidebar", ".breadcrumbs", "#footer"]


def axe_violations(b, exclude: list[str] | None = None) -> list[str]:
    """axe-core's violations on ``b``'s page.

    axe-core adds a <style> element of its own while it runs, which the admin's CSP rightly
    refuses; those refusals are the tool's, so they are taken out of the page's errors.
    """
    page = b.page
    errors_before = len(b.errors)
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make node_modules/.installed` (make test does)")
    # Evaluated through the DevTools protocol: the page's CSP rightly refuses an injected tag.
    page.evaluate(AXE.read_text())
    context = {"exclude": [[sel] for sel in exclude or []]} if exclude else None
    result = page.evaluate(
        """async (context) => {
            const r = await axe.run(context || document, {resultTypes: ['violations']});
            return r.violations.map((v) => ({id: v.id, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)}));
        }""",
        context,
    )
    b.errors[errors_before:] = [
        e for e in b.errors[errors_before:] if not e.startswith("Applying inline style violates")
    ]
    return [json.dumps(v, ensure_ascii=False) for v in result]


def test_login_page(open_browser, live_server):
    b = open_browser()
    b.page.goto("/accounts/login/")
    assert axe_violations(b) == []


def test_article_list(open_browser, live_seeds, analyst_user):  # noqa: F811
    b = open_browser()
    b.login("olena", "pw-olena")
    assert axe_violations(b) == []


def test_exports_page(open_browser, live_seeds, analyst_user):  # noqa: F811
    b = open_browser()
    b.login("olena", "pw-olena")
    b.page.goto("/exports/")
    assert axe_violations(b) == []


def test_annotator_with_a_claim_open(open_browser, live_seeds, analyst_user):  # noqa: F811
    from annotations import services

    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    add_claim(ru, "президент Венесуэлы написал письмо", analyst_user)
    services.evidence_add(
        claim=claim, actor=analyst_user, url="https://example.org/a", title="A", note="n"
    )
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={claim.pk}")
    b.page.wait_for_selector("#claim-detail:not([hidden])")
    assert axe_violations(b) == []


def test_admin_claim_page(open_browser, live_seeds, analyst_user, reviewer_user):  # noqa: F811
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    b = open_browser()
    b.page.goto("/admin/login/")
    b.page.get_by_label("Username").fill("iryna")
    b.page.get_by_label("Password").fill("pw-iryna")
    b.page.get_by_role("button", name=re.compile("Log in")).click()
    b.page.goto(f"/admin/annotations/claim/{claim.pk}/change/")
    b.page.wait_for_selector("#content")
    assert axe_violations(b, exclude=ADMIN_OWN) == []


def test_axe_does_report_a_violation(open_browser, live_server):
    """The check can fail: an image without a text alternative is reported."""
    b = open_browser()
    b.page.goto("/accounts/login/")
    b.page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert any('"image-alt"' in v for v in axe_violations(b))
