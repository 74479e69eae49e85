"""Recommenders that score with product vectors learned by a graph neural network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import require_fitted
from basketgraph.recommend.base import FloatArray
from basketgraph.recommend.pairmax import PairMaxRecommender, explain_pair_max


class LearnedRecommender(PairMaxRecommender):
    """Score with the cosine of product vectors learned by a graph neural network.

    The network (:mod:`basketgraph.gnn`) is trained for link prediction on the
    co-purchase graph of the training baskets, with product text embeddings,
    category, price and popularity as node features when :meth:`fit` is given
    them; a candidate then scores its best cosine with a product of the basket.

    Args:
        **params: Any field of :class:`basketgraph.gnn.training.TrainConfig`
            but ``model`` (such as ``channels=64``, ``max_epochs=60``, ``seed=0``).
    """

    uses_side = True
    #: The encoder of :mod:`basketgraph.gnn.model`: set by each subclass.
    model_name = "gcn"

    def __init__(self, **params: Any) -> None:
        """Keep the hyperparameters; training happens in :meth:`fit`."""
        from basketgraph.gnn.training import TrainConfig

        super().__init__()
        allowed = {f.name for f in fields(TrainConfig)} - {"model"}
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ConfigurationError(
                f"The {self.name!r} recommender takes no parameter {unknown[0]!r}; "
                f"it takes {', '.join(sorted(allowed))}."
            )
        self.config = TrainConfig(model=self.model_name, **params)
        self.result: Any = None
        self._vectors: npt.NDArray[np.float64] | None = None

    def _fit(self, baskets: BasketMatrix) -> None:
        from basketgraph.gnn.training import product_vectors, train_model

        self.result = train_model(baskets, self._side, self.config)
        # In float64, so that a product's scores do not depend on how many
        # products are scored with it (float32 products round by block size).
        vectors = product_vectors(self.result.model, self.result.graph)
        self._vectors = vectors.astype(np.float64)

    def check_fitted(self) -> None:
        """Raise :class:`~basketgraph.exceptions.NotFittedError` unless fitted."""
        require_fitted(self._vectors, self.name)

    @property
    def vectors(self) -> npt.NDArray[np.float64]:
        """``[num_products, channels]`` unit product vectors."""
        return require_fitted(self._vectors, self.name)

    def pair_scores(self, products: Sequence[int]) -> FloatArray:
        """Return ``[len(products), num_products]`` cosines of the products' vectors."""
        vectors = self.vectors

        return np.asarray(vectors[list(products)] @ vectors.T, dtype=np.float64)

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return the learned score and the basket product that gave it."""
        explanation = explain_pair_max(self, basket, candidate, "learned_score")
        explanation["model"] = self.model_name

        return explanation


class GCNRecommender(LearnedRecommender):
    """:class:`LearnedRecommender` with a GCN encoder."""

    name = "gcn"
    model_name = "gcn"


class GATRecommender(LearnedRecommender):
    """:class:`LearnedRecommender` with a GAT encoder; explains by attention too."""

    name = "gat"
    model_name = "gat"

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Add the candidate's most attended neighbours to the explanation."""
        explanation = super().explain(basket, candidate)
        explanation["attended"] = self.attended(candidate)

        return explanation

    def attended(self, product: int, k: int = 5) -> list[dict[str, float]]:
        """Return the ``k`` neighbours ``product`` attended to most, with weights."""
        encoder = self.result.model.encoder if self.result is not None else None
        attention = getattr(encoder, "attention", None)
        if attention is None:
            return []
        edge_index, weight = (a.cpu().numpy() for a in attention)
        mine = np.flatnonzero((edge_index[1] == product) & (edge_index[0] != product))
        best = mine[np.argsort(-weight[mine], kind="stable")[:k]]

        return [
            {"product": int(edge_index[0, e]), "weight": float(weight[e])} for e in best
        ]


class LightGCNRecommender(LearnedRecommender):
    """:class:`LearnedRecommender` with a LightGCN encoder (no node features)."""

    name = "lightgcn"
    model_name = "lightgcn"
