"""The API docs and the admin run in real Chromium under their policies: no CSP violation,
no script error, and not one request leaves our origin."""

import pytest

from annotations import services

pytestmark = pytest.mark.browser


def _watch_origins(browser, base_url: str) -> list[str]:
    foreign: list[str] = []
    browser.page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if not request.url.startswith((base_url, "data:", "blob:"))
            else None
        ),
    )
    return foreign


@pytest.mark.parametrize(
    ("page", "ready"),
    [
        ("/api/redoc/", "h1:has-text('Fact-checking workbench API')"),
        ("/api/docs/", ".swagger-ui .info .title"),
    ],
)
def test_docs_render_from_local_files_only(
    open_browser, live_server, live_seeds, analyst, page, ready
):
    b = open_browser()
    foreign = _watch_origins(b, live_server.url)
    b.login("olena", "pw-olena")
    b.page.goto(page)
    b.page.wait_for_selector(ready)
    b.page.wait_for_load_state("networkidle")
    assert "Fact-checking workbench API" in b.page.content()
    assert not foreign, foreign


def test_admin_works_under_the_strict_policy(
    open_browser, live_server, live_seeds, analyst, reviewer
):
    b = open_browser()
    foreign = _watch_origins(b, live_server.url)
    b.page.goto("/admin/login/")
    b.page.get_by_label("Username").fill("iryna")
    b.page.get_by_label("Password").fill("pw-iryna")
    b.page.get_by_role("button", name="Log in").click()
    b.page.wait_for_selector("#site-name")
    article = live_seeds["ru"]
    start = article.body.index("Венесуэла")
    claim = services.claim_create(
        article=article, author=analyst, quote="Венесуэла", start=start, end=start + 9
    )
    for path in (
        "/admin/annotations/claim/",
        "/admin/annotations/claim/add/",
        f"/admin/annotations/claim/{claim.pk}/change/",
        "/admin/annotations/apitoken/add/",
    ):
        b.page.goto(path)
        b.page.wait_for_load_state("networkidle")
    assert not foreign, foreign
