"""The same-claim matcher: normalisation, numbers, names, the scorer on the seeds, the index
and its upkeep, and the encoder interface (a fake encoder, no model)."""

from collections.abc import Sequence

import pytest
from django.db import connection

from annotations import matching, services
from annotations.matching import encoders
from annotations.matching.encoders import MatchText, VectorEncoder
from annotations.matching.schema import TOTAL
from annotations.matching.text import features, fold, lemma_shape, skeleton, split_passages
from annotations.models import Article, Claim, Passage, PassageTerm
from tests.conftest import span_of

IRAN_RU = "почти наверняка беспилотников с дальностью действия 1 тысячи километров"
IRAN_UK = "Як зазначається в документах американського уряду, Веласкес повідомив неназваному"
XI_RU = "В то же время, обращаясь к президенту Китая Си Цзиньпину"
XI_UK = "Мадуро надіслав листа голові КНР Сі Цзіньпіну"


def names(text: str, language: str) -> set[str]:
    return set(features(text, language).names)


# --- Normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [("ёлка", "елка"), ("єдиний", "единий"), ("эскалация", "ескалация"), ("її", "ии")],
)
def test_russian_and_ukrainian_letters_fold_together(a, b):
    assert fold(a) == fold(b)


def test_soft_signs_apostrophes_and_doubled_letters_fold_away():
    assert fold("пов'язано") == fold("повязано")
    assert fold("пассивный") == fold("пасивный")
    assert fold("дальність") == "далнист"


@pytest.mark.parametrize(
    ("ru", "uk"),
    [("дальность", "дальність"), ("модернизация", "модернізація"), ("беспилотник", "безпілотник")],
)
def test_cognate_lemmas_share_a_shape(ru, uk):
    assert lemma_shape(ru) == lemma_shape(uk)


def test_different_words_keep_different_shapes():
    assert lemma_shape("радар") != lemma_shape("ракета")


def test_lemmas_come_from_each_language_dictionary():
    ru = features("Мадуро надіслав листа", "uk").lemmas
    uk = features("Мадуро отправил письмо", "ru").lemmas
    assert ru & uk == {lemma_shape("отправить"), lemma_shape("письмо")}


def test_function_words_are_left_out():
    assert features("и в на о для с от", "ru") == features("", "ru")


# --- Numbers and units ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ru", "uk"),
    [
        ("дальностью действия 1 тысячи километров", "дальністю до 1000 км"),
        ("понад 10% сил", "более 10 процентов сил"),
        ("1 000 000 гривен", "1 млн гривень"),
        ("1,5 млн долларов", "1,5 мільйона доларів"),
        ("2 млрд", "2 мільярди"),
    ],
)
def test_numbers_and_units_meet_across_spellings(ru, uk):
    assert features(ru, "ru").numbers == features(uk, "uk").numbers != frozenset()


def test_different_numbers_stay_apart():
    assert features("62 человек", "ru").numbers != features("26 людей", "uk").numbers


# --- Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ru", "uk", "en"),
    [("Зеленский", "Зеленський", "Zelensky"), ("Харьков", "Харків", "Kharkiv")],
)
def test_names_meet_across_spellings_and_scripts(ru, uk, en):
    assert skeleton(ru) == skeleton(uk) == skeleton(en)


def test_names_are_read_in_any_case_form():
    assert names("Он написал Владимиру Путину", "ru") == names(
        "Він написав Володимиру Путіну", "uk"
    )
    assert {"0qptn", "0qvldmr"} <= names("письмо для Владимира Путина", "ru")


def test_a_capital_at_the_start_of_a_sentence_is_no_name():
    assert not names("Отмечается, что это так", "ru")


# --- Passages --------------------------------------------------------------------------------


def test_passages_are_sentences_with_code_point_offsets(ru_article):
    spans = split_passages(ru_article.body)
    assert len(spans) > 10
    for start, end in spans:
        text = ru_article.body[start:end]
        assert "\n" not in text and text == text.strip()
    assert any(ru_article.body[s:e].endswith(IRAN_RU + '".') for s, e in spans)


def test_a_heading_is_its_own_passage():
    body = "Коротко:\nМадуро попросив допомоги. Кремль мовчить.\n\n😀 Emoji first."
    spans = split_passages(body)
    assert [body[s:e] for s, e in spans] == [
        "Коротко:",
        "Мадуро попросив допомоги.",
        "Кремль мовчить.",
        "😀 Emoji first.",
    ]


# --- The scorer on the seeds -----------------------------------------------------------------


def sentence_of(article: Article, quote: str) -> str:
    start = article.body.index(quote)
    for s, e in split_passages(article.body):
        if s <= start < e:
            return article.body[s:e]
    raise AssertionError(quote)


