import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations import services
from annotations.importing import ArticleFileError, detect_language, import_article, parse_article
from annotations.models import Article, Claim, HistoryEntry
from tests.conftest import RU_SEED, UK_SEED, span_of

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


def parsed(name: str):
    return parse_article((SEEDS / name).read_bytes(), filename=name)


def test_russian_seed_loses_its_date_debris_and_keeps_its_paragraphs():
    article = parsed(RU_SEED)
    assert article.published_on == datetime.date(2025, 10, 31)
    assert article.body.startswith("Об этом сообщает The Washington Post")
    assert "date 2025" not in article.body
    assert article.language == "ru"
    assert article.source_name == "The Washington Post"
    assert article.title == "О чем Венесуэла просит Россию?"
    assert article.body.count("\n\n") == 14  # 15 paragraphs, as in the file
    assert "\n\n\n" not in article.body


def test_ukrainian_seed_loses_its_image_url_and_trailing_label():
    article = parsed(UK_SEED)
    assert (
        article.title == "Пристрасті навколо Венесуели: Мадуро запросив у Путіна військову допомогу"
    )
    assert "amazonaws" not in article.body and "https" not in article.body
    assert not article.body.startswith("Пристрасті")  # the headline is the title, not the body
    assert not article.body.rstrip().endswith("Інші новини:")
    assert article.language == "uk"
    assert article.source_name == "The Washington Post"
    assert article.published_on is None  # the text gives no full date
    assert "\n\nРосія співпрацює з Венесуелою\n\n" in article.body


def test_text_is_normalised_to_nfc():
    decomposed = "Заголовок статьи\n\nи\u0306од и ё: Київ і ї".encode()
    article = parse_article(decomposed, filename="nfc.txt")
    assert "йод" in article.body and "\u0306" not in article.body


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Це українська мова, її літери: ї, є, ґ.", "uk"),
        ("Это русский язык: съешь ещё этих мягких булок.", "ru"),
        ("Plain English text about Venezuela.", "en"),
        ("12345 — 678", "und"),
    ],
)
def test_language_detection(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("raw", "line", "message"),
    [
        (b"", None, "the file is empty"),
        (b"   \n\n  ", None, "the file is empty"),
        ("Заголовок\n\nтекст\n".encode() + b"\xff\xfe bad\n", 4, "not valid UTF-8 (byte 0xff)"),
        (b"Title here\n\nbody\x00text", 3, "a NUL byte"),
        (b" date 2025-13-45 Something happened.", 1, "is not a date in the form YYYY-MM-DD"),
        (b"https://example.com/image.jpg\n\n", None, "no article text is left"),
        (b"https://example.com/image.jpg\nOther news:\n", None, "no article text is left"),
    ],
)
def test_malformed_files_get_a_clear_error_naming_file_and_line(raw, line, message):
    with pytest.raises(ArticleFileError) as exc:
        parse_article(raw, filename="broken.txt")
    assert message in str(exc.value)
    assert str(exc.value).startswith(f"broken.txt:{line}: " if line else "broken.txt: ")


