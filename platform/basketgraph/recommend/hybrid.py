"""The hybrid: co-purchase, learned and text similarity, weighed on validation data."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.gnn.graph import build_product_graph
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import basket_columns, check_product, require_fitted
from basketgraph.recommend.base import FloatArray
from basketgraph.recommend.learned import (
    GATRecommender,
    GCNRecommender,
    LearnedRecommender,
    LightGCNRecommender,
)
from basketgraph.recommend.pairmax import PairMaxRecommender, co_purchase_cosine

#: ``(co-purchase, learned, text, popularity)`` weights of the hybrid.
Weights = tuple[float, float, float, float]
#: Weights tried for the learned and the text component (co-purchase weighs 1).
WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
TEXT_GRID = (0.0, 0.1, 0.25, 0.5)
#: Weights tried for popularity (log sales over the best seller's, in [0, 1]).
POPULARITY_GRID = (0.0, 0.05, 0.1, 0.2)
#: Text similarity from which two products count as alike.
ALIKE = 0.75
_LEARNED: dict[str, type[LearnedRecommender]] = {
    "gcn": GCNRecommender,
    "gat": GATRecommender,
    "lightgcn": LightGCNRecommender,
}


@dataclass(frozen=True)
class Components:
    """The pair similarities the hybrid weighs, on one set of baskets."""

    #: ``[n, n]`` sparse co-purchase cosines.
    cosine: sparse.csr_array
    #: ``[n, channels]`` unit learned vectors.
    learned: npt.NDArray[np.float64]
    #: ``[n, d]`` unit text vectors, zero rows where a product has no text.
    text: npt.NDArray[np.float64] | None
    #: ``[n]`` ``log1p`` of each product's baskets over the best seller's.
    popularity: npt.NDArray[np.float64]

    def rows(self, products: Sequence[int]) -> tuple[FloatArray, ...]:
        """Return each component's ``[len(products), n]`` pair scores."""
        index = list(products)
        cosine = np.asarray(self.cosine[index].toarray(), dtype=np.float64)
        learned = np.asarray(self.learned[index] @ self.learned.T, dtype=np.float64)
        popularity = self.popularity[None, :]
        if self.text is None:
            return cosine, learned, np.zeros_like(cosine), popularity
        text = np.asarray(self.text[index] @ self.text.T, dtype=np.float64)

        return cosine, learned, text, popularity


