"""Subgraphs of Neo4j as the inputs of graph neural networks, for PyTorch Geometric.

Two exports share one window and one set of filters (:class:`BasketFilter`):

- :func:`export_training_data` gives the baskets and the product attributes from
  which :func:`basketgraph.gnn.graph.build_product_graph` builds the homogeneous
  co-purchase graph with edge weights;
- :func:`export_hetero` gives a :class:`~torch_geometric.data.HeteroData` of
  customers, orders and products, with :class:`HeteroIds` to map node indices to
  the graph's ids and back.

Nothing is read in one piece. Orders stream from the server in pages of
:data:`FETCH_SIZE` records (``driver.session(fetch_size=...)``), one record per
order holding its products as column numbers (the sku → column map travels as a
parameter, as in :mod:`basketgraph.graphdb.export`), and are gathered into flat
arrays as they arrive. Product attributes are read for :data:`SKU_CHUNK` skus per
query, the skus going in as a parameter, so a large catalogue never makes one huge
query or one huge result.

Every node set is sorted by id and every edge list by its (source, target) indices,
so the same data and window always give the same arrays, and each export records a
SHA-256 of what it holds (``data_hash``).
"""

from __future__ import annotations

import logging
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from neo4j import Driver, ManagedTransaction
from torch_geometric.data import HeteroData

from basketgraph.config import check_dataset_name
from basketgraph.gnn.graph import (
    FloatArray,
    IntArray,
    ProductGraph,
    ProductSide,
    build_product_graph,
    hash_arrays,
    product_features,
)
from basketgraph.graphdb.export import _PRODUCTS, BasketFilter, export_baskets
from basketgraph.mining.baskets import BasketMatrix

logger = logging.getLogger(__name__)

#: Records the driver fetches per round trip while streaming orders or products.
FETCH_SIZE = 5_000
#: Skus sent per query when reading product attributes.
SKU_CHUNK = 5_000
#: The node types of :func:`export_hetero`, in the order they are hashed.
NODE_TYPES = ("customer", "order", "product")
#: Edge types of :func:`export_hetero`; each also comes reversed as ``rev_<name>``.
PLACED = ("customer", "placed", "order")
CONTAINS = ("order", "contains", "product")

# A product's category is the smallest id among its categories, so that a product
# filed under several gets the same code on every run.
_SIDE = """
UNWIND $skus AS sku
MATCH (p:Product {dataset: $dataset, sku: sku})
CALL (p) {
  OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
  RETURN min(c.id) AS category
}
RETURN p.sku AS sku, p.embedding AS embedding, p.price AS price, category
"""

# One record per order that holds a selected product. The quantity defaults to 1,
# as it does in the input formats.
_ORDERS = """
MATCH (o:Order {dataset: $dataset})
WHERE ($start IS NULL OR o.placed_at >= $start)
  AND ($end IS NULL OR o.placed_at < $end)
  AND ($country IS NULL OR o.country = $country)
  AND ($include_returns OR NOT o:Return)
MATCH (o)-[r:CONTAINS]->(p:Product)
WITH o, $columns[p.sku] AS column, toFloat(coalesce(r.quantity, 1)) AS quantity
WHERE column IS NOT NULL
WITH o, collect(column) AS columns, collect(quantity) AS quantities
RETURN o.id AS id, columns, quantities,
       COLLECT { MATCH (c:Customer)-[:PLACED]->(o) RETURN c.id } AS customers
"""


# -- product attributes -------------------------------------------------------------


@dataclass(frozen=True)
class _SideRecord:
    sku: str
    embedding: FloatArray | None
    price: float
    category: str | None


def export_side(
    driver: Driver,
    dataset: str,
    product_ids: Sequence[str],
    chunk: int = SKU_CHUNK,
) -> ProductSide:
    """Read text embedding, price and category of each product in ``product_ids``.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset to read.
        product_ids (Sequence[str]): Distinct skus, usually the columns of the
            baskets the attributes go with; the arrays follow their order.
        chunk (int): Skus per query (default: :data:`SKU_CHUNK`).

    Returns:
        ProductSide: ``text`` (a row of zeros where a product has no embedding,
        ``None`` if none has one), ``price`` (NaN where unknown) and ``category``
        (the index of the product's smallest category id among the sorted ids
        found, ``-1`` where it has none). Skus not in the graph count as unknown.

    Raises:
        ValueError: If a sku repeats, ``chunk`` is below 1, or two embeddings
            differ in length.
    """
    check_dataset_name(dataset)
    if chunk < 1:
        raise ValueError(f"chunk is {chunk!r}; send at least 1 sku per query.")

    position = {str(sku): i for i, sku in enumerate(product_ids)}
    if len(position) != len(product_ids):
        raise ValueError(
            f"product_ids holds {len(product_ids) - len(position)} repeated skus; "
            "pass each product once, as the columns of a BasketMatrix are."
        )

    skus = list(position)
    builder = _SideBuilder(len(skus))
    with driver.session(fetch_size=FETCH_SIZE) as session:
        for start in range(0, len(skus), chunk):
            part = skus[start : start + chunk]
            for record in session.execute_read(_read_side, dataset, part):
                builder.add(position[record.sku], record)

    return builder.build()


