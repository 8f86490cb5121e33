"""How a candidate passage is scored against a claim: the encoder interface and its default.

``MATCH_ENCODER`` names the class (a dotted path). The default, ``LexicalEncoder``, needs no
model: it compares the keys the index stores (lemmas, numbers, names). A desk with a
multilingual embedding model installed subclasses ``VectorEncoder`` and gives ``embed``;
candidates still come from the index, the model only rescores them.
"""

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from annotations.matching.text import NAME_PREFIX, Features

_PREFIX_MIN = len(NAME_PREFIX) + 3


@dataclass(frozen=True)
class MatchText:
    """A claim or a candidate passage as an encoder sees it."""

    text: str
    language: str
    key: str


@runtime_checkable
class Encoder(Protocol):
    """Scores candidates against a query: one float in 0..1 per candidate, higher is closer.

    ``needs_text`` says whether it reads ``MatchText.text`` (the candidates' article bodies
    are then read before scoring); the lexical encoder reads only the keys.
    """

    needs_text: bool

    def similarities(self, query: MatchText, candidates: Sequence[MatchText]) -> list[float]: ...


@dataclass(frozen=True)
class Weights:
    """How much a shared lemma, name or number counts, beside its rarity."""

    lemmas: float = 1.0
    names: float = 1.0
    numbers: float = 1.0


def _same_name(x: str, y: str) -> bool:
    """Skeletons of one name, one maybe with a case ending (0qptn, 0qptnm); a short one
    (Си, 0qs) only whole."""
    short, long = sorted((x, y), key=len)
    return short == long or (len(short) >= _PREFIX_MIN and long.startswith(short))


def _vector(features: Features, idf: Callable[[str], float], w: Weights) -> dict[str, float]:
    vector = {t: w.lemmas * idf(t) for t in features.lemmas}
    vector.update({t: w.names * idf(t) for t in features.names})
    vector.update({t: w.numbers * idf(t) for t in features.numbers})
    return vector


def lexical_score(
    query: Features,
    candidate: Features,
    idf: Callable[[str], float] = lambda term: 1.0,
    weights: Weights = Weights(),
) -> float:
    """Cosine of the two passages' terms weighted by rarity (``idf``), in 0..1.

    Lemmas and numbers agree when equal, names also when one skeleton begins the other
    (a case ending). A number or a name of the claim that the passage lacks costs as much
    as its rarity says: a claim's "62 человек" does not meet a passage without 62.
    """
    q = _vector(query, idf, weights)
    c = _vector(candidate, idf, weights)
    norm = math.sqrt(sum(v * v for v in q.values())) * math.sqrt(sum(v * v for v in c.values()))
    if not norm:
        return 0.0
    dot = sum(q[t] * c[t] for t in q.keys() & c.keys())
    for name in query.names - candidate.names:
        match = next((n for n in candidate.names if _same_name(name, n)), None)
        if match is not None:
            dot += q[name] * c[match]
    return min(1.0, dot / norm)


class LexicalEncoder:
    """The default: no model, the index's own keys, terms weighed by their rarity in it."""

    needs_text = False

    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or Weights()

    def similarities(self, query: MatchText, candidates: Sequence[MatchText]) -> list[float]:
        from annotations.matching.index import term_weights

        features = Features.from_key(query.key)
        others = [Features.from_key(c.key) for c in candidates]
        terms = set(query.key.split()).union(*(c.key.split() for c in candidates))
        weights = term_weights(terms)
        idf = weights.__getitem__
        return [lexical_score(features, other, idf, self.weights) for other in others]


class VectorEncoder(ABC):
    """Base for embedding models: cosine of ``embed``'s vectors, mapped onto 0..1."""

    needs_text: ClassVar[bool] = True

    @abstractmethod
    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> list[Sequence[float]]:
        """One vector per text (a multilingual model puts translations close together)."""

    def similarities(self, query: MatchText, candidates: Sequence[MatchText]) -> list[float]:
        if not candidates:
            return []
        vectors = self.embed(
            [query.text, *(c.text for c in candidates)],
            [query.language, *(c.language for c in candidates)],
        )
        head, rest = vectors[0], vectors[1:]
        return [max(0.0, _cosine(head, vector)) for vector in rest]


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


@functools.cache
def _encoder(path: str) -> Encoder:
    encoder = import_string(path)()
    if not isinstance(encoder, Encoder):
        raise TypeError(f"MATCH_ENCODER={path!r} has no similarities() and needs_text")
    return encoder


def current_encoder() -> Encoder:
    """The encoder ``MATCH_ENCODER`` names, made once per process."""
    return _encoder(settings.MATCH_ENCODER)
