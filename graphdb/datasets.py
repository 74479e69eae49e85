"""What each dataset in the graph holds, and removing one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from basketgraph.config import check_dataset_name
from basketgraph.graphdb.batches import delete_in_batches

#: Node labels that belong to a dataset, in the order :func:`drop_dataset` deletes
#: them: orders first, as they hold most relationships.
DATASET_LABELS = ("Order", "Rule", "Product", "Customer", "Category", "Run")


@dataclass(frozen=True)
class DatasetCounts:
    """Node and relationship counts of one dataset."""

    dataset: str
    orders: int
    returns: int
    products: int
    merchandise: int
    customers: int
    categories: int
    contains: int
    placed: int

    def to_dict(self) -> dict[str, Any]:
        """Return the counts as plain data."""
        return asdict(self)


def describe_datasets(
    driver: Driver, dataset: str | None = None
) -> list[DatasetCounts]:
    """Count what each dataset (or the one named) holds.

    Args:
        driver (Driver): An open driver.
        dataset (str, optional): Only this dataset (default: all of them).

    Returns:
        list[DatasetCounts]: One entry per dataset, by name.
    """
    if dataset is not None:
        names = [check_dataset_name(dataset)]
    else:
        records, _, _ = driver.execute_query(
            "MATCH (n:Order|Product) RETURN DISTINCT n.dataset AS name ORDER BY name"
        )
        names = [r["name"] for r in records]
    with driver.session() as session:
        return [session.execute_read(_count, name) for name in names]


def _count(tx: ManagedTransaction, dataset: str) -> DatasetCounts:
    record = tx.run(
        """
CALL () { MATCH (o:Order {dataset: $ds}) RETURN count(o) AS orders }
CALL () { MATCH (o:Order:Return {dataset: $ds}) RETURN count(o) AS returns }
CALL () { MATCH (p:Product {dataset: $ds}) RETURN count(p) AS products,
          count(CASE WHEN p.merchandise THEN 1 END) AS merchandise }
CALL () { MATCH (c:Customer {dataset: $ds}) RETURN count(c) AS customers }
CALL () { MATCH (c:Category {dataset: $ds}) RETURN count(c) AS categories }
CALL () { MATCH (:Order {dataset: $ds})-[r:CONTAINS]->() RETURN count(r) AS contains }
CALL () { MATCH (:Customer {dataset: $ds})-[r:PLACED]->() RETURN count(r) AS placed }
RETURN orders, returns, products, merchandise, customers, categories, contains, placed
""",
        ds=dataset,
    ).single(strict=True)

    return DatasetCounts(dataset=dataset, **dict(record))


def drop_dataset(driver: Driver, dataset: str, batch: int = 10_000) -> int:
    """Delete every node of ``dataset`` and its relationships, in batches.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset to remove.
        batch (int): Nodes per transaction (default: 10,000).

    Returns:
        int: Nodes deleted.
    """
    check_dataset_name(dataset)
    # A label cannot be a query parameter; these come from DATASET_LABELS, never
    # from input.
    return sum(
        delete_in_batches(
            driver,
            f"MATCH (n:{label} {{dataset: $ds}}) WITH n LIMIT $batch "
            "DETACH DELETE n RETURN count(*) AS n",
            batch,
            ds=dataset,
        )
        for label in DATASET_LABELS
    )
