"""Baskets out of Neo4j into a sparse order-by-product matrix.

One export serves mining, training and evaluation. Products are numbered on the
server (the sku → column map travels as a query parameter), so each order arrives as
one record holding a list of integers, streamed in pages by the driver; the matrix is
then built from flat integer arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from neo4j import Driver, ManagedTransaction

from basketgraph.config import check_dataset_name
from basketgraph.mining.baskets import BasketMatrix

#: Records the driver fetches per round trip while streaming baskets.
FETCH_SIZE = 5_000


@dataclass(frozen=True)
class BasketFilter:
    """Which baskets and products an export holds.

    Attributes:
        start (datetime, optional): Orders placed at or after this instant.
        end (datetime, optional): Orders placed before this instant.
        country (str, optional): Orders from this country only.
        category (str, optional): Products in this category or below it (its id,
            the path such as ``Home > Kitchen``).
        merchandise_only (bool): Leave out postage, fees and other non-goods
            (default: ``True``).
        include_returns (bool): Keep cancellations and returns (default:
            ``False``).
    """

    start: datetime | None = None
    end: datetime | None = None
    country: str | None = None
    category: str | None = None
    merchandise_only: bool = True
    include_returns: bool = False


_PRODUCTS = """
MATCH (p:Product {dataset: $dataset})
WHERE (NOT $merchandise_only OR p.merchandise)
  AND ($category IS NULL OR EXISTS {
        MATCH (p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..]->
              (:Category {dataset: $dataset, id: $category}) })
RETURN p.sku AS sku ORDER BY sku
"""

_BASKETS = """
MATCH (o:Order {dataset: $dataset})
WHERE ($start IS NULL OR o.placed_at >= $start)
  AND ($end IS NULL OR o.placed_at < $end)
  AND ($country IS NULL OR o.country = $country)
  AND ($include_returns OR NOT o:Return)
MATCH (o)-[:CONTAINS]->(p:Product)
WITH o, $columns[p.sku] AS column
WHERE column IS NOT NULL
WITH o, collect(column) AS columns
RETURN o.id AS id, columns ORDER BY o.placed_at, o.id
"""


def export_baskets(
    driver: Driver, dataset: str, where: BasketFilter | None = None
) -> BasketMatrix:
    """Export the baskets of ``dataset`` that ``where`` selects.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset to read.
        where (BasketFilter, optional): Window and filters (default: every
            merchandise product of every order that is not a return).

    Returns:
        BasketMatrix: One row per order that holds at least one selected product,
        in the order the orders were placed; columns are the selected products,
        sorted by sku.
    """
    check_dataset_name(dataset)
    where = where or BasketFilter()
    params = {
        "dataset": dataset,
        "merchandise_only": where.merchandise_only,
        "category": where.category,
    }
    with driver.session(fetch_size=FETCH_SIZE) as session:
        skus = session.execute_read(
            lambda tx: [r["sku"] for r in tx.run(_PRODUCTS, params)]
        )
        columns = {sku: i for i, sku in enumerate(skus)}
        order_ids, sizes, flat = session.execute_read(
            _read_baskets,
            {
                **params,
                "columns": columns,
                "start": where.start,
                "end": where.end,
                "country": where.country,
                "include_returns": where.include_returns,
            },
        )
    indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])

    return BasketMatrix.from_csr(
        indptr,
        np.asarray(flat, dtype=np.int64),
        np.asarray(order_ids, dtype=object),
        np.asarray(skus, dtype=object),
    )


def _read_baskets(
    tx: ManagedTransaction, params: dict[str, object]
) -> tuple[list[str], list[int], list[int]]:
    order_ids: list[str] = []
    sizes: list[int] = []
    flat: list[int] = []
    for record in tx.run(_BASKETS, params):
        order_ids.append(record["id"])
        items = record["columns"]
        sizes.append(len(items))
        flat.extend(items)

    return order_ids, sizes, flat
