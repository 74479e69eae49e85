"""Complete a basket with the products most often bought with its products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import basket_columns, check_product
from basketgraph.recommend.item_matrix import ItemMatrixRecommender


class CooccurrenceRecommender(ItemMatrixRecommender):
    r"""Score a candidate by how often it was bought with each basket product.

    With ``X`` the ``[num_orders, num_products]`` 0/1 basket matrix, the
    co-purchase counts are ``C = XᵀX`` without its diagonal (a product is not
    evidence for itself), and candidate ``c`` scores
    :math:`\sum_{b \in B} C_{bc}` for basket ``B``. Products never bought with any
    basket product are :data:`~basketgraph.recommend.base.UNSCORED`.

    Counts favour popular products; it is the baseline that the normalised
    recommenders (:class:`~basketgraph.recommend.itemknn.ItemKNNRecommender`,
    rules by lift) must beat.
    """

    name = "cooccurrence"

    def _fit_weights(self, baskets: BasketMatrix) -> sparse.csr_array:
        """Return the ``[num_products, num_products]`` co-purchase counts."""
        x = baskets.matrix.astype(np.float64)
        counts = sparse.coo_array(x.T @ x)
        off_diagonal = counts.row != counts.col

        return sparse.csr_array(
            (
                counts.data[off_diagonal],
                (counts.row[off_diagonal], counts.col[off_diagonal]),
            ),
            shape=counts.shape,
        )

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return the co-purchase count of ``candidate`` with each basket product.

        Args:
            basket (Sequence[int]): Columns of the products in the basket.
            candidate (int): Column of the product to explain.

        Returns:
            dict: ``candidate``; ``co_purchases``, one ``{"product", "count"}``
            per distinct basket product, ascending; ``total``, their sum (the
            score, or 0 where it is unscored).

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        weights = self.weights
        columns = basket_columns(basket, weights.shape[0]).tolist()
        candidate = check_product(candidate, weights.shape[0])
        counts = [int(count) for count in self.basket_weights(columns, candidate)]

        return {
            "candidate": candidate,
            "co_purchases": [
                {"product": column, "count": count}
                for column, count in zip(columns, counts, strict=True)
            ],
            "total": sum(counts),
        }
