"""How a candidate passage is scored against a claim: the encoder interface and its default.

``MATCH_ENCODER`` names the class (a dotted path). The default, ``LexicalEncoder``, needs no
model: it compares the keys the index stores (lemmas, numbers, names). A desk with a
multilingual embedding model installed subclasses ``VectorEncoder`` and gives ``embed``;
candidates still come from the index, the model only rescores them.
"""

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from annotations.matching.text import Features


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
    lemmas: float = 2.0
    names: float = 1.0
    numbers: float = 1.0


def _overlap(a: frozenset[str], b: frozenset[str], *, prefix: bool = False) -> float:
    """Cosine of two sets of tokens; with ``prefix``, a token matches one it begins."""
    if not a or not b:
        return 0.0
    if prefix:
        shared = sum(1 for x in a if any(x.startswith(y) or y.startswith(x) for y in b))
    else:
        shared = len(a & b)
    return shared / math.sqrt(len(a) * len(b))


def lexical_score(query: Features, candidate: Features, weights: Weights = Weights()) -> float:
    """Lemma overlap, name agreement and number agreement, weighted, in 0..1.

    Names and numbers count only where the claim has some: a claim with a number is far
    from a passage without it (agreement 0), while a claim without one is judged on the rest.
    """
    parts = [(weights.lemmas, _overlap(query.lemmas, candidate.lemmas))]
    if query.names:
        parts.append((weights.names, _overlap(query.names, candidate.names, prefix=True)))
    if query.numbers:
        parts.append((weights.numbers, _overlap(query.numbers, candidate.numbers)))
    total = sum(weight for weight, _ in parts)
    return sum(weight * value for weight, value in parts) / total


class LexicalEncoder:
    """The default: no model, the index's own keys."""

    needs_text = False

    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or Weights()

    def similarities(self, query: MatchText, candidates: Sequence[MatchText]) -> list[float]:
        features = Features.from_key(query.key)
        return [lexical_score(features, Features.from_key(c.key), self.weights) for c in candidates]


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