@pytest.mark.django_db
def test_import_command_is_idempotent(capsys):
    call_command("import_articles", str(SEEDS))
    first = list(Article.objects.values("pk", "slug", "content_hash"))
    call_command("import_articles", str(SEEDS / RU_SEED), str(SEEDS / UK_SEED))
    assert list(Article.objects.values("pk", "slug", "content_hash")) == first
    assert len(first) == 2
    assert "unchanged" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_command_reports_bad_files_and_imports_the_good_ones(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Title\n\n\xc3\x28 broken")
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("import_articles", str(bad), str(SEEDS / RU_SEED))
    assert "bad.txt:3: not valid UTF-8" in capsys.readouterr().err
    assert list(Article.objects.values_list("source_file", flat=True)) == [RU_SEED]


QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"


def reimport(article: Article, new_body_text: str):
    return import_article(new_body_text.encode(), filename=article.source_file)


@pytest.mark.django_db
def test_reimporting_changed_text_moves_changes_and_flags_claims(ru_article, make_claim):
    raw = (SEEDS / RU_SEED).read_text()
    moved = make_claim(ru_article, QUOTE)
    changed = make_claim(ru_article, "унесли жизни по меньшей мере 62 человек")
    lost = make_claim(ru_article, "Авиакон Цитотранс")
    kept = make_claim(ru_article, "Об этом сообщает")

    new_text = (
        raw.replace("WP пишет, что", "Газета WP пишет со ссылкой на источники, что")
        .replace("по меньшей мере 62 человек", "по меньшей мере 64 человек")
        .replace(' авиакомпании "Авиакон Цитотранс"', "")
    )
    report = reimport(ru_article, new_text)

    assert report.body_changed
    assert [c.pk for c in report.moved] == [moved.pk]
    assert [c.pk for c in report.changed] == [changed.pk]
    assert [c.pk for c in report.orphaned] == [lost.pk]
    assert report.unchanged == 1

    body = Article.objects.get(pk=ru_article.pk).body
    for claim in (moved, changed, lost, kept):
        claim.refresh_from_db()
    assert body[moved.start : moved.end] == QUOTE == moved.quote
    assert moved.prefix == body[max(0, moved.start - 32) : moved.start]
    assert (
        changed.quote
        == "унесли жизни по меньшей мере 64 человек"
        == body[changed.start : changed.end]
    )
    assert lost.is_orphaned and lost.quote == "Авиакон Цитотранс"
    assert not kept.is_orphaned and kept.start == 0
    assert Claim.objects.count() == 4  # nothing dropped
    assert HistoryEntry.objects.filter(action="reanchored").count() == 2
    assert HistoryEntry.objects.get(action="orphaned").claim_id == lost.pk


@pytest.mark.django_db
def test_a_repeated_quote_is_placed_by_its_context(ru_article, make_claim):
    raw = (SEEDS / RU_SEED).read_text()
    quote = "Николас Мадуро"
    second = ru_article.body.index(quote, ru_article.body.index(quote) + 1)
    claim = make_claim(ru_article, "Китаю и Ирану")  # unrelated, keeps the test honest
    target = Claim.objects.create(
        article=ru_article,
        start=second,
        end=second + len(quote),
        quote=quote,
        prefix=ru_article.body[second - 32 : second],
        suffix=ru_article.body[second + len(quote) : second + len(quote) + 32],
        created_by=claim.created_by,
        updated_by=claim.created_by,
    )
    reimport(
        ru_article, raw.replace("Об этом сообщает", "Как пишет Николас Мадуро, об этом сообщает")
    )
    target.refresh_from_db()
    body = Article.objects.get(pk=ru_article.pk).body
    assert body[target.start - 32 : target.start] == target.prefix
    assert body.index(quote) < target.start  # not the new first occurrence


@pytest.mark.django_db
def test_a_failed_reimport_leaves_article_and_claims_as_they_were(ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    with pytest.raises(ArticleFileError):
        import_article(b"\xff\xfe", filename=ru_article.source_file)
    article = Article.objects.get(pk=ru_article.pk)
    assert article.content_hash == ru_article.content_hash
    claim.refresh_from_db()
    assert (claim.start, claim.end) == span_of(article, QUOTE)


@pytest.mark.django_db
def test_fixture_is_what_the_import_command_makes_of_the_seeds():
    """fixtures/articles.json must be regenerated (`make fixtures`) when the importer changes."""
    call_command("loaddata", "fixtures/articles.json", verbosity=0)
    stored = {
        a.source_file: (a.title, a.body, a.language, a.published_on, a.source_name, a.content_hash)
        for a in Article.objects.all()
    }
    assert set(stored) == {RU_SEED, UK_SEED}
    for name in stored:
        fresh = parsed(name)
        assert stored[name][:5] == (
            fresh.title,
            fresh.body,
            fresh.language,
            fresh.published_on,
            fresh.source_name,
        )
    call_command("import_articles", str(SEEDS))
    assert Article.objects.count() == 2
    assert {a.source_file: a.content_hash for a in Article.objects.all()} == {
        name: values[5] for name, values in stored.items()
    }


@pytest.mark.django_db
def test_two_claims_never_land_on_one_span(ru_article, make_claim, analyst):
    body = ru_article.body
    first = body.index("Николас Мадуро")
    second = body.index("Николас Мадуро", first + 1)
    claims = [
        services.claim_create(article=ru_article, start=s, end=s + 14, author=analyst)
        for s in (first, second)
    ]
    raw = (SEEDS / RU_SEED).read_text()
    # Only one «Николас Мадуро» is left: both claims would pick it; one is placed, one flagged.
    new_text = raw.replace("Николас Мадуро требовал", "глава Венесуэлы требовал")
    assert new_text.count("Николас Мадуро") == 1
    report = reimport(ru_article, new_text)
    for claim in claims:
        claim.refresh_from_db()
    assert sorted(c.is_orphaned for c in claims) == [False, True]
    assert len(report.orphaned) == 1
    assert Claim.objects.count() == 2


@pytest.mark.django_db
def test_claims_can_trade_places(ru_article, analyst):
    ru_article.body = "альфа бета"
    ru_article.save()
    a = services.claim_create(article=ru_article, start=0, end=5, author=analyst)
    b = services.claim_create(article=ru_article, start=6, end=10, author=analyst)
    report = import_article("бета альфа".encode(), filename=ru_article.source_file)
    a.refresh_from_db()
    b.refresh_from_db()
    body = report.article.body
    assert body == "бета альфа"
    assert body[a.start : a.end] == "альфа" and body[b.start : b.end] == "бета"
    assert not a.is_orphaned and not b.is_orphaned


@pytest.mark.django_db
def test_changed_or_lost_claims_lose_their_sign_off_moved_ones_keep_it(
    ru_article, make_claim, reviewer
):
    raw = (SEEDS / RU_SEED).read_text()
    moved = make_claim(ru_article, QUOTE, verdict="verified")
    changed = make_claim(ru_article, "унесли жизни по меньшей мере 62 человек", verdict="verified")
    lost = make_claim(ru_article, "Авиакон Цитотранс", verdict="verified")
    for claim in (moved, changed, lost):
        services.claim_sign_off(claim=claim, reviewer=reviewer)
    reimport(
        ru_article,
        raw.replace("WP пишет, что", "Газета WP пишет со ссылкой на источники, что")
        .replace("по меньшей мере 62 человек", "по меньшей мере 64 человек")
        .replace(' авиакомпании "Авиакон Цитотранс"', ""),
    )
    for claim in (moved, changed, lost):
        claim.refresh_from_db()
    assert moved.is_signed_off
    assert not changed.is_signed_off and not lost.is_signed_off
    entry = HistoryEntry.objects.get(claim=changed, action="reanchored")
    assert entry.changes["signed_off_by"] == [reviewer.pk, None]


@pytest.mark.django_db
def test_reanchoring_reports_each_claim_outcome_as_an_enum(ru_article, make_claim):
    raw = (SEEDS / RU_SEED).read_text()
    moved = make_claim(ru_article, QUOTE)
    changed = make_claim(ru_article, "унесли жизни по меньшей мере 62 человек")
    lost = make_claim(ru_article, "Авиакон Цитотранс")
    kept = make_claim(ru_article, "Об этом сообщает")
    edits = {
        "WP пишет, что": "Газета WP пишет со ссылкой на источники, что",
        "по меньшей мере 62 человек": "по меньшей мере 64 человек",
        ' авиакомпании "Авиакон Цитотранс"': "",
    }
    for old, new in edits.items():
        raw = raw.replace(old, new)
    parsed_text = parse_article(raw.encode(), filename=ru_article.source_file)
    Article.objects.filter(pk=ru_article.pk).update(body=parsed_text.body)
    ru_article.refresh_from_db()

    outcomes = {c.pk: o for c, o in services.article_reanchor_claims(article=ru_article)}

    assert outcomes == {
        moved.pk: services.ClaimOutcome.MOVED,
        changed.pk: services.ClaimOutcome.CHANGED,
        lost.pk: services.ClaimOutcome.ORPHANED,
        kept.pk: services.ClaimOutcome.UNCHANGED,
    }
    assert all(isinstance(o, services.ClaimOutcome) for o in outcomes.values())
    # A second pass over the same text finds everything where the first pass left it.
    again = {c.pk: o for c, o in services.article_reanchor_claims(article=ru_article)}
    assert set(again.values()) == {services.ClaimOutcome.UNCHANGED}


@pytest.mark.django_db
def test_the_import_result_is_a_dataclass_of_claims_by_outcome(ru_article, make_claim):
    claim = make_claim(ru_article, "Авиакон Цитотранс")
    raw = (SEEDS / RU_SEED).read_text().replace(' авиакомпании "Авиакон Цитотранс"', "")
    result = reimport(ru_article, raw)
    assert isinstance(result, services.ArticleImport)
    assert (result.created, result.body_changed) == (False, True)
    assert result.orphaned == [claim] and result.moved == result.changed == []
    unchanged = reimport(ru_article, raw)
    assert (unchanged.body_changed, unchanged.orphaned, unchanged.unchanged) == (False, [], 0)
