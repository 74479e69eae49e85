"""Item-based nearest neighbours: products whose buyers overlap, by cosine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend._baskets import IndexArray, basket_columns, check_product
from basketgraph.recommend.base import FloatArray
from basketgraph.recommend.item_matrix import ItemMatrixRecommender


class ItemKNNRecommender(ItemMatrixRecommender):
    r"""Score a candidate by its cosine similarity to the basket's products.

    Item-based collaborative filtering (Sarwar et al., "Item-based collaborative
    filtering recommendation algorithms", WWW 2001; Deshpande and Karypis,
    "Item-based top-N recommendation algorithms", TOIS 2004). Each product is the
    ``[num_orders]`` 0/1 column of the baskets holding it; two products ``i, j``
    bought together in ``n_ij`` baskets, and alone in ``n_i`` and ``n_j``, have

    .. math::
        \mathrm{sim}(i, j) = \frac{n_{ij}}{\sqrt{n_i}\sqrt{n_j} + \lambda}

    with the shrinkage ``λ`` damping pairs seen in few baskets. Each product keeps
    only its ``k`` most similar neighbours (ties go to the smaller column), and
    candidate ``c`` scores :math:`\sum_{b \in B} \mathrm{sim}(b, c)` over the
    basket products ``b`` that keep ``c`` among their neighbours; a candidate none
    of them keeps is :data:`~basketgraph.recommend.base.UNSCORED`.

    Args:
        k (int): Neighbours kept per product, at least 1 (default: 50).
        shrink (float): The shrinkage ``λ >= 0`` (default: 0.0, plain cosine).

    Raises:
        ConfigurationError: If ``k`` or ``shrink`` is out of range.
    """

    name = "itemknn"

    def __init__(self, k: int = 50, shrink: float = 0.0) -> None:
        """Create an unfitted recommender; see the class docstring."""
        super().__init__()
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ConfigurationError(f"k is {k!r}; use a whole number >= 1.")
        if isinstance(shrink, bool) or not shrink >= 0.0:
            raise ConfigurationError(f"shrink is {shrink!r}; use a number >= 0.")
        self.k = int(k)
        self.shrink = float(shrink)

    def _fit_weights(self, baskets: BasketMatrix) -> sparse.csr_array:
        """Return ``[num_products, num_products]`` similarities, top ``k`` per row."""
        x = baskets.matrix.astype(np.float64)
        co_purchase = sparse.coo_array(x.T @ x)
        row, col = co_purchase.row.astype(np.int64), co_purchase.col.astype(np.int64)
        # [num_products] the norm of each product's basket column
        norm = np.sqrt(np.bincount(baskets.matrix.indices, minlength=x.shape[1]))
        similarity = co_purchase.data / (norm[row] * norm[col] + self.shrink)
        keep = (row != col) & _top_k(row, col, similarity, self.k)

        return sparse.csr_array(
            (similarity[keep], (row[keep], col[keep])), shape=co_purchase.shape
        )

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return the basket products whose neighbours include ``candidate``.

        Args:
            basket (Sequence[int]): Columns of the products in the basket.
            candidate (int): Column of the product to explain.

        Returns:
            dict: ``candidate``; ``neighbours``, one ``{"product", "similarity"}``
            per basket product that keeps ``candidate`` among its ``k``
            neighbours, ascending by product; ``score``, the sum of their
            similarities (``None`` where there is none).

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        weights = self.weights
        columns = basket_columns(basket, weights.shape[0]).tolist()
        candidate = check_product(candidate, weights.shape[0])
        similarities = self.basket_weights(columns, candidate)
        neighbours = [
            {"product": column, "similarity": similarity}
            for column, similarity in zip(columns, similarities, strict=True)
            if similarity > 0.0
        ]
        # Summed in basket order from 0, as the sparse product sums them.
        score = float(sum(similarities)) if neighbours else None

        return {"candidate": candidate, "neighbours": neighbours, "score": score}


def _top_k(
    row: IndexArray, col: IndexArray, similarity: FloatArray, k: int
) -> npt.NDArray[np.bool_]:
    """Return which entries are among their row's ``k`` best, self-pairs excluded.

    Within a row, entries rank by similarity (highest first), then by column
    (smallest first), so the neighbours kept never depend on the input's order.

    Args:
        row (numpy.ndarray): ``[num_entries]`` product of each entry.
        col (numpy.ndarray): ``[num_entries]`` neighbour of each entry.
        similarity (numpy.ndarray): ``[num_entries]``.
        k (int): Entries kept per row.

    Returns:
        numpy.ndarray: ``[num_entries]`` booleans.
    """
    # Self-pairs sort last within their row, so they never take a neighbour's place.
    is_self = row == col
    order = np.lexsort((col, -similarity, is_self, row))
    sorted_rows = row[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    run_lengths = np.diff(np.r_[starts, len(sorted_rows)])
    rank = np.arange(len(order)) - np.repeat(starts, run_lengths)
    keep = np.zeros(len(order), dtype=np.bool_)
    keep[order] = rank < k

    return keep
