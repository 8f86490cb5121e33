"""An anonymous walk of the whole public site finds nothing that was not published.

It starts from the index, the feed and the sitemap, follows every link it finds (HTML
attributes, Atom links, sitemap locations, JSON-LD addresses) inside the site, and checks
every response for the markers of unpublished claims, and every link for where it goes.
"""

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from annotations import selectors_public
from tests.public_support import SOURCE_URL, WAYBACK, build_public_desk, build_public_groups

DESK_URL = "https://factcheck.example.org/"
STARTS = ["/fact-checks/", "/fact-checks/feed/", "/sitemap.xml"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src", "action", "formaction"):
            if found.get(name):
                self.links.append(found[name] or "")
        self._in_json_ld = tag == "script" and found.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.scripts.append(data)
            self._in_json_ld = False


def json_urls(value: object) -> list[str]:
    if isinstance(value, dict):
        return [u for v in value.values() for u in json_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in json_urls(v)]
    return [value] if isinstance(value, str) and re.match(r"https?://", value) else []


def links_of(path: str, response) -> list[str]:
    kind = response["Content-Type"]
    if kind.startswith("text/html"):
        parser = Links()
        parser.feed(response.content.decode())
        ld = [u for text in parser.scripts for u in json_urls(json.loads(text))]
        assert not parser.scripts or ld, path
        return [urljoin(path, link) for link in parser.links] + ld
    root = ET.fromstring(response.content)
    return [e.get("href") or e.text or "" for e in root.iter() if e.tag.endswith(("link", "loc"))]


@pytest.fixture
def desk(ru_article, uk_article, analyst, reviewer, settings):
    settings.DESK_URL = DESK_URL
    desk = build_public_desk(ru_article, uk_article, analyst, reviewer)
    desk.groups = build_public_groups(ru_article, uk_article, analyst, reviewer)
    desk.markers += desk.groups.markers
    return desk


def test_anonymous_walk_finds_only_published_material(desk, client):
    published = desk.published
    outside = {
        SOURCE_URL,
        "https://www.washingtonpost.com/",  # the publication (itemReviewed.author)
        "https://example.org/letter",  # the published evidence
        *(f"https://example.org/group-letter/{n}" for n in range(2)),  # the groups' evidence
        WAYBACK,  # and its archived copy
        "https://schema.org",
        DESK_URL,  # the desk as the review's author
        "data:,",  # the empty favicon
    }
    seen: set[str] = set()
    queue = list(STARTS)
    pages = 0
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies, f"{path} sets a cookie"
        pages += 1
        text = unquote(response.content.decode())
        for marker in desk.markers:
            assert marker not in text, f"{marker!r} on {path}"
        for link in links_of(path, response):
            if link.startswith(DESK_URL) and link != DESK_URL:
                link = "/" + link[len(DESK_URL) :]
            if link.startswith("/"):
                parts = urlsplit(link)
                assert not parts.path.startswith(("/api/", "/admin/", "/archive/", "/articles/"))
                if parts.path.startswith("/static/"):
                    continue
                queue.append(link)
            else:
                assert link in outside, f"{path} links outside the public site: {link}"
    public = selectors_public.public_path(published)
    groups = {selectors_public.group_path(g) for g in desk.groups.published}
    assert {"/fact-checks/", "/fact-checks/feed/", "/sitemap.xml", public, *groups} <= seen
    assert pages >= 6
    # The addresses of what was taken down, or never published, show nothing of it either.
    for claim in desk.hidden:
        response = client.get(f"/fact-checks/{claim.pk}-{claim.public_slug or 'claim'}/")
        assert response.status_code in (404, 410)
        for marker in desk.markers:
            assert marker not in unquote(response.content.decode())
    for group in desk.groups.hidden:
        response = client.get(selectors_public.group_path(group))
        assert response.status_code == (410 if group.public_slug else 404)
        for marker in desk.markers:
            assert marker not in unquote(response.content.decode())


def test_the_walk_notices_an_unpublished_marker(desk, client, reviewer):
    """The walk can fail: publish a hidden claim and its marker is found."""
    from annotations import services

    never = desk.hidden[0]
    services.claim_publish(claim=never, reviewer=reviewer)
    text = unquote(client.get("/fact-checks/").content.decode())
    assert never.quote[:40] in text


def test_the_walk_notices_an_unpublished_group(desk, client, reviewer):
    """The walk can fail for groups too: publish the never-published one and it is listed."""
    from annotations import services
    from annotations.models import Claim

    never = desk.groups.hidden[0]
    services.claim_group_publish(group=never, reviewer=reviewer)
    text = unquote(client.get("/fact-checks/").content.decode())
    assert any(c.quote[:30] in text for c in Claim.objects.filter(group=never))


def test_the_service_and_the_selector_agree_on_every_group(desk):
    """``claim_group_is_public`` (one group, in Python) and ``public_groups`` (SQL) are one rule."""
    from annotations import services
    from annotations.models import Claim, ClaimGroup

    listed = set(selectors_public.public_groups().values_list("pk", flat=True))
    assert listed == {g.pk for g in desk.groups.published}
    for group in ClaimGroup.objects.all():
        members = list(Claim.objects.filter(group=group))
        assert services.claim_group_is_public(group, members) == (group.pk in listed), group.pk
