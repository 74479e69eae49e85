"""The product graph a model trains on: co-purchase edges and node features.

Built from baskets and product attributes already in memory, without IO: the
export from Neo4j (:mod:`basketgraph.graphdb.graph_export`) fills it, and the tests
fill it from generated data. Everything is ordered by the baskets' columns (skus,
sorted), so the same data always gives the same graph and the same
:attr:`ProductGraph.data_hash`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from scipy import sparse
from torch_geometric.data import Data

from basketgraph.mining.baskets import BasketMatrix

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ProductSide:
    """What is known of each product besides its purchases.

    Every array is aligned with the columns of the baskets it goes with.

    Attributes:
        text (numpy.ndarray, optional): ``[num_products, d]`` unit text
            embeddings; a row of zeros where a product has none.
        price (numpy.ndarray, optional): ``[num_products]`` unit prices; NaN where
            unknown.
        category (numpy.ndarray, optional): ``[num_products]`` category codes,
            ``-1`` where unknown.
    """

    text: FloatArray | None = None
    price: npt.NDArray[np.float64] | None = None
    category: IntArray | None = None

    def check(self, num_products: int) -> None:
        """Raise :class:`ValueError` unless every array has ``num_products`` rows."""
        for name in ("text", "price", "category"):
            value = getattr(self, name)
            if value is not None and len(value) != num_products:
                raise ValueError(
                    f"ProductSide.{name} has {len(value)} rows for {num_products} "
                    "products; align it with the baskets' columns."
                )


@dataclass
class ProductGraph:
    """A homogeneous product graph with features, ready for PyG.

    Attributes:
        product_ids (numpy.ndarray): ``[num_products]`` skus; node ``i`` is
            ``product_ids[i]``.
        x (numpy.ndarray): ``[num_products, num_features]`` node features.
        feature_names (list[str]): What each block of columns of ``x`` holds.
        edge_index (numpy.ndarray): ``[2, num_edges]`` co-purchase edges, both
            directions.
        edge_weight (numpy.ndarray): ``[num_edges]`` ``log1p`` of the number of
            baskets the two products share.
        popularity (numpy.ndarray): ``[num_products]`` baskets holding each product.
    """

    product_ids: npt.NDArray[np.object_]
    x: FloatArray
    feature_names: list[str]
    edge_index: IntArray
    edge_weight: FloatArray
    popularity: IntArray
    data_hash: str = field(default="")

    def __post_init__(self) -> None:
        """Compute the hash of what the graph holds."""
        if not self.data_hash:
            self.data_hash = hash_arrays(
                self.product_ids.astype(str),
                self.x,
                self.edge_index,
                self.edge_weight,
            )

    @property
    def num_products(self) -> int:
        """Number of product nodes."""
        return len(self.product_ids)

    def product_index(self) -> dict[str, int]:
        """Return the node of each sku."""
        return {str(sku): i for i, sku in enumerate(self.product_ids)}

    def to_data(self) -> Data:
        """Return the graph as a PyG :class:`~torch_geometric.data.Data`."""
        return Data(
            x=torch.from_numpy(self.x),
            edge_index=torch.from_numpy(self.edge_index),
            edge_weight=torch.from_numpy(self.edge_weight),
            num_nodes=self.num_products,
        )


def build_product_graph(
    baskets: BasketMatrix,
    side: ProductSide | None = None,
    top_k: int = 20,
    min_count: int = 2,
) -> ProductGraph:
    """Build the co-purchase graph of ``baskets`` with features from ``side``.

    Each product keeps its ``top_k`` partners by shared baskets (at least
    ``min_count`` of them); the graph is the union of those lists made symmetric,
    so that a hub keeps its many edges without every product drowning in them.

    Args:
        baskets (BasketMatrix): The baskets; their columns are the nodes.
        side (ProductSide, optional): Text, price and category of each column.
        top_k (int): Partners kept per product (default: 20).
        min_count (int): Least shared baskets of an edge (default: 2).

    Returns:
        ProductGraph: The graph.
    """
    side = side or ProductSide()
    side.check(baskets.num_products)
    indicator = baskets.matrix.tocsr().astype(np.float32)
    indicator.data[:] = 1.0
    popularity = np.asarray(indicator.sum(axis=0)).ravel().astype(np.int64)
    edge_index, edge_weight = co_purchase_edges(indicator, top_k, min_count)
    x, names = product_features(popularity, side)

    return ProductGraph(
        product_ids=baskets.product_ids,
        x=x,
        feature_names=names,
        edge_index=edge_index,
        edge_weight=edge_weight,
        popularity=popularity,
    )


def co_purchase_edges(
    indicator: sparse.csr_array, top_k: int, min_count: int
) -> tuple[IntArray, FloatArray]:
    """Return the symmetric top-k co-purchase edges of an order-by-product matrix."""
    counts = sparse.csr_array(indicator.T @ indicator)
    counts.setdiag(0)
    counts.data[counts.data < min_count] = 0
    counts.eliminate_zeros()
    rows, cols, values = [], [], []
    for product in range(counts.shape[0]):
        start, stop = counts.indptr[product], counts.indptr[product + 1]
        partners, shared = counts.indices[start:stop], counts.data[start:stop]
        if len(shared) > top_k:
            # Ties at the cut go to the smaller column, so the graph is the same
            # on every run.
            keep = np.lexsort((partners, -shared))[:top_k]
            partners, shared = partners[keep], shared[keep]
        rows.append(np.full(len(partners), product))
        cols.append(partners)
        values.append(shared)
    n = counts.shape[0]
    kept = sparse.coo_matrix(
        (
            np.concatenate(values) if values else np.zeros(0),
            (
                np.concatenate(rows) if rows else np.zeros(0, np.int64),
                np.concatenate(cols) if cols else np.zeros(0, np.int64),
            ),
        ),
        shape=(n, n),
    ).tocsr()
    both = kept.maximum(kept.T).tocoo()
    order = np.lexsort((both.col, both.row))
    edge_index = np.vstack([both.row[order], both.col[order]]).astype(np.int64)

    return edge_index, np.log1p(both.data[order]).astype(np.float32)


def product_features(
    popularity: IntArray, side: ProductSide
) -> tuple[FloatArray, list[str]]:
    """Return ``[num_products, f]`` node features and the name of each block.

    The blocks are the text embedding, a one-hot category, the standardised log
    price (0 where unknown) with a flag for unknown prices, and the standardised
    log popularity.
    """
    blocks: list[npt.NDArray[Any]] = []
    names: list[str] = []
    if side.text is not None:
        blocks.append(side.text.astype(np.float32))
        names.append(f"text[{side.text.shape[1]}]")
    if side.category is not None and (side.category >= 0).any():
        codes = side.category
        one_hot = np.zeros((len(codes), int(codes.max()) + 1), dtype=np.float32)
        known = codes >= 0
        one_hot[np.flatnonzero(known), codes[known]] = 1.0
        blocks.append(one_hot)
        names.append(f"category[{one_hot.shape[1]}]")
    if side.price is not None:
        price = np.asarray(side.price, dtype=np.float64)
        known = np.isfinite(price) & (price > 0)
        log_price = np.where(known, np.log(np.where(known, price, 1.0)), 0.0)
        blocks.append(np.column_stack([_standardise(log_price, known), ~known]))
        names.extend(["log price", "price unknown"])
    blocks.append(_standardise(np.log1p(popularity), np.ones(len(popularity), bool)))
    names.append("log popularity")
    columns = [b.reshape(len(popularity), -1) for b in blocks]

    return np.hstack(columns).astype(np.float32), names


def _standardise(
    values: npt.NDArray[np.float64], known: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    if not known.any():
        return np.zeros_like(values)
    mean, std = values[known].mean(), values[known].std()
    scaled = (values - mean) / (std if std > 0 else 1.0)

    return np.where(known, scaled, 0.0)


def hash_arrays(*arrays: npt.NDArray[Any]) -> str:
    """Return a SHA-256 of the arrays' shapes, types and bytes, in order."""
    digest = hashlib.sha256()
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(f"{contiguous.dtype.str}{contiguous.shape}".encode())
        if contiguous.dtype.kind in "OUS":
            digest.update("\x1f".join(map(str, contiguous.ravel())).encode())
        else:
            digest.update(contiguous.tobytes())

    return digest.hexdigest()
