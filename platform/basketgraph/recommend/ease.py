"""EASE: a linear model that learns to complete a basket from the rest of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import (
    basket_indicator,
    check_product,
    held_out_by_subtraction,
    require_fitted,
)
from basketgraph.recommend.base import UNSCORED, BatchRecommender, FloatArray

#: The L2 penalties tried on the validation baskets when none is given.
L2_GRID = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)


class EASERecommender(BatchRecommender):
    r"""Score candidates by a product-by-product weight matrix fitted to the baskets.

    EASE (Steck, "Embarrassingly shallow autoencoders for sparse data", WWW 2019)
    learns the ``[num_products, num_products]`` matrix ``B`` that best predicts
    each product's column of the 0/1 basket matrix ``X`` from the other columns,

    .. math::
        \min_B \lVert X - XB \rVert_F^2 + \lambda \lVert B \rVert_F^2
        \quad \text{subject to} \quad \operatorname{diag}(B) = 0,

    whose solution is closed-form: with :math:`P = (X^\top X + \lambda I)^{-1}`,
    :math:`B_{ij} = -P_{ij} / P_{jj}` off the diagonal. A basket scores candidate
    ``c`` by :math:`\sum_{b \in B} B_{bc}`. Unlike a sum of cosines, the weights of
    products bought with everything are learnt down (they predict little that
    the rest of the basket does not), and weights may be negative: products that
    replace each other.

    The penalty is the one hyperparameter. Without ``l2``, every value of
    :data:`L2_GRID` is fitted on the earlier baskets and judged by NDCG@10 of
    completing up to ``validation_baskets`` of the latest ``validation_share``
    (as the graph networks choose their epoch); the best is then fitted on all.

    Args:
        l2 (float, optional): The penalty ``λ > 0``; chosen on validation when
            left out.
        validation_share (float): Latest share of the training baskets that
            chooses ``l2`` (default: 0.1).
        validation_baskets (int): Most validation baskets used (default: 2,000).
        seed (int): Seed of the choice of validation baskets and held-out
            products.

    Raises:
        ConfigurationError: If a value is out of range.
    """

    name = "ease"

    def __init__(
        self,
        l2: float | None = None,
        validation_share: float = 0.1,
        validation_baskets: int = 2_000,
        seed: int = 0,
    ) -> None:
        """Create an unfitted recommender; see the class docstring."""
        super().__init__()
        if l2 is not None and (isinstance(l2, bool) or not l2 > 0.0):
            raise ConfigurationError(f"l2 is {l2!r}; use a number > 0.")
        if not 0.0 < validation_share < 1.0:
            raise ConfigurationError(
                f"validation_share is {validation_share!r}; use a number in (0, 1)."
            )
        if validation_baskets < 1:
            raise ConfigurationError(
                f"validation_baskets is {validation_baskets!r}; use 1 or more."
            )
        self.l2 = None if l2 is None else float(l2)
        self.validation_share = float(validation_share)
        self.validation_baskets = int(validation_baskets)
        self.seed = int(seed)
        self._weights: FloatArray | None = None
        self._sold: npt.NDArray[np.bool_] | None = None
        #: Validation NDCG@10 of each penalty tried, when it was chosen.
        self.l2_search: list[dict[str, float]] = []
        #: The penalty of the fitted weights.
        self.chosen_l2: float | None = None

    def _fit(self, baskets: BasketMatrix) -> None:
        matrix = sparse.csr_array(baskets.matrix.astype(np.float64))
        l2 = self.l2
        if l2 is None:
            l2 = self._choose_l2(matrix)
        self.chosen_l2 = l2
        self._weights = ease_weights(matrix, l2)
        self._sold = np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0

    def _choose_l2(self, matrix: sparse.csr_array) -> float:
        """Return the penalty of :data:`L2_GRID` that completes validation best."""
        from basketgraph.evaluation.metrics import ndcg, rank_of
        from basketgraph.gnn.training import split_in_time, validation_queries

        fit, held_out = split_in_time(matrix, self.validation_share)
        queries = validation_queries(
            held_out, self.validation_baskets, np.random.default_rng(self.seed)
        )
        if not queries.contexts:
            return L2_GRID[len(L2_GRID) // 2]
        indicator = basket_indicator(queries.contexts, matrix.shape[1])
        self.l2_search = []
        for l2 in L2_GRID:
            scores = np.asarray(indicator @ ease_weights(fit, l2))
            # Ranked as the evaluation ranks: ties count against the target.
            ranks = rank_of(scores, queries.targets, exclude=queries.contexts)
            gain = float(ndcg(ranks, 10).mean())
            self.l2_search.append({"l2": l2, "ndcg@10": gain})
        best = max(self.l2_search, key=lambda s: (s["ndcg@10"], -s["l2"]))

        return best["l2"]

    @property
    def weights(self) -> FloatArray:
        """The fitted dense ``[num_products, num_products]`` matrix ``B``.

        Raises:
            NotFittedError: If the recommender is not fitted.
        """
        return require_fitted(self._weights, self.name)

    def score_baskets(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return ``[len(baskets), num_products]`` sums of each basket's rows of ``B``.

        A product never bought in training is unscored (it has no weight), and
        so is every product for a basket of only such products.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        weights = self.weights
        indicator = basket_indicator(baskets, self.num_products)
        scores = np.asarray(indicator @ weights, dtype=np.float64)
        sold = require_fitted(self._sold, self.name)
        scores[:, ~sold] = UNSCORED
        scores[(indicator @ sold.astype(np.float64)) == 0] = UNSCORED

        return scores

    def score_held_out(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Score every basket without each of its products, one sum per basket.

        Without product ``t`` a basket scores its sum of rows of ``B`` minus
        ``t``'s row: a basket of ``m`` products costs ``m`` rows instead of
        ``m * (m - 1)``, which is what makes Online Retail's baskets of a hundred
        products and more cheap to complete.
        """
        weights = self.weights
        sold = require_fitted(self._sold, self.name)

        def held_block(basket: list[int]) -> FloatArray:
            block = weights[basket]  # [size, num_products]
            held = block.sum(axis=0)[None, :] - block
            held[:, ~sold] = UNSCORED
            left = sold[basket].sum() - sold[basket]  # sold products that remain
            held[left == 0] = UNSCORED
            return np.asarray(held, dtype=np.float64)

        return held_out_by_subtraction(
            baskets, self.num_products, held_block, super().score_held_out
        )

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return each basket product's weight toward ``candidate``.

        Returns:
            dict: ``candidate``; ``contributions``, one ``{"product", "weight"}``
            per basket product with a nonzero weight, strongest (by magnitude)
            first; ``score``, their sum; ``l2``, the penalty of the fit.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        weights = self.weights
        candidate = check_product(candidate, weights.shape[0])
        columns = sorted(set(basket_indicator([basket], weights.shape[0]).indices))
        contributions = [
            {"product": int(b), "weight": float(weights[b, candidate])}
            for b in columns
            if weights[b, candidate] != 0.0
        ]
        contributions.sort(key=lambda c: (-abs(c["weight"]), c["product"]))

        return {
            "candidate": candidate,
            "contributions": contributions,
            "score": float(sum(weights[b, candidate] for b in columns)),
            "l2": self.chosen_l2,
        }


def ease_weights(matrix: sparse.csr_array, l2: float) -> FloatArray:
    """Return EASE's ``B`` for the 0/1 baskets ``matrix`` and penalty ``l2``.

    Args:
        matrix (scipy.sparse.csr_array): ``[num_baskets, num_products]`` 0/1.
        l2 (float): The penalty ``λ > 0``.

    Returns:
        numpy.ndarray: ``[num_products, num_products]`` float64, zero diagonal.
    """
    x = sparse.csr_array(matrix.astype(np.float64))
    gram = (x.T @ x).toarray()
    gram[np.diag_indices_from(gram)] += l2
    inverse = np.linalg.inv(gram)
    weights = inverse / -np.diag(inverse)[None, :]
    weights[np.diag_indices_from(weights)] = 0.0

    return np.asarray(weights, dtype=np.float64)
