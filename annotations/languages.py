"""Which language an article is in: `lingua` restricted to the desk's languages.

Offline (its models ship in the wheel) and made to tell close languages apart on short texts,
which letter counts cannot: a Ukrainian sentence without і, ї, є or ґ is common. The languages
it chooses among come from ``ARTICLE_LANGUAGES`` (ISO 639-1 codes), so a desk that also reads
Belarusian or Polish adds them there.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

UNDETERMINED = "und"


@dataclass(frozen=True)
class LanguageGuess:
    """The likeliest language and every candidate's confidence (0 to 1), likeliest first."""

    code: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]


@functools.cache
def _detector(codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    try:
        isos = [IsoCode639_1.from_str(code) for code in codes]
    except ValueError as exc:
        raise ImproperlyConfigured(f"ARTICLE_LANGUAGES: {exc}") from None
    if len(isos) < 2:
        raise ImproperlyConfigured("ARTICLE_LANGUAGES needs at least two languages.")
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


def desk_languages() -> tuple[str, ...]:
    return tuple(code.lower() for code in settings.ARTICLE_LANGUAGES)


def guess_language(text: str) -> LanguageGuess:
    """The language of ``text`` among the desk's; ``und`` for a text without letters."""
    if not any(ch.isalpha() for ch in text):
        return LanguageGuess(UNDETERMINED, 0.0, ())
    values = _detector(desk_languages()).compute_language_confidence_values(text)
    candidates = tuple(
        (value.language.iso_code_639_1.name.lower(), round(value.value, 4)) for value in values
    )
    if not candidates or candidates[0][1] == 0:
        return LanguageGuess(UNDETERMINED, 0.0, candidates)
    return LanguageGuess(candidates[0][0], candidates[0][1], candidates)
