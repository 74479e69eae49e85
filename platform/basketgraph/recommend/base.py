"""The interface every recommender implements, classical and learned alike."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import numpy.typing as npt

from basketgraph.mining.baskets import BasketMatrix

if TYPE_CHECKING:
    from basketgraph.gnn.graph import ProductSide

#: Scores of a product the recommender cannot score at all (it has no evidence).
UNSCORED = -np.inf

FloatArray = npt.NDArray[np.float64]


class Recommender(ABC):
    """Fit on baskets; score every product for a basket or for one product.

    Scores are comparable within one call only. A product the recommender has no
    evidence for gets :data:`UNSCORED` (``-inf``); a basket for which every
    product is unscored is one the recommender cannot answer. Products already in
    the basket are left to the caller to exclude.
    """

    #: Short name used in reports and the graph (``"rules"``, ``"itemknn"``).
    name: str = "recommender"

    #: Whether :meth:`fit` needs product side information (text, price...).
    uses_side: bool = False

    def __init__(self) -> None:
        """Create an unfitted recommender."""
        self._num_products = 0
        self._side: ProductSide | None = None

    @property
    def num_products(self) -> int:
        """Number of products (columns) seen when fitting."""
        return self._num_products

    def fit(self, baskets: BasketMatrix, side: ProductSide | None = None) -> Self:
        """Learn from ``baskets`` and return ``self``.

        Args:
            baskets (BasketMatrix): Training baskets, rows in time order.
            side (ProductSide, optional): Text embeddings, prices and categories
                aligned with the baskets' columns; read only by recommenders whose
                :attr:`uses_side` is set (default: none).
        """
        self._num_products = baskets.num_products
        if side is not None:
            side.check(baskets.num_products)
        self._side = side
        self._fit(baskets)

        return self

    @abstractmethod
    def _fit(self, baskets: BasketMatrix) -> None:
        """Learn from ``baskets``; :attr:`num_products` is already set."""

    @abstractmethod
    def score_basket(self, basket: Sequence[int]) -> FloatArray:
        """Return ``[num_products]`` scores of adding each product to ``basket``.

        Args:
            basket (Sequence[int]): Columns of the products in the basket.
        """

    def score_baskets(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return ``[len(baskets), num_products]`` scores, one row per basket.

        Subclasses override this when they can score many baskets at once faster.
        """
        scores = np.empty((len(baskets), self.num_products), dtype=np.float64)
        for row, basket in enumerate(baskets):
            scores[row] = self.score_basket(basket)

        return scores

    def score_held_out(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return the scores of completing each basket with each product left out.

        Row ``r`` of the result scores basket ``b`` without its ``t``-th product,
        for every ``(b, t)`` in order: ``[sum(len(b)), num_products]``. This is
        the basket-completion task's query set; recommenders that can share work
        between the queries of one basket override it.
        """
        contexts = [
            list(basket[:held]) + list(basket[held + 1 :])
            for basket in baskets
            for held in range(len(basket))
        ]

        return self.score_baskets(contexts)

    def score_product(self, product: int) -> FloatArray:
        """Return ``[num_products]`` scores of each product as related to one."""
        return self.score_basket([product])

    @abstractmethod
    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return the evidence behind ``candidate``'s score for ``basket``.

        The keys depend on the recommender (co-purchase count, lift, the rule
        used...); values are plain numbers or lists, ready for JSON.
        """


class BatchRecommender(Recommender):
    """A recommender that scores many baskets at once: one basket is a batch of one.

    Subclasses implement :meth:`score_baskets` only.
    """

    @abstractmethod
    def score_baskets(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return ``[len(baskets), num_products]`` scores, one row per basket."""

    def score_basket(self, basket: Sequence[int]) -> FloatArray:
        """Return ``[num_products]`` scores: the row :meth:`score_baskets` gives.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        scores: FloatArray = self.score_baskets([basket])[0]

        return scores
