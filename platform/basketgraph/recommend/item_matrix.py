"""Recommenders that score a basket by summing rows of a product-by-product matrix."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import (
    basket_indicator,
    held_out_by_subtraction,
    require_fitted,
    score_in_chunks,
)
from basketgraph.recommend.base import UNSCORED, BatchRecommender, FloatArray


class ItemMatrixRecommender(BatchRecommender):
    """Score candidate ``c`` for basket ``B`` as ``sum_{b in B} W[b, c]``.

    ``W`` is a sparse ``[num_products, num_products]`` matrix of positive weights
    learnt by :meth:`_fit_weights`; a stored entry is evidence that ``c`` goes with
    ``b``. A candidate that no basket product has an entry for gets
    :data:`~basketgraph.recommend.base.UNSCORED`. All baskets are scored by one
    sparse product ``X_B W`` of their ``[num_baskets, num_products]`` indicator
    matrix, block by block.
    """

    def __init__(self) -> None:
        """Create an unfitted recommender."""
        super().__init__()
        self._weights: sparse.csr_array | None = None
        self._exact = False

    def _fit(self, baskets: BasketMatrix) -> None:
        """Learn ``W`` from ``baskets``."""
        weights = sparse.csr_array(self._fit_weights(baskets).astype(np.float64))
        # Entries must mean evidence: explicit zeros would score 0, not UNSCORED.
        weights.eliminate_zeros()
        weights.sort_indices()
        self._weights = weights
        # Whole-number weights (counts) sum exactly in any order, so a basket's
        # held-out queries can share one sum (score_held_out).
        self._exact = bool(np.all(weights.data == np.round(weights.data)))

    @abstractmethod
    def _fit_weights(self, baskets: BasketMatrix) -> sparse.csr_array:
        """Return ``[num_products, num_products]`` non-negative weights ``W``."""

    @property
    def weights(self) -> sparse.csr_array:
        """The fitted ``[num_products, num_products]`` matrix ``W``, rows ``b``.

        Raises:
            NotFittedError: If the recommender is not fitted.
        """
        return require_fitted(self._weights, self.name)

    def score_baskets(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return ``[len(baskets), num_products]`` sums of each basket's rows of ``W``.

        Args:
            baskets (Sequence[Sequence[int]]): Columns of each basket's products.

        Returns:
            numpy.ndarray: ``[len(baskets), num_products]``, ``-inf`` without
            evidence.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        weights = self.weights
        indicator = basket_indicator(baskets, self.num_products)

        return score_in_chunks(indicator, lambda block: block @ weights)

    def score_held_out(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Score every basket without each of its products, one sum per basket.

        Without product ``t`` a basket scores its sum minus ``t``'s row of ``W``;
        a candidate stays scored while another product has evidence for it. Used
        when ``W`` holds whole numbers, which subtract exactly; otherwise each
        query is summed on its own, as :meth:`score_baskets` does.
        """
        if not self._exact:
            return super().score_held_out(baskets)
        weights = self.weights

        def held_block(basket: list[int]) -> FloatArray:
            block = weights[basket].toarray()  # [size, num_products]
            evidence = (block != 0).sum(axis=0)
            held = block.sum(axis=0)[None, :] - block
            left = evidence[None, :] - (block != 0)
            held[left == 0] = UNSCORED
            return np.asarray(held, dtype=np.float64)

        return held_out_by_subtraction(
            baskets, self.num_products, held_block, super().score_held_out
        )

    def basket_weights(self, columns: Sequence[int], candidate: int) -> list[float]:
        """Return ``W[b, candidate]`` for each ``b`` in ``columns``, 0 if unstored."""
        weights = self.weights
        values: list[float] = []
        for column in columns:
            start, stop = weights.indptr[column], weights.indptr[column + 1]
            row = weights.indices[start:stop]
            at = int(row.searchsorted(candidate))
            found = at < len(row) and row[at] == candidate
            values.append(float(weights.data[start + at]) if found else 0.0)

        return values