class HybridRecommender(PairMaxRecommender):
    r"""Weigh co-purchase cosine, learned cosine and text similarity per pair.

    .. math::
        \mathrm{sim}(i, j) = w_c \cos_{\mathrm{co}}(i, j)
            + w_l \cos_{\mathrm{learned}}(i, j) + w_t \cos_{\mathrm{text}}(i, j)
            + w_p \frac{\log(1 + n_j)}{\log(1 + \max_k n_k)}

    and a basket scores a candidate by its best pair, as every
    :class:`~basketgraph.recommend.pairmax.PairMaxRecommender`. The weights are
    chosen on the latest baskets of the training data (the learned model's
    validation baskets), with every component fitted on the baskets before them:
    the test period is never looked at. The same components also separate
    *complements*, bought together and not alike, from *substitutes*, alike and
    bought together less than chance predicts (:meth:`complement_scores`,
    :meth:`substitute_scores`).

    Args:
        model (str): Learned component: ``"gcn"``, ``"gat"`` or ``"lightgcn"``
            (default: ``"gcn"``).
        weights (Weights, optional): Fixed ``(w_c, w_l, w_t, w_p)``
            instead of fitted ones.
        **params: Training parameters of the learned component
            (:class:`~basketgraph.gnn.training.TrainConfig`).
    """

    name = "hybrid"
    uses_side = True

    def __init__(
        self,
        model: str = "gcn",
        weights: Weights | None = None,
        **params: Any,
    ) -> None:
        """Keep the parameters; everything is fitted in :meth:`fit`."""
        super().__init__()
        if model not in _LEARNED:
            raise ValueError(
                f"No learned model is named {model!r}; use one of "
                f"{', '.join(sorted(_LEARNED))}."
            )
        self.learned = _LEARNED[model](**params)
        self.weights = weights
        self._offered: list[LearnedRecommender] = []
        self._components: Components | None = None
        #: Validation NDCG@10 of every weighting tried, when they were fitted.
        self.weight_search: list[dict[str, float]] = []

    def _fit(self, baskets: BasketMatrix) -> None:
        from basketgraph.gnn.training import (
            product_vectors,
            split_in_time,
            validation_queries,
        )

        side_text = self._side.text if self._side is not None else None
        text = side_text.astype(np.float64) if side_text is not None else None
        if not self._reusable(baskets):
            self.learned.fit(baskets, self._side)
        result = self.learned.result
        if self.weights is None:
            matrix = sparse.csr_array(baskets.matrix)
            fit, held_out = split_in_time(matrix, result.config.validation_share)
            before = Components(
                co_purchase_cosine(
                    BasketMatrix(
                        fit, baskets.order_ids[: fit.shape[0]], baskets.product_ids
                    )
                ),
                product_vectors(result.model, result.fit_graph).astype(np.float64),
                text,
                _log_popularity(fit),
            )
            rng = np.random.default_rng(result.config.seed)
            queries = validation_queries(
                held_out, result.config.validation_baskets, rng
            )
            self.weights, self.weight_search = fit_weights(
                before, queries.contexts, queries.targets
            )
        self._components = Components(
            co_purchase_cosine(baskets),
            self.learned.vectors,
            text,
            _log_popularity(sparse.csr_array(baskets.matrix)),
        )
        self._counts = _co_purchase_counts(baskets)

    def use_fitted(self, learned: LearnedRecommender) -> None:
        """Offer a fitted learned model to reuse instead of training one in :meth:`fit`.

        One is used only if it has the same configuration as this hybrid's and
        was fitted on the same data (the same graph hash); otherwise :meth:`fit`
        trains its own, as always.
        """
        self._offered.append(learned)

    def _reusable(self, baskets: BasketMatrix) -> bool:
        config = self.learned.config
        matching = [
            o for o in self._offered if o.result is not None and o.config == config
        ]
        if not matching:
            return False
        graph = build_product_graph(
            baskets, self._side, config.graph_top_k, config.min_count
        )
        for offered in matching:
            if offered.result.graph.data_hash == graph.data_hash:
                self.learned = offered
                return True

        return False

    def check_fitted(self) -> None:
        """Raise :class:`~basketgraph.exceptions.NotFittedError` unless fitted."""
        require_fitted(self._components, self.name)

    @property
    def components(self) -> Components:
        """The fitted components."""
        return require_fitted(self._components, self.name)

    def pair_scores(self, products: Sequence[int]) -> FloatArray:
        """Return ``[len(products), num_products]`` weighted pair similarities."""
        assert self.weights is not None  # set in _fit
        return _weigh(self.components.rows(products), self.weights)

    def complement_scores(self, products: Sequence[int]) -> FloatArray:
        """Return ``[len(products), num_products]`` complement scores.

        The co-purchase and learned part of the hybrid, for pairs that are not
        alike (text similarity below :data:`ALIKE`) and not bought together less
        often than chance predicts: such pairs score ``-inf``. The learned part
        alone would pair substitutes too, since they share their complements. A
        product too rarely bought for chance to predict a joint purchase keeps
        its learned partners, which is how a new product gets complements.
        """
        assert self.weights is not None
        cosine, learned, text, _ = self.components.rows(products)
        observed, expected = self._observed_expected(products)
        scores = self.weights[0] * cosine + self.weights[1] * learned
        scores[(text >= ALIKE) | ((expected >= 1.0) & (observed < expected))] = -np.inf

        return scores

    def _observed_expected(
        self, products: Sequence[int]
    ) -> tuple[FloatArray, FloatArray]:
        """Return baskets holding each pair, and how many chance predicts."""
        together, counts, baskets = self._counts
        index = list(products)
        observed = np.asarray(together[index].toarray(), dtype=np.float64)
        expected = np.outer(counts[index], counts) / max(baskets, 1)

        return observed, expected

    def substitute_scores(self, products: Sequence[int]) -> FloatArray:
        r"""Return ``[len(products), num_products]`` substitute scores.

        .. math::
            \cos_{\mathrm{text}}(i, j) \cdot
            \left(1 - \min\left(1, \frac{n_{ij}}{n_i n_j / N}\right)\right)

        Alike products that are bought together as often as chance predicts, or
        more, are not substitutes (they score 0); alike products never bought
        together score their text similarity. Pairs below :data:`ALIKE` score
        ``-inf``.
        """
        _, _, text, _ = self.components.rows(products)
        observed, expected = self._observed_expected(products)
        ratio = np.divide(
            observed, expected, out=np.zeros_like(observed), where=expected > 0
        )
        scores = text * (1.0 - np.minimum(ratio, 1.0))
        scores[text < ALIKE] = -np.inf

        return scores

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return each component's best pair score and the weights."""
        self.check_fitted()
        check_product(candidate, self.num_products)
        columns = basket_columns(basket, self.num_products)
        if len(columns) == 0:
            return {"candidate": candidate, "score": None, "because_of": None}
        assert self.weights is not None
        parts = [p[:, candidate] for p in self.components.rows(columns.tolist())]
        total = _weigh(tuple(p[:, None] for p in parts), self.weights)[:, 0]
        best = int(np.argmax(total))

        return {
            "candidate": candidate,
            "score": float(total[best]),
            "because_of": int(columns[best]),
            "co_purchase_cosine": float(parts[0][best]),
            "learned_score": float(parts[1][best]),
            "text_similarity": float(parts[2][best]),
            "popularity": float(parts[3][0]),
            "weights": list(self.weights),
        }


