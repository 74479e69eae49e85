"""Baskets as a sparse order-by-product matrix, the input of mining and evaluation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse


@dataclass(frozen=True)
class BasketMatrix:
    """Which products each order holds.

    Attributes:
        matrix (scipy.sparse.csr_array): ``[num_orders, num_products]``, 1 where the
            order holds the product (quantities are not kept), ``int8``.
        order_ids (numpy.ndarray): ``[num_orders]`` order ids, as in the graph.
        product_ids (numpy.ndarray): ``[num_products]`` skus, sorted.
    """

    matrix: sparse.csr_array
    order_ids: npt.NDArray[np.object_]
    product_ids: npt.NDArray[np.object_]

    @property
    def num_orders(self) -> int:
        """Number of baskets (rows)."""
        return int(self.matrix.shape[0])

    @property
    def num_products(self) -> int:
        """Number of products (columns)."""
        return int(self.matrix.shape[1])

    def product_index(self) -> dict[str, int]:
        """Return sku → column."""
        return {sku: i for i, sku in enumerate(self.product_ids)}

    def baskets(self) -> list[list[str]]:
        """Return each basket as its list of skus, in column order."""
        indptr, indices = self.matrix.indptr, self.matrix.indices
        skus = self.product_ids

        return [
            list(skus[indices[indptr[row] : indptr[row + 1]]])
            for row in range(self.num_orders)
        ]

    @classmethod
    def from_baskets(cls, baskets: Iterable[tuple[str, Sequence[str]]]) -> BasketMatrix:
        """Build the matrix from ``(order_id, skus)`` pairs.

        Repeated skus within a basket count once; empty baskets are kept as empty
        rows, so that row ``i`` is always order ``order_ids[i]``.
        """
        order_ids: list[str] = []
        columns: dict[str, int] = {}
        indptr = [0]
        indices: list[int] = []
        for order_id, skus in baskets:
            order_ids.append(order_id)
            row = {columns.setdefault(sku, len(columns)) for sku in skus}
            indices.extend(sorted(row))
            indptr.append(len(indices))

        return cls.from_csr(
            np.asarray(indptr, dtype=np.int64),
            np.asarray(indices, dtype=np.int64),
            np.asarray(order_ids, dtype=object),
            np.asarray(list(columns), dtype=object),
        )

    @classmethod
    def from_csr(
        cls,
        indptr: npt.NDArray[np.int64],
        indices: npt.NDArray[np.int64],
        order_ids: npt.NDArray[np.object_],
        product_ids: npt.NDArray[np.object_],
    ) -> BasketMatrix:
        """Build the matrix from CSR arrays over any product order.

        Columns are then sorted by sku, so that the same baskets always give the
        same matrix whatever order they were read in.
        """
        order = np.argsort(product_ids, kind="stable")
        remap = np.empty_like(order)
        remap[order] = np.arange(len(order))
        data = np.ones(len(indices), dtype=np.int8)
        matrix = sparse.csr_array(
            (data, remap[indices] if len(indices) else indices, indptr),
            shape=(len(order_ids), len(product_ids)),
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1
        matrix.sort_indices()

        return cls(matrix, order_ids, product_ids[order])