@pytest.mark.django_db
def test_the_scorer_prefers_the_counterpart_on_the_seeds(ru_article, uk_article):
    encoder = encoders.LexicalEncoder()

    def text(article, quote):
        sentence = sentence_of(article, quote)
        return MatchText(sentence, article.language, matching.passage_key(sentence, "uk"))

    query_text = sentence_of(ru_article, IRAN_RU)
    query = MatchText(query_text, "ru", matching.passage_key(query_text, "ru"))
    counterpart = text(uk_article, IRAN_UK)
    other = text(uk_article, XI_UK)
    near, far = encoder.similarities(query, [counterpart, other])
    assert near > 0.3 > far
    assert near >= 0.14 > far or far < near / 2


def test_a_missing_number_costs_the_score():
    query = features("беспилотники с дальностью 1000 км", "ru")
    same = features("дрони з дальністю до 1000 км", "uk")
    other = features("дрони з дальністю до 500 км", "uk")
    assert encoders.lexical_score(query, same) > encoders.lexical_score(query, other)


def test_rare_terms_weigh_more():
    query = features("Мадуро попросил Путина о ракетах", "ru")
    rare = features("Путін ракети", "uk")
    common = features("Мадуро попросив", "uk")
    idf = {"0qptn": 3.0, "ркт": 3.0}.get
    assert encoders.lexical_score(query, rare, lambda t: idf(t) or 0.5) > encoders.lexical_score(
        query, common, lambda t: idf(t) or 0.5
    )


# --- The index and its upkeep ------------------------------------------------------------------


def import_article(source_file: str, body: str, language: str = "uk", title: str = "t"):
    return services.article_import(
        source_file=source_file,
        title=title,
        body=body,
        language=language,
        published_on=None,
        source_name="",
    )


def passages_of(article: Article) -> list[str]:
    return [article.body[p.start : p.end] for p in Passage.objects.filter(article=article)]


def total_passages() -> int:
    return PassageTerm.objects.get(term=TOTAL).passages


@pytest.mark.django_db
def test_an_added_article_is_indexed():
    result = import_article("a.txt", "Мадуро попросив допомоги. Кремль мовчить.")
    assert passages_of(result.article) == ["Мадуро попросив допомоги.", "Кремль мовчить."]
    assert total_passages() == 2
    assert PassageTerm.objects.get(term="0qmdr").passages == 1


@pytest.mark.django_db
def test_a_reimport_with_a_new_text_reindexes_it():
    import_article("a.txt", "Мадуро попросив допомоги. Кремль мовчить.")
    article = import_article("a.txt", "Кремль мовчить. Путін відповів 26 жовтня.").article
    assert passages_of(article) == ["Кремль мовчить.", "Путін відповів 26 жовтня."]
    assert total_passages() == 2
    assert PassageTerm.objects.get(term="0qmdr").passages == 0
    assert PassageTerm.objects.get(term="0n26").passages == 1


@pytest.mark.django_db
def test_a_reimport_of_the_same_text_leaves_the_index_alone():
    first = import_article("a.txt", "Мадуро попросив допомоги.").article
    ids = list(Passage.objects.filter(article=first).values_list("id", flat=True))
    import_article("a.txt", "Мадуро попросив допомоги.", title="new title")
    assert list(Passage.objects.filter(article=first).values_list("id", flat=True)) == ids


@pytest.mark.django_db
def test_the_index_finds_candidates_in_other_articles_only():
    own = import_article("own.txt", "Зеленський відвідав Харків 3 травня.").article
    other = import_article("other.txt", "Зеленский посетил Харьков.", language="ru").article
    import_article("far.txt", "Погода в Парижі гарна.")
    key = matching.passage_key("Зеленський відвідав Харків.", "uk")
    found = matching.candidates(key, exclude_article=own.pk, limit=10)
    assert [(c.article_id, c.start) for c in found] == [(other.pk, 0)]


@pytest.mark.django_db
def test_the_index_is_the_database_s_own():
    import_article("a.txt", "Мадуро попросив допомоги.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM annotations_passage WHERE search @@ '0qmdr'")
        else:
            cursor.execute(
                "SELECT count(*) FROM annotations_passage_fts "
                "WHERE annotations_passage_fts MATCH '\"0qmdr\"'"
            )
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_rebuild_passages_indexes_what_loaddata_brought(ru_article, uk_article):
    Passage.objects.all().delete()
    PassageTerm.objects.all().delete()
    done, passages = matching.passages_rebuild()
    assert done == 2
    assert passages == Passage.objects.count() == total_passages() > 40