def _read_side(
    tx: ManagedTransaction, dataset: str, skus: list[str]
) -> list[_SideRecord]:
    return [
        _SideRecord(
            sku=record["sku"],
            embedding=(
                None
                if record["embedding"] is None
                else np.asarray(record["embedding"], dtype=np.float32)
            ),
            price=np.nan if record["price"] is None else float(record["price"]),
            category=record["category"],
        )
        for record in tx.run(_SIDE, dataset=dataset, skus=skus)
    ]


class _SideBuilder:
    """Fills the arrays of a :class:`ProductSide` product by product."""

    def __init__(self, num_products: int) -> None:
        self.text: FloatArray | None = None
        self.price = np.full(num_products, np.nan, dtype=np.float64)
        self.category: list[str | None] = [None] * num_products
        self.first_sku = ""

    def add(self, row: int, record: _SideRecord) -> None:
        self.price[row] = record.price
        self.category[row] = record.category
        if record.embedding is None:
            return

        if self.text is None:
            # The first vector found fixes the dimension.
            self.text = np.zeros((len(self.price), len(record.embedding)), np.float32)
            self.first_sku = record.sku
        if len(record.embedding) != self.text.shape[1]:
            raise ValueError(
                f"Product {record.sku!r} has an embedding of "
                f"{len(record.embedding)} numbers, product {self.first_sku!r} one "
                f"of {self.text.shape[1]}; run `basketgraph embed` again so that "
                "every product is embedded by the same encoder."
            )

        self.text[row] = record.embedding

    def build(self) -> ProductSide:
        found = sorted({c for c in self.category if c is not None})
        code = {category: i for i, category in enumerate(found)}
        category = np.fromiter(
            (-1 if c is None else code[c] for c in self.category),
            dtype=np.int64,
            count=len(self.category),
        )

        return ProductSide(text=self.text, price=self.price, category=category)


# -- baskets and attributes for the product graph ---------------------------------


@dataclass
class TrainingExport:
    """The baskets of a window and the attributes of their products.

    Attributes:
        baskets (BasketMatrix): Orders by products.
        side (ProductSide): Attributes aligned with the baskets' columns.
        where (BasketFilter): The window and filters that selected them.
        data_hash (str): SHA-256 of the baskets and attributes (see
            :func:`training_data_hash`); computed when not given.
    """

    baskets: BasketMatrix
    side: ProductSide
    where: BasketFilter
    data_hash: str = field(default="")

    def __post_init__(self) -> None:
        """Check the attributes' alignment and compute the hash."""
        self.side.check(self.baskets.num_products)
        if not self.data_hash:
            self.data_hash = training_data_hash(self.baskets, self.side)

    def product_graph(self, top_k: int = 20, min_count: int = 2) -> ProductGraph:
        """Build the homogeneous co-purchase graph of the export.

        Args:
            top_k (int): Partners kept per product (default: 20).
            min_count (int): Least shared baskets of an edge (default: 2).

        Returns:
            ProductGraph: Products as nodes, in the baskets' column order.
        """
        return build_product_graph(self.baskets, self.side, top_k, min_count)


def training_data_hash(baskets: BasketMatrix, side: ProductSide) -> str:
    """Return a SHA-256 of the baskets' structure and ids and the side arrays."""
    matrix = baskets.matrix
    absent = np.zeros(0, dtype=np.float32)

    return hash_arrays(
        np.asarray(matrix.indptr, dtype=np.int64),
        np.asarray(matrix.indices, dtype=np.int64),
        baskets.order_ids.astype(str),
        baskets.product_ids.astype(str),
        absent if side.text is None else side.text,
        absent if side.price is None else side.price,
        absent if side.category is None else side.category,
    )


