"""Passages and their comparable features: the lexical half of the same-claim matcher.

A passage is a sentence of an article body (code-point offsets kept). Its *key* is a line of
folded tokens that both the database index and the scorer read, so a Russian and a Ukrainian
report of one claim meet on shared lemmas, numbers and names:

- lemmas from pymorphy3 (the article's language), folded so that the two spellings coincide
  (е/ё/є/э, и/і/ї/ы/й, г/ґ, soft and hard signs and apostrophes dropped, doubled letters
  single) and reduced to their consonants (``lemma_shape``); function words left out;
- numbers with their multipliers and units as one value (``1 тысячи километров`` and
  ``1000 км`` are both ``0n1000 0ukm``);
- proper nouns as a transliterated consonant skeleton (``Зеленский``/``Зеленський``/
  ``Zelensky`` are ``0qzlnsk``, ``Харьков``/``Харків`` ``0qkhrkv``).
"""

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from razdel import sentenize

from annotations.matching.lexicon import UK_TO_RU

# Names, numbers and units start with a digit, which no lemma does (digits become numbers),
# and both the PostgreSQL and the SQLite tokenizers keep such a token whole.
NAME_PREFIX = "0q"
NUMBER_PREFIX = "0n"
UNIT_PREFIX = "0u"

_FOLD = str.maketrans(
    {
        "ё": "е", "є": "е", "э": "е",
        "і": "и", "ї": "и", "ы": "и", "й": "и",
        "ґ": "г",
        "ъ": None, "ь": None, "'": None, "’": None, "ʼ": None, "`": None,
    }
)  # fmt: skip

_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ю": "iu", "я": "ia",
    }
)  # fmt: skip

