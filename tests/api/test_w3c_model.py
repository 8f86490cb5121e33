"""Every W3C export shape meets the Web Annotation Data Model's MUSTs (tests/w3c_model.py),
its targets select the claims in the public text they point at, and keyset pages survive
a walk during edits."""

import copy
import json

import pytest
from django.test import Client

from annotations import services
from annotations.models import Claim
from tests.api.conftest import bulk_claims
from tests.api.test_exports import EXPORT, fetch
from tests.w3c_model import problems, text_problems


def get_json(client, query: str):
    return json.loads(fetch(client, query)[1])


def served_text(url: str) -> str:
    response = Client().get(url.removeprefix("http://testserver"))  # anonymous
    assert response.status_code == 200, url
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response.content.decode("utf-8")


@pytest.fixture
def desk(ru_article, uk_article, make_claim, analyst, reviewer):
    ru = make_claim(ru_article, "Венесуэла просит Россию", verdict="disputed", rationale="Нет.")
    services.evidence_add(
        claim=ru,
        actor=analyst,
        url="https://example.org/doc",
        title="Документ",
        excerpt="выдержка 🙂",
        stance="refutes",
    )
    services.evidence_add(claim=ru, actor=analyst, url="https://example.org/ctx", stance="context")
    services.claim_sign_off(claim=ru, reviewer=reviewer)
    uk = make_claim(uk_article, "Мадуро")
    return {"ru": ru, "uk": uk}


def orphan(article, make_claim, quote: str) -> Claim:
    """A claim whose words a re-import of the article removes."""
    claim = make_claim(article, quote)
    start = article.body.index(quote)
    paragraph = article.body.rindex("\n", 0, start) + 1, article.body.index("\n", start)
    services.article_import(
        source_file=article.source_file,
        title=article.title,
        body=article.body[: paragraph[0]] + article.body[paragraph[1] :],
        language=article.language,
        published_on=article.published_on,
        source_name=article.source_name,
    )
    claim.refresh_from_db()
    assert claim.is_orphaned
    return claim


def test_the_checker_finds_breaches(reviewer_api, desk):
    collection = get_json(reviewer_api, "format=w3c")
    assert problems(collection) == []
    breaches = [
        lambda d: d.pop("@context"),
        lambda d: d.update(total=-1),
        lambda d: d.pop("first"),
        lambda d: d["first"].update(items=[]),
        lambda d: d["first"]["items"][0].pop("target"),
        lambda d: d["first"]["items"][0].update(type="Note"),
        lambda d: d["first"]["items"][0].update(modified="2024-01-01T00:00:00+02:00"),
        lambda d: d["first"]["items"][0].update(motivation="fact-checking"),
        lambda d: d["first"]["items"][0]["body"][0].pop("value"),
        lambda d: d["first"]["items"][0]["body"][0].update(purpose="verifying"),
        lambda d: d["first"]["items"][0]["body"][0].update(language="русский"),
        lambda d: d["first"]["items"][0]["target"].pop("source"),
        lambda d: d["first"]["items"][0]["target"]["selector"][0].pop("exact"),
        lambda d: d["first"]["items"][0]["target"]["selector"][1].update(start=-1),
        lambda d: d["first"]["items"][0]["target"]["state"].pop("sourceDate"),
        lambda d: d["first"].update(startIndex="0"),
        lambda d: d["first"].update(next="not an iri"),
    ]
    for breach in breaches:
        broken = copy.deepcopy(collection)
        breach(broken)
        assert problems(broken), breach
    assert problems({"@context": "http://www.w3.org/ns/anno.jsonld", "type": "X"})
    empty = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "http://x/c",
        "type": "AnnotationCollection",
        "total": 0,
        "first": "http://x/c?after=0",
    }
    assert problems(empty)


def test_collection_and_each_single_annotation(reviewer_api, desk):
    collection = get_json(reviewer_api, "format=w3c")
    assert problems(collection) == []
    items = collection["first"]["items"]
    assert len(items) == 2
    for item in items:
        single = {"@context": "http://www.w3.org/ns/anno.jsonld", **item}
        assert problems(single) == []
        assert text_problems(item, served_text(item["target"]["source"]["id"])) == []
    ru = next(i for i in items if i["id"].endswith(f"/{desk['ru'].pk}/"))
    purposes = [b["purpose"] for b in ru["body"]]
    assert purposes == [
        "assessing",
        "commenting",
        "moderating",
        ["linking", "questioning"],
        ["linking", "describing"],
    ]
    state = ru["target"]["state"]
    assert state["type"] == "TimeState" and state["cached"] == ru["target"]["source"]["id"]
    article = desk["ru"].article
    assert ru["target"]["source"]["id"].endswith(
        f"/texts/{article.slug}/{article.content_hash}.txt"
    )


def test_every_page_of_a_walk(reviewer_api, ru_article, analyst, settings):
    settings.W3C_PAGE_SIZE = 3
    bulk_claims(ru_article, 10, analyst)
    collection = get_json(reviewer_api, "format=w3c")
    assert problems(collection) == []
    seen = [a["id"] for a in collection["first"]["items"]]
    url = collection["first"].get("next")
    pages = 1
    while url:
        page = get_json(reviewer_api, url.split("?", 1)[1])
        assert problems(page) == [], page
        assert page["startIndex"] == len(seen)
        seen += [a["id"] for a in page["items"]]
        pages += 1
        if "next" not in page:
            assert page["id"] == collection["last"]
        url = page.get("next")
    assert pages == 4 and len(seen) == len(set(seen)) == 10