def _weigh(rows: tuple[FloatArray, ...], weights: Weights) -> FloatArray:
    cosine, learned, text, popularity = rows

    return (
        weights[0] * cosine
        + weights[1] * learned
        + weights[2] * text
        + weights[3] * popularity
    )


def _log_popularity(matrix: sparse.csr_array) -> npt.NDArray[np.float64]:
    indicator = matrix.astype(np.float64, copy=True)
    indicator.data[:] = 1.0
    counts = np.log1p(np.asarray(indicator.sum(axis=0)).ravel())
    top = counts.max(initial=0.0)

    return counts / top if top > 0 else counts


def _co_purchase_counts(
    baskets: BasketMatrix,
) -> tuple[sparse.csr_array, npt.NDArray[np.float64], int]:
    indicator = baskets.matrix.astype(np.float64, copy=True)
    indicator.data[:] = 1.0
    together = sparse.csr_array(indicator.T @ indicator)
    counts = together.diagonal().astype(np.float64)

    return together, counts, baskets.num_orders


def fit_weights(
    components: Components,
    contexts: list[list[int]],
    targets: npt.NDArray[np.int64],
) -> tuple[Weights, list[dict[str, float]]]:
    """Choose the weights that complete the validation baskets best (NDCG@10).

    Every combination of :data:`WEIGHT_GRID` (learned), :data:`TEXT_GRID` and
    :data:`POPULARITY_GRID` is tried with co-purchase weighing 1, and the learned
    and text components alone too.

    Returns:
        tuple: The best ``(w_c, w_l, w_t)``, and every weighting with its score.
    """
    candidates: list[Weights] = [
        (1.0, wl, wt, wp)
        for wl, wt, wp in itertools.product(WEIGHT_GRID, TEXT_GRID, POPULARITY_GRID)
    ]
    candidates += [(0.0, 1.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0)]
    gains = np.zeros(len(candidates))
    for context, target in zip(contexts, targets.tolist(), strict=True):
        rows = components.rows(context)
        for c, weights in enumerate(candidates):
            scores = _weigh(rows, weights).max(axis=0)
            scores[context] = -np.inf
            rank = int((scores >= scores[target]).sum())
            if rank <= 10:
                gains[c] += 1.0 / np.log2(rank + 1)
    gains /= max(len(contexts), 1)
    search = [
        {
            "co_purchase": w[0],
            "learned": w[1],
            "text": w[2],
            "popularity": w[3],
            "ndcg@10": float(g),
        }
        for w, g in zip(candidates, gains, strict=True)
    ]
    best = candidates[int(np.argmax(gains))]

    return best, search