def export_training_data(
    driver: Driver, dataset: str, where: BasketFilter | None = None
) -> TrainingExport:
    """Export the baskets of ``dataset`` that ``where`` selects, with attributes.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset to read.
        where (BasketFilter, optional): Window and filters (default: every
            merchandise product of every order that is not a return).

    Returns:
        TrainingExport: Baskets as :func:`basketgraph.graphdb.export.export_baskets`
        gives them, the attributes of their columns, and the hash of both.
    """
    where = where or BasketFilter()
    started = time.perf_counter()
    baskets = export_baskets(driver, dataset, where)
    side = export_side(driver, dataset, list(baskets.product_ids))
    export = TrainingExport(baskets=baskets, side=side, where=where)
    logger.info(
        "Exported training data of %s: %s orders, %s products, hash %s, %.1f s",
        dataset,
        baskets.num_orders,
        baskets.num_products,
        export.data_hash[:12],
        time.perf_counter() - started,
    )

    return export


# -- customers, orders and products as one heterogeneous graph ---------------------


@dataclass
class HeteroIds:
    """The graph's ids of the nodes of a :class:`HeteroData`, both ways.

    ``ids[node_type][i]`` is the id of node ``i`` (a customer or order id, a sku),
    and ``index[node_type][id]`` is its node index.

    Attributes:
        ids (dict[str, numpy.ndarray]): ``[num_nodes]`` ids per node type, sorted.
        data_hash (str): The hash of the export the ids belong to.
        index (dict[str, dict[str, int]]): Id → node index per node type.
    """

    ids: dict[str, npt.NDArray[np.object_]]
    data_hash: str = ""
    index: dict[str, dict[str, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Invert the id arrays."""
        self.index = {
            node_type: {str(node_id): i for i, node_id in enumerate(ids)}
            for node_type, ids in self.ids.items()
        }

    def __getitem__(self, node_type: str) -> npt.NDArray[np.object_]:
        """Return the ids of the nodes of ``node_type``, by node index."""
        return self.ids[node_type]


@dataclass
class _OrderRows:
    """Orders as they stream in: ids, sizes, and flat columns and quantities."""

    ids: list[str] = field(default_factory=list)
    sizes: array[int] = field(default_factory=lambda: array("q"))
    columns: array[int] = field(default_factory=lambda: array("q"))
    quantities: array[float] = field(default_factory=lambda: array("d"))
    customers: list[list[str]] = field(default_factory=list)


def export_hetero(
    driver: Driver, dataset: str, where: BasketFilter | None = None
) -> tuple[HeteroData, HeteroIds]:
    """Export customers, orders and products of ``dataset`` as a heterogeneous graph.

    Orders are those ``where`` selects that hold at least one selected product;
    products are all those it selects, bought in the window or not; customers are
    those who placed an exported order. Guest orders have no ``placed`` edge.

    Node features (``x``): for products, the blocks of
    :func:`basketgraph.gnn.graph.product_features` (text, category, log price,
    log popularity in the exported orders); for orders, ``log1p`` of their number of
    products; for customers, ``log1p`` of their number of orders. Edges:
    ``('customer', 'placed', 'order')`` and ``('order', 'contains', 'product')``
    with ``edge_attr`` ``[num_edges, 1]`` the quantity, and their reverses
    ``rev_placed`` and ``rev_contains``.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset to read.
        where (BasketFilter, optional): Window and filters (default: every
            merchandise product of every order that is not a return).

    Returns:
        tuple[HeteroData, HeteroIds]: The graph, with ``data.data_hash`` set, and
        the ids of its nodes, carrying the same hash.
    """
    check_dataset_name(dataset)
    where = where or BasketFilter()
    started = time.perf_counter()
    with driver.session(fetch_size=FETCH_SIZE) as session:
        skus = session.execute_read(_read_skus, dataset, where)
        params = _order_params(dataset, where, skus)
        rows = session.execute_read(_read_orders, params)
    side = export_side(driver, dataset, skus)
    logger.debug(
        "Read %s orders and %s products of %s in %.1f s",
        len(rows.ids),
        len(skus),
        dataset,
        _since(started),
    )
    data, ids = _build_hetero(rows, np.asarray(skus, dtype=object), side)
    logger.info(
        "Exported graph of %s: %s customers, %s orders, %s products, hash %s, %.1f s",
        dataset,
        *(len(ids[node_type]) for node_type in NODE_TYPES),
        ids.data_hash[:12],
        _since(started),
    )

    return data, ids


def _since(started: float) -> float:
    return time.perf_counter() - started


def _read_skus(tx: ManagedTransaction, dataset: str, where: BasketFilter) -> list[str]:
    # The product selection of the basket export, so both exports agree.
    params = {
        "dataset": dataset,
        "merchandise_only": where.merchandise_only,
        "category": where.category,
    }

    return [record["sku"] for record in tx.run(_PRODUCTS, params)]


def _order_params(dataset: str, where: BasketFilter, skus: list[str]) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "columns": {sku: i for i, sku in enumerate(skus)},
        "start": where.start,
        "end": where.end,
        "country": where.country,
        "include_returns": where.include_returns,
    }


def _read_orders(tx: ManagedTransaction, params: dict[str, Any]) -> _OrderRows:
    rows = _OrderRows()
    for record in tx.run(_ORDERS, params):
        columns = record["columns"]
        rows.ids.append(record["id"])
        rows.sizes.append(len(columns))
        rows.columns.extend(columns)
        rows.quantities.extend(record["quantities"])
        rows.customers.append(record["customers"])

    return rows


def _build_hetero(
    rows: _OrderRows, product_ids: npt.NDArray[np.object_], side: ProductSide
) -> tuple[HeteroData, HeteroIds]:
    """Number the nodes in id order, sort the edges, and assemble the graph."""
    order_ids, order_node = _sorted_ids(np.asarray(rows.ids, dtype=object))
    # [2, num_contains]: order node, product column (already in sku order).
    contains = np.vstack(
        [
            np.repeat(order_node, np.asarray(rows.sizes, dtype=np.int64)),
            np.asarray(rows.columns, dtype=np.int64),
        ]
    ).reshape(2, -1)
    quantity = np.asarray(rows.quantities, dtype=np.float32).reshape(-1, 1)
    keep = np.lexsort((contains[1], contains[0]))
    contains, quantity = contains[:, keep], quantity[keep]
    customer_ids, placed = _placed_edges(rows.customers, order_node)

    popularity = np.bincount(contains[1], minlength=len(product_ids))
    x = {
        "customer": _log_count(placed[0], len(customer_ids)),
        "order": _log_count(contains[0], len(order_ids)),
        "product": product_features(popularity.astype(np.int64), side)[0],
    }
    ids = {"customer": customer_ids, "order": order_ids, "product": product_ids}
    data_hash = hash_arrays(
        *(ids[node_type].astype(str) for node_type in NODE_TYPES),
        *(x[node_type] for node_type in NODE_TYPES),
        placed,
        contains,
        quantity,
    )

    data = HeteroData()
    for node_type in NODE_TYPES:
        data[node_type].x = torch.from_numpy(x[node_type])
        data[node_type].num_nodes = len(ids[node_type])
    _add_edges(data, PLACED, placed, None)
    _add_edges(data, CONTAINS, contains, quantity)
    data.data_hash = data_hash

    return data, HeteroIds(ids=ids, data_hash=data_hash)


def _sorted_ids(
    ids: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.object_], IntArray]:
    """Return the ids sorted, and the node index of each id in its original place."""
    order = np.argsort(ids, kind="stable")
    node = np.empty(len(ids), dtype=np.int64)
    node[order] = np.arange(len(ids))

    return ids[order], node


def _placed_edges(
    customers: list[list[str]], order_node: IntArray
) -> tuple[npt.NDArray[np.object_], IntArray]:
    """Return the customer ids, sorted, and the ``[2, num_placed]`` sorted edges."""
    pairs = [
        (customer, int(order_node[row]))
        for row, placed_by in enumerate(customers)
        for customer in placed_by
    ]
    customer_ids, customer_node = _sorted_ids(
        np.asarray([c for c, _ in pairs], dtype=object)
    )
    # One customer places many orders: keep each id once.
    distinct = np.ones(len(customer_ids), dtype=bool)
    distinct[1:] = customer_ids[1:] != customer_ids[:-1]
    rank = np.cumsum(distinct) - 1
    placed = np.vstack(
        [rank[customer_node], np.asarray([o for _, o in pairs], dtype=np.int64)]
    ).reshape(2, -1)
    keep = np.lexsort((placed[1], placed[0]))

    return customer_ids[distinct], placed[:, keep].astype(np.int64)


def _log_count(nodes: IntArray, num_nodes: int) -> FloatArray:
    """Return ``[num_nodes, 1]`` ``log1p`` of how often each node occurs."""
    counts = np.bincount(nodes, minlength=num_nodes).astype(np.float64)

    return np.log1p(counts).astype(np.float32).reshape(-1, 1)


def _add_edges(
    data: HeteroData,
    edge_type: tuple[str, str, str],
    edge_index: IntArray,
    edge_attr: FloatArray | None,
) -> None:
    """Add ``edge_type`` and its reverse, each sorted by source then target."""
    source, name, target = edge_type
    store = data[edge_type]
    store.edge_index = torch.from_numpy(edge_index)
    reverse = edge_index[::-1]
    keep = np.lexsort((reverse[1], reverse[0]))
    back = data[target, f"rev_{name}", source]
    back.edge_index = torch.from_numpy(np.ascontiguousarray(reverse[:, keep]))
    if edge_attr is not None:
        store.edge_attr = torch.from_numpy(edge_attr)
        back.edge_attr = torch.from_numpy(np.ascontiguousarray(edge_attr[keep]))
