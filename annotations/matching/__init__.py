"""The same-claim matcher: passages of other articles, in any language, that report a claim.

Offline and model-free by default (``encoders.LexicalEncoder``): sentences (``text``) are
reduced to folded lemmas, numbers and name skeletons, indexed by the database (``index``,
``schema``), and the index's best candidates rescored (``encoders``). ``claim_matches`` is
what the API and the annotator's suggestions read.
"""

from annotations.matching.encoders import (
    Encoder,
    LexicalEncoder,
    MatchText,
    VectorEncoder,
    current_encoder,
    lexical_score,
)
from annotations.matching.index import (
    article_passages,
    article_passages_refresh,
    candidates,
    passages_rebuild,
)
from annotations.matching.matches import Match, claim_matches
from annotations.matching.text import Features, features, passage_key, split_passages

__all__ = [
    "Encoder",
    "Features",
    "LexicalEncoder",
    "Match",
    "MatchText",
    "VectorEncoder",
    "article_passages",
    "article_passages_refresh",
    "candidates",
    "claim_matches",
    "current_encoder",
    "features",
    "lexical_score",
    "passage_key",
    "passages_rebuild",
    "split_passages",
]