_VOWELS = set("aeiouy")
_DOUBLED = re.compile(r"(.)\1+")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|%|[^\W\d_]+(?:['’ʼ`][^\W\d_]+)*")
_PARAGRAPH = re.compile(r"[^\n]+")

# Function words carry no claim; pymorphy's part of speech finds them in both languages.
_FUNCTION_POS = {"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "PRED"}
# Words every news sentence may have: the verb "to be" and the reporting verbs and nouns.
_COMMON = {
    "быть", "бути", "это", "цей", "этот", "тот", "той", "весь", "свои", "такжe",
    "сообщать", "сообщить", "писать", "пишет", "говорить", "сказать", "отметить", "отмечать",
    "заявить", "заявлять", "повидомляти", "повидомити", "писати", "говорити", "сказати",
    "заявити", "заявляти", "зазначити", "зазначатися", "издание", "видання", "также", "також",
    "the", "a", "an", "of", "to", "in", "on", "and", "or", "is", "are", "was", "were", "be",
    "that", "this", "for", "with", "by", "as", "at", "from", "it", "its", "has", "have", "said",
    "до", "з", "із", "зі", "у", "в", "на", "по", "про", "від", "для", "за", "що", "як", "і",
    "й", "та", "а", "але", "не", "ні", "понад", "при", "під", "над", "між", "через", "щодо",
    "он", "він", "она", "вона", "они", "вони", "его", "його", "их", "їх", "который", "який",
}  # fmt: skip
_COMMON = {"".join(_DOUBLED.sub(r"\1", w.translate(_FOLD))) for w in _COMMON}

_MULTIPLIERS = (
    (re.compile(r"^(тыс|тис|тысяч\w*|тисяч\w*|thousands?)$"), 1_000),
    (re.compile(r"^(млн|мільйон\w*|миллион\w*|millions?|mln)$"), 1_000_000),
    (re.compile(r"^(млрд|мільярд\w*|миллиард\w*|billions?|bn)$"), 1_000_000_000),
)
_UNITS = (
    (re.compile(r"^(км|километр\w*|кілометр\w*|kilomet\w*|km)$"), "km"),
    (re.compile(r"^(%|процент\w*|відсот\w*|percent)$"), "pct"),
    (re.compile(r"^(долар\w*|доллар\w*|dollars?|usd)$"), "usd"),
    (re.compile(r"^(евро|євро|euros?|eur)$"), "eur"),
    (re.compile(r"^(гривн\w*|гривен\w*|hryvnias?|uah)$"), "uah"),
    (re.compile(r"^(рубл\w*|roubles?|rubles?|rub)$"), "rub"),
    (re.compile(r"^(тонн\w*|тон|tons?|tonnes?)$"), "t"),
)


@dataclass(frozen=True)
class Features:
    """What the scorer compares: folded lemmas, number and unit tokens, name skeletons."""

    lemmas: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]

    def key(self) -> str:
        """The line the index stores (names and numbers carry their prefixes)."""
        tokens = sorted(self.lemmas) + sorted(self.numbers) + sorted(self.names)
        return " ".join(tokens)

    @classmethod
    def from_key(cls, key: str) -> "Features":
        lemmas, numbers, names = set(), set(), set()
        for token in key.split():
            if token.startswith(NAME_PREFIX):
                names.add(token)
            elif token.startswith((NUMBER_PREFIX, UNIT_PREFIX)):
                numbers.add(token)
            else:
                lemmas.add(token)
        return cls(frozenset(lemmas), frozenset(numbers), frozenset(names))


def split_passages(body: str) -> list[tuple[int, int]]:
    """Sentences of ``body`` as (start, end) code-point offsets, never across a line break."""
    spans = []
    for paragraph in _PARAGRAPH.finditer(body):
        base = paragraph.start()
        for sentence in sentenize(paragraph.group()):
            text = sentence.text
            if any(ch.isalnum() for ch in text):
                spans.append((base + sentence.start, base + sentence.stop))
    return spans


def fold(word: str) -> str:
    """One spelling for Russian and Ukrainian letters (input already casefolded)."""
    return _DOUBLED.sub(r"\1", word.translate(_FOLD))


_CYR_VOWELS = set("аеиоуюяaeiouy")


def lemma_shape(lemma: str) -> str:
    """A lemma as the two languages can share it: folded, vowels after the first letter
    dropped (Russian о/е against Ukrainian і: дальность/дальність), з as с (без-/бес-,
    роз-/рас-); a word left with fewer than three letters keeps its vowels."""
    folded = fold(lemma)
    if len(folded) < 4:
        return folded
    tail = "".join(ch for ch in folded[1:].replace("з", "с") if ch not in _CYR_VOWELS)
    shape = _DOUBLED.sub(r"\1", folded[0].replace("з", "с") + tail)
    return shape if len(shape) >= 3 else folded


def skeleton(word: str) -> str:
    """A name's consonants in Latin letters, its first letter kept: spelling-proof."""
    latin = fold(word.casefold()).translate(_LATIN)
    if not latin:
        return ""
    tail = "".join(ch for ch in latin[1:] if ch not in _VOWELS and ch.isalpha())
    return _DOUBLED.sub(r"\1", latin[0] + tail)


@functools.cache
def _analyzer(language: str) -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=language)


def _morph_language(language: str) -> str | None:
    base = language.lower().split("-")[0]
    return base if base in ("ru", "uk") else None


_NAME_TAGS = {"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"}


@functools.lru_cache(maxsize=200_000)
def _parse(word: str, language: str | None) -> tuple[str, bool, bool, bool]:
    """(lemma, is a function word, may be a proper noun, is in the dictionary) of a
    lower-case word; a Ukrainian lemma with another root in Russian is given in Russian."""
    if language is None:
        lemma = word[:-1] if word.endswith("s") and len(word) > 3 else word
        return lemma, word in _COMMON, False, True
    analyzer = _analyzer(language)
    parses = analyzer.parse(word)
    best = parses[0]
    named = next((p for p in parses if _NAME_TAGS & set(p.tag.grammemes)), None)
    lemma = (named or best).normal_form
    if language == "uk":
        lemma = UK_TO_RU.get(lemma, lemma)
    return lemma, best.tag.POS in _FUNCTION_POS, named is not None, analyzer.word_is_known(word)


def _scan(text: str) -> Iterator[tuple[str, bool, bool]]:
    """(token, capitalised, starts the sentence) for each word, number or % in ``text``."""
    first = True
    for match in _TOKEN.finditer(text):
        token = match.group()
        yield token, token[:1].isupper(), first
        first = False


def _number(token: str) -> float:
    return float(token.replace(",", "."))


def _number_token(value: float) -> str:
    if value == int(value):
        return f"{NUMBER_PREFIX}{int(value)}"
    return f"{NUMBER_PREFIX}{value:g}".replace(".", "d")


def _unit(word: str) -> str | None:
    for pattern, unit in _UNITS:
        if pattern.match(word):
            return unit
    return None


def _multiplier(word: str) -> int | None:
    for pattern, factor in _MULTIPLIERS:
        if pattern.match(word):
            return factor
    return None


def features(text: str, language: str) -> Features:
    """The comparable features of one passage in ``language`` (an article's BCP 47 code)."""
    morph = _morph_language(language)
    tokens = list(_scan(unicodedata.normalize("NFC", text)))
    lemmas: set[str] = set()
    numbers: set[str] = set()
    names: set[str] = set()
    i = 0
    while i < len(tokens):
        raw, capital, first = tokens[i]
        word = raw.casefold()
        i += 1
        if word[0].isdigit():
            value = _number(word)
            # "1 000 000": groups of three digits after a space belong to the same number.
            while i < len(tokens) and len(tokens[i][0]) == 3 and tokens[i][0].isdigit():
                value = value * 1000 + int(tokens[i][0])
                i += 1
            if i < len(tokens) and (factor := _multiplier(tokens[i][0].casefold())):
                value *= factor
                i += 1
            numbers.add(_number_token(value))
            if i < len(tokens) and (unit := _unit(tokens[i][0].casefold())):
                numbers.add(UNIT_PREFIX + unit)
                i += 1
            continue
        if unit := _unit(word):
            numbers.add(UNIT_PREFIX + unit)
            continue
        if fold(word) in _COMMON:
            continue
        lemma, function, may_name, known = _parse(word, morph)
        if function or fold(lemma) in _COMMON:
            continue
        if raw.isupper() and len(raw) > 1:  # an abbreviation: США, WP, GPS
            names.add(NAME_PREFIX + fold(word).translate(_LATIN))
            continue
        if capital and (not first or may_name or not known):
            # A capital inside the sentence marks a name; on the first word only a name the
            # dictionary knows as one (Путин) or a word it does not know (Мадуро).
            if shape := skeleton(lemma if may_name else word):
                names.add(NAME_PREFIX + shape)
            continue
        if len(word) > 1:
            lemmas.add(lemma_shape(lemma))
    return Features(frozenset(lemmas), frozenset(numbers), frozenset(names))


def passage_key(text: str, language: str) -> str:
    return features(text, language).key()
