"""Exports follow the claim groups: one ClaimReview per group, the group named elsewhere."""

import csv
import io
import json
from datetime import date

import pytest

from annotations import services
from annotations.models import Claim, Verdict
from tests.api.test_exports import fetch, queries_for
from tests.conftest import span_of

EXPORT = "/api/v1/export/claims"
RU_QUOTE = "Николас Мадуро также обращался к Китаю и Ирану за военной помощью"
UK_QUOTE = "Венесуела зверталася по військову підтримку і до Китаю, і до Ірану"


@pytest.fixture
def group(ru_article, uk_article, make_claim, analyst, reviewer):
    ru_article.source_name, ru_article.source_url = "24 Канал", "https://24tv.example/ru"
    ru_article.published_on = date(2025, 10, 31)
    ru_article.save()
    # The Ukrainian report came out first: it is the first appearance whatever the ids say.
    uk_article.source_name, uk_article.published_on = "my.ua", date(2025, 10, 30)
    uk_article.save()
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED, rationale="Нет письма.")
    start, end = span_of(uk_article, UK_QUOTE)
    uk = services.claim_link(ru, article=uk_article, start=start, end=end, user=analyst)
    for claim in (ru, uk):
        services.claim_sign_off(claim=claim, reviewer=reviewer)
    alone = make_claim(ru_article, "Washington Post", verdict=Verdict.VERIFIED)
    services.claim_sign_off(claim=alone, reviewer=reviewer)
    return {"ru": Claim.objects.get(pk=ru.pk), "uk": Claim.objects.get(pk=uk.pk), "alone": alone}


def test_claimreview_writes_one_review_per_group(reviewer_api, group, uk_article):
    reviews = json.loads(fetch(reviewer_api, "format=claimreview")[1])
    assert len(reviews) == 2
    grouped = next(r for r in reviews if r["claimReviewed"] == RU_QUOTE)
    item = grouped["itemReviewed"]
    uk_page = f"http://testserver/api/v1/articles/{uk_article.pk}/"
    assert [a["url"] for a in item["appearance"]] == [uk_page, "https://24tv.example/ru"]
    assert item["firstAppearance"] == item["appearance"][0]
    assert item["firstAppearance"]["author"] == {"@type": "Organization", "name": "my.ua"}
    assert item["firstAppearance"]["datePublished"] == "2025-10-30"
    assert item["appearance"][1]["author"]["name"] == "24 Канал"
    assert item["appearance"][1]["inLanguage"] == "ru"
    assert item["datePublished"] == "2025-10-30"
    assert grouped["reviewRating"]["alternateName"] == "False"
    alone = next(r for r in reviews if r["claimReviewed"] == "Washington Post")
    assert alone["itemReviewed"]["appearance"]["url"] == "https://24tv.example/ru"
    assert alone["itemReviewed"]["firstAppearance"] == alone["itemReviewed"]["appearance"]


def test_a_group_is_one_review_across_chunks(reviewer_api, group, settings):
    settings.EXPORT_CHUNK_SIZE = 1
    reviews = json.loads(fetch(reviewer_api, "format=claimreview")[1])
    assert sorted(r["claimReviewed"] for r in reviews) == sorted([RU_QUOTE, "Washington Post"])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_records_name_the_group(reviewer_api, group, fmt):
    text = fetch(reviewer_api, f"format={fmt}")[1].decode()
    records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    groups = {r["id"]: r["group"] for r in records}
    assert groups[group["ru"].pk] == groups[group["uk"].pk] == group["ru"].group_id is not None
    assert groups[group["alone"].pk] is None


def test_w3c_annotations_name_the_group(reviewer_api, group):
    collection = json.loads(fetch(reviewer_api, "format=w3c")[1])
    items = collection["first"]["items"]
    by_id = {int(a["id"].rstrip("/").rsplit("/", 1)[1]): a for a in items}
    assert by_id[group["ru"].pk]["claimGroup"] == group["ru"].group_id
    assert by_id[group["uk"].pk]["claimGroup"] == group["ru"].group_id
    assert "claimGroup" not in by_id[group["alone"].pk]


def test_csv_names_the_group(reviewer_api, group):
    text = fetch(reviewer_api, "format=csv")[1].decode().lstrip("\ufeff")
    rows = {int(row["id"]): row["group"] for row in csv.DictReader(io.StringIO(text))}
    assert rows[group["ru"].pk] == rows[group["uk"].pk] == str(group["ru"].group_id)
    assert rows[group["alone"].pk] == ""


@pytest.mark.parametrize("fmt", ["claimreview", "json", "w3c"])
def test_group_exports_run_a_fixed_number_of_queries(
    reviewer_api, group, ru_article, uk_article, analyst, reviewer, make_claim, settings, fmt
):
    settings.EXPORT_CHUNK_SIZE = 2000
    settings.W3C_PAGE_SIZE = 2000
    few = queries_for(reviewer_api, f"{EXPORT}?format={fmt}")
    for offset in range(4):
        start = 200 + offset * 30
        claim = make_claim(ru_article, ru_article.body[start : start + 12], verdict="disputed")
        linked = services.claim_link(
            claim, article=uk_article, start=start, end=start + 12, user=analyst
        )
        for each in (claim, linked):
            services.claim_sign_off(claim=each, reviewer=reviewer)
    many = queries_for(reviewer_api, f"{EXPORT}?format={fmt}")
    assert few == many, (few, many)
    if fmt == "claimreview":
        assert len(json.loads(fetch(reviewer_api, "format=claimreview")[1])) == 6