# --- claim_matches ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_finds_its_counterpart_in_the_other_language(ru_article, uk_article, make_claim):
    claim = make_claim(ru_article, sentence_of(ru_article, IRAN_RU))
    found = matching.claim_matches(claim)
    first = found[0]
    assert (first.article_id, first.language, first.claim_id) == (uk_article.pk, "uk", None)
    assert first.quote == sentence_of(uk_article, IRAN_UK)
    assert uk_article.body[first.start : first.end] == first.quote
    assert uk_article.body[: first.start].endswith(first.prefix) and len(first.prefix) == 60
    assert first.article_title == uk_article.title
    assert all(m.article_id != ru_article.pk for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


@pytest.mark.django_db
def test_an_existing_claim_over_half_the_passage_is_named(
    ru_article, uk_article, make_claim, other_analyst
):
    claim = make_claim(ru_article, sentence_of(ru_article, XI_RU))
    passage = sentence_of(uk_article, XI_UK)
    small = make_claim(uk_article, "Сі Цзіньпіну", author=other_analyst)
    assert matching.claim_matches(claim)[0].claim_id is None
    big = make_claim(uk_article, passage[: len(passage) // 2 + 5], author=other_analyst)
    assert matching.claim_matches(claim)[0].claim_id == big.pk != small.pk


@pytest.mark.django_db
def test_nothing_below_the_threshold_is_suggested(ru_article, uk_article, make_claim, settings):
    claim = make_claim(ru_article, sentence_of(ru_article, IRAN_RU))
    best = matching.claim_matches(claim)[0].score
    settings.MATCH_THRESHOLD = best + 0.001
    assert all(m.score > best for m in matching.claim_matches(claim))
    assert len(matching.claim_matches(claim, limit=1)) <= 1


@pytest.mark.django_db
def test_on_a_tie_the_ru_uk_counterpart_comes_first(analyst):
    ru = import_article("ru.txt", "Рейс 737 и 2025 и 1000.", language="ru").article
    en = import_article("en.txt", "737 2025 1000.", language="en").article
    uk = import_article("uk.txt", "737 2025 1000.", language="uk").article
    start, end = span_of(ru, "Рейс 737 и 2025 и 1000.")
    claim = Claim(article=ru, start=start, end=end, quote=ru.body[start:end])
    found = matching.claim_matches(claim)
    assert [m.article_id for m in found] == [uk.pk, en.pk]
    assert found[0].score == found[1].score


# --- The encoder interface ---------------------------------------------------------------------


class LengthEncoder:
    """A fake encoder: the shorter key scores higher (no model, no meaning)."""

    needs_text = False

    def similarities(self, query: MatchText, candidates: Sequence[MatchText]) -> list[float]:
        return [1 / (1 + len(c.key)) for c in candidates]


class LetterVectors(VectorEncoder):
    """A fake embedding model: letter counts, so the texts must reach it."""

    seen: list[str] = []

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> list[Sequence[float]]:
        LetterVectors.seen = list(texts)
        return [[text.count(ch) for ch in "абвгдежзиклмнопрстуфхцчшщ"] for text in texts]


@pytest.fixture
def encoder_setting(settings):
    def use(path: str) -> None:
        settings.MATCH_ENCODER = path
        settings.MATCH_THRESHOLD = 0.0

    yield use
    encoders._encoder.cache_clear()


@pytest.mark.django_db
def test_a_desk_plugs_in_its_own_encoder(ru_article, uk_article, make_claim, encoder_setting):
    encoder_setting("tests.test_matching.LengthEncoder")
    claim = make_claim(ru_article, sentence_of(ru_article, IRAN_RU))
    found = matching.claim_matches(claim, limit=50)
    keys = [Passage.objects.get(article_id=m.article_id, start=m.start).key for m in found]
    assert keys == sorted(keys, key=len) and len(found) > 1


@pytest.mark.django_db
def test_an_embedding_encoder_reads_the_passage_texts(
    ru_article, uk_article, make_claim, encoder_setting
):
    encoder_setting("tests.test_matching.LetterVectors")
    claim = make_claim(ru_article, sentence_of(ru_article, IRAN_RU))
    found = matching.claim_matches(claim)
    assert LetterVectors.seen[0] == claim.quote
    assert {m.quote for m in found} <= set(LetterVectors.seen[1:])
    assert all(0 <= m.score <= 1 for m in found)


def test_an_encoder_without_similarities_is_refused(encoder_setting):
    encoder_setting("annotations.models.Article")
    with pytest.raises(TypeError, match="MATCH_ENCODER"):
        encoders.current_encoder()


@pytest.mark.django_db
def test_common_terms_are_asked_for_in_pairs(monkeypatch):
    from annotations.matching import index

    own = import_article("own.txt", "Зеленський відвідав Харків 3 травня.").article
    both = import_article("both.txt", "Зеленский посетил Харьков.", language="ru").article
    import_article("one.txt", "Зеленский выступил в Киеве.", language="ru")
    key = matching.passage_key("Зеленський відвідав Харків.", "uk")
    assert all(len(group) == 1 for group in index.query_terms(key, limit=12))
    monkeypatch.setattr(index, "ROWS_BUDGET", 1)
    groups = index.query_terms(key, limit=12)
    assert groups and all(len(group) == 2 for group in groups)
    found = matching.candidates(key, exclude_article=own.pk, limit=10)
    assert [c.article_id for c in found] == [both.pk]
