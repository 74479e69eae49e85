"""Recommend the best sellers, whatever the basket holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import (
    basket_indicator,
    check_product,
    require_fitted,
)
from basketgraph.recommend.base import BatchRecommender, FloatArray


class PopularityRecommender(BatchRecommender):
    """Score every product by the number of baskets that hold it.

    The score does not depend on the basket, so this recommender answers every
    basket, even one of products never bought: it is the floor that every other
    recommender must beat. A product never bought scores 0, not
    :data:`~basketgraph.recommend.base.UNSCORED`: how often it sold is known.
    """

    name = "popularity"

    def __init__(self) -> None:
        """Create an unfitted recommender."""
        super().__init__()
        self._counts: FloatArray | None = None

    def _fit(self, baskets: BasketMatrix) -> None:
        """Count the baskets holding each product."""
        matrix = baskets.matrix
        # [num_products]
        self._counts = np.bincount(
            matrix.indices, minlength=baskets.num_products
        ).astype(np.float64)

    @property
    def counts(self) -> FloatArray:
        """The fitted ``[num_products]`` basket counts.

        Raises:
            NotFittedError: If the recommender is not fitted.
        """
        return require_fitted(self._counts, self.name)

    def score_baskets(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return ``[len(baskets), num_products]`` rows of basket counts.

        Every row is a copy of :attr:`counts`, the same for every basket: the
        baskets' columns are only checked.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        counts = self.counts
        basket_indicator(baskets, self.num_products)

        scores = np.empty((len(baskets), len(counts)), dtype=np.float64)
        scores[:] = counts

        return scores

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return how many baskets hold ``candidate``.

        Args:
            basket (Sequence[int]): Columns of the products in the basket; they
                are only checked.
            candidate (int): Column of the product to explain.

        Returns:
            dict: ``{"candidate": candidate, "baskets": count}``.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        counts = self.counts
        basket_indicator([basket], self.num_products)
        candidate = check_product(candidate, self.num_products)

        return {"candidate": candidate, "baskets": int(counts[candidate])}
