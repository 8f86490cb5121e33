"""Layout: a laptop (1366x768) and a phone (390x844); overlaps and pending claims readable."""

import pytest

from annotations import services
from tests.ui.test_browser import SENTENCE, add_claim, analyst_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER = "Николас Мадуро также обращался к Китаю"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1; }""",
        selector,
    )


def test_7_the_open_claim_leaves_the_list_in_reach(open_browser, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    first = add_claim(ru, SENTENCE, analyst_user)
    second = add_claim(ru, OTHER, analyst_user)
    for n in range(6):
        services.evidence_add(claim=first, actor=analyst_user, url=f"https://example.org/{n}")
    b = open_browser()
    b.page.set_viewport_size(LAPTOP)
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={first.pk}")
    page = b.page
    page.wait_for_selector("#claim-detail:not([hidden])")
    page.evaluate("() => window.scrollTo(0, 0)")
    # The next claim is on screen beside the open one, without scrolling the page.
    assert in_viewport(page, f"#claim-list .claim-item[data-id='{second.pk}']")
    assert in_viewport(page, "#claim-detail .detail-head")
    # Each pane scrolls on its own.
    overflow = page.evaluate(
        """() => [getComputedStyle(document.getElementById('list-pane')).overflowY,
                  getComputedStyle(document.getElementById('claim-detail')).overflowY]"""
    )
    assert overflow == ["auto", "auto"]
    page.locator("#claim-detail").evaluate("(el) => el.scrollTo(0, el.scrollHeight)")
    assert in_viewport(page, f"#claim-list .claim-item[data-id='{second.pk}']")
    page.locator(f"#claim-list .claim-item[data-id='{second.pk}']").click()
    page.wait_for_function(f"() => window.annotator.currentId === {second.pk}")


def test_8_each_claim_shows_where_it_begins_and_ends(open_browser, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    outer = add_claim(ru, SENTENCE, analyst_user)
    inner = add_claim(ru, "президент Венесуэлы написал письмо", analyst_user)
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru)
    page = b.page
    edges = page.evaluate(
        """([outer, inner]) => {
            const at = (attr, id) => Array.from(document.querySelectorAll(`mark[data-${attr}]`))
                .filter((m) => m.dataset[attr].split(' ').map(Number).includes(id));
            const width = (m, side) => parseFloat(getComputedStyle(m)[`border${side}Width`]);
            return {
                innerBegins: at('begins', inner).map((m) => width(m, 'Left')),
                innerEnds: at('ends', inner).map((m) => width(m, 'Right')),
                outerBegins: at('begins', outer).map((m) => width(m, 'Left')),
                outerEnds: at('ends', outer).map((m) => width(m, 'Right')),
            };
        }""",
        [outer.pk, inner.pk],
    )
    for side, widths in edges.items():
        assert len(widths) == 1 and widths[0] >= 2, (side, widths)
    # Hovering outlines the whole claim under the pointer.
    page.locator("mark[data-begins]").nth(1).hover()
    hovered = page.evaluate(
        "() => Array.from(document.querySelectorAll('mark.is-hover'))"
        ".map((m) => m.textContent).join('')"
    )
    assert hovered == "президент Венесуэлы написал письмо"


def test_8_pending_is_as_visible_as_the_other_verdicts(open_browser, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru)
    contrast = b.page.evaluate(
        """() => {
            const lum = (rgb) => {
                const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map(Number).map((c) => {
                    c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const out = {};
            for (const el of document.querySelectorAll('.legend .legend-sample')) {
                const s = getComputedStyle(el);
                const v = [...el.classList].find((c) => c.startsWith('v-'));
                if (out[v]) continue;
                out[v] = {bg: 1.05 / (lum(s.backgroundColor) + 0.05),
                          line: parseFloat(s.textDecorationThickness)};
            }
            return out;
        }"""
    )
    others = [v for k, v in contrast.items() if k != "v-pending"]
    pending = contrast["v-pending"]
    assert pending["bg"] >= min(o["bg"] for o in others), contrast
    assert pending["line"] >= max(o["line"] for o in others), contrast


def test_13_the_article_list_fits_a_phone(open_browser, live_seeds, analyst_user):  # noqa: F811
    b = open_browser()
    b.page.set_viewport_size(PHONE)
    b.login("olena", "pw-olena")
    width = b.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_13_a_tapped_claim_scrolls_into_view_on_a_phone(
    chromium,
    live_server,
    browser_env,
    live_seeds,
    analyst_user,  # noqa: F811
):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB"
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("olena")
        page.get_by_label("Password").fill("pw-olena")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"/articles/{ru.pk}/")
        page.wait_for_selector("#annotator[data-ready='1']")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator(f"mark[data-begins='{claim.pk}']").tap()
        page.wait_for_selector("#claim-detail:not([hidden])")
        assert in_viewport(page, "#claim-detail .detail-head")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        # Tabs: the list is one tap away, then the claim again.
        page.get_by_role("tab", name="Claims").tap()
        assert page.locator("#claim-list").is_visible()
        assert not page.locator("#claim-detail").is_visible()
        page.get_by_role("tab", name="Open claim").tap()
        assert page.locator("#claim-detail").is_visible()
    finally:
        context.close()