def test_empty_collection_has_no_pages(reviewer_api, seeds):
    collection = get_json(reviewer_api, "format=w3c")
    assert collection["total"] == 0
    assert "first" not in collection and "last" not in collection
    assert problems(collection) == []
    assert reviewer_api.get(f"{EXPORT}?format=w3c&after=0").status_code == 404


def test_orphaned_claims_left_out_unless_included(reviewer_api, ru_article, make_claim, desk):
    old_hash = ru_article.content_hash
    old_text = ru_article.body
    lost = orphan(ru_article, make_claim, "ремонте радаров и военных самолетов")
    ru_article.refresh_from_db()
    default = get_json(reviewer_api, "format=w3c")
    ids = [a["id"] for a in default["first"]["items"]]
    assert not any(i.endswith(f"/{lost.pk}/") for i in ids)
    assert default["total"] == 2
    included = get_json(reviewer_api, "format=w3c&orphaned=include")
    assert problems(included) == []
    assert included["total"] == 3
    flagged = next(a for a in included["first"]["items"] if a["id"].endswith(f"/{lost.pk}/"))
    assert {
        "type": "TextualBody",
        "purpose": "tagging",
        "value": "orphaned",
        "format": "text/plain",
        "language": "en",
    } in flagged["body"]
    source = flagged["target"]["source"]["id"]
    assert source.endswith(f"/{old_hash}.txt")
    # The selectors index the version it last matched; the desk no longer serves that one.
    assert text_problems(flagged, old_text) == []
    gone = Client().get(source.removeprefix("http://testserver"))
    assert gone.status_code == 410
    assert ru_article.content_hash in gone["Link"]
    current = Client().get(f"/texts/{ru_article.slug}/{ru_article.content_hash}.txt")
    assert current.status_code == 200 and current.content.decode() == ru_article.body
    assert Client().get("/texts/no-such-article/abc.txt").status_code == 404


def test_modified_moves_when_evidence_changes(reviewer_api, desk, analyst):
    def modified():
        collection = get_json(reviewer_api, "format=w3c")
        item = next(
            a for a in collection["first"]["items"] if a["id"].endswith(f"/{desk['uk'].pk}/")
        )
        return item["modified"]

    before = modified()
    evidence = services.evidence_add(claim=desk["uk"], actor=analyst, url="https://example.org/n")
    added = modified()
    assert added > before
    services.evidence_remove(evidence=evidence, actor=analyst)
    assert modified() > added


def test_keyset_walk_during_edits_neither_skips_nor_repeats(
    reviewer_api, ru_article, uk_article, analyst, settings
):
    settings.W3C_PAGE_SIZE = 4
    bulk_claims(ru_article, 12, analyst)
    before = set(Claim.objects.values_list("id", flat=True))
    collection = get_json(reviewer_api, "format=w3c")
    seen = [a["id"] for a in collection["first"]["items"]]
    url = collection["first"]["next"]
    deleted = set()
    step = 0
    while url:
        step += 1
        # Between pages: claims appear (on another article) and earlier ones and later ones go.
        bulk_claims(uk_article, step, analyst) if step == 1 else None
        seen_ids = {int(i.rstrip("/").rsplit("/", 1)[1]) for i in seen}
        early = Claim.objects.filter(id__in=seen_ids).exclude(id__in=deleted).first()
        late = (
            Claim.objects.exclude(id__in=seen_ids)
            .filter(article=ru_article)
            .order_by("-id")
            .first()
        )
        for claim in (early, late):
            if claim is not None:
                deleted.add(claim.pk)
                Claim.objects.filter(pk=claim.pk).delete()
        page = get_json(reviewer_api, url.split("?", 1)[1])
        assert problems(page) == []
        seen += [a["id"] for a in page["items"]]
        url = page.get("next")
    ids = [int(i.rstrip("/").rsplit("/", 1)[1]) for i in seen]
    assert len(ids) == len(set(ids)), "an annotation was repeated"
    # Every claim that existed throughout the walk was seen exactly once.
    assert before - deleted <= set(ids), "an annotation was skipped"


def test_rationale_language_is_the_analysts_not_the_articles(
    reviewer_api, uk_article, make_claim, reviewer, settings
):
    settings.RATIONALE_LANGUAGE = "en"
    claim = make_claim(uk_article, "Мадуро", verdict="disputed", rationale="No source says so.")
    claim.refresh_from_db()
    assert claim.rationale_language == "en"
    assert claim.assessments.get().rationale_language == "en"
    settings.RATIONALE_LANGUAGE = "uk"
    services.claim_decide(claim=claim, reviewer=reviewer, verdict="disputed", reason="Ні.")
    claim.refresh_from_db()
    assert claim.rationale_language == "uk"
    collection = get_json(reviewer_api, "format=w3c")
    assert problems(collection) == []
    (item,) = collection["first"]["items"]
    (commenting,) = [b for b in item["body"] if b["purpose"] == "commenting"]
    assert commenting["value"] == "Ні." and commenting["language"] == "uk"
    # A rationale stored before languages were: no language rather than a wrong one.
    type(claim).objects.filter(pk=claim.pk).update(rationale_language="")
    (item,) = get_json(reviewer_api, "format=w3c")["first"]["items"]
    (commenting,) = [b for b in item["body"] if b["purpose"] == "commenting"]
    assert "language" not in commenting
