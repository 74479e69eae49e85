"""Recommenders behind one interface: fit on baskets, score, explain."""

from __future__ import annotations

import inspect
from typing import Any

from basketgraph.exceptions import ConfigurationError, NotFittedError
from basketgraph.recommend.base import UNSCORED, Recommender
from basketgraph.recommend.cooccurrence import CooccurrenceRecommender
from basketgraph.recommend.ease import EASERecommender
from basketgraph.recommend.hybrid import HybridRecommender
from basketgraph.recommend.itemknn import ItemKNNRecommender
from basketgraph.recommend.learned import (
    GATRecommender,
    GCNRecommender,
    LearnedRecommender,
    LightGCNRecommender,
)
from basketgraph.recommend.pairmax import (
    CosineRecommender,
    PairMaxRecommender,
    TextRecommender,
)
from basketgraph.recommend.popularity import PopularityRecommender
from basketgraph.recommend.rules import RulesRecommender

__all__ = [
    "RECOMMENDERS",
    "UNSCORED",
    "CooccurrenceRecommender",
    "CosineRecommender",
    "EASERecommender",
    "GATRecommender",
    "GCNRecommender",
    "HybridRecommender",
    "ItemKNNRecommender",
    "LearnedRecommender",
    "LightGCNRecommender",
    "NotFittedError",
    "PairMaxRecommender",
    "PopularityRecommender",
    "Recommender",
    "RulesRecommender",
    "TextRecommender",
    "make_recommender",
]

#: Every recommender that :func:`make_recommender` builds, by name.
RECOMMENDERS: dict[str, type[Recommender]] = {
    cls.name: cls
    for cls in (
        PopularityRecommender,
        CooccurrenceRecommender,
        RulesRecommender,
        ItemKNNRecommender,
        CosineRecommender,
        EASERecommender,
        TextRecommender,
        GCNRecommender,
        GATRecommender,
        LightGCNRecommender,
        HybridRecommender,
    )
}


def make_recommender(name: str, **params: Any) -> Recommender:
    """Build an unfitted recommender from its name and hyperparameters.

    Args:
        name (str): One of :data:`RECOMMENDERS` (``"popularity"``,
            ``"cooccurrence"``, ``"rules"``, ``"itemknn"``).
        **params: The recommender's constructor arguments, such as ``k=20`` for
            ``"itemknn"`` or ``min_support=0.01, min_confidence=0.1`` for
            ``"rules"``.

    Returns:
        Recommender: The recommender, ready to :meth:`~Recommender.fit`.

    Raises:
        ConfigurationError: If the name is unknown, a parameter is unknown or
            missing, or a value is out of range.
    """
    cls = RECOMMENDERS.get(name)
    if cls is None:
        raise ConfigurationError(
            f"No recommender is named {name!r}; use one of "
            f"{', '.join(sorted(RECOMMENDERS))}."
        )
    signature = inspect.signature(cls.__init__)
    accepted = [
        p.name
        for p in signature.parameters.values()
        if p.name != "self" and p.kind is not p.VAR_KEYWORD
    ]
    # A recommender that takes **params checks them itself.
    open_ended = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    unknown = [] if open_ended else sorted(set(params) - set(accepted))
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name != "self"
        and p.kind is p.POSITIONAL_OR_KEYWORD
        and p.default is p.empty
        and p.name not in params
    ]
    if unknown:
        _raise_bad_parameters(name, f"takes no parameter {unknown[0]!r}", accepted)
    if missing:
        _raise_bad_parameters(name, f"needs the parameter {missing[0]!r}", accepted)

    return cls(**params)


def _raise_bad_parameters(name: str, problem: str, accepted: list[str]) -> None:
    """Raise :class:`ConfigurationError` for a parameter a recommender lacks."""
    takes = ", ".join(accepted) if accepted else "no parameters"
    raise ConfigurationError(f"The {name!r} recommender {problem}; it takes {takes}.")
