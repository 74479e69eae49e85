"""Write derived results back into the graph, tagged with the run that made them.

Everything a run writes carries its ``run_id``; nothing is served until
:func:`basketgraph.graphdb.runs.activate_run` switches to the run. Writing a run's
results again first removes what that run wrote before, so a retried job never
duplicates a relationship.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from neo4j import Driver

from basketgraph.graphdb.batches import delete_in_batches, write_rows
from basketgraph.graphdb.runs import list_runs, mark_pruned

#: Rows per write transaction.
BATCH = 10_000

_PAIRS = """
UNWIND $rows AS row
MATCH (a:Product {dataset: $dataset, sku: row.product})
MATCH (b:Product {dataset: $dataset, sku: row.partner})
CREATE (a)-[r:BOUGHT_WITH]->(b)
SET r = row.stats, r.run_id = $run_id
"""

_RULES = """
UNWIND $rows AS row
CREATE (rule:Rule {dataset: $dataset, run_id: $run_id, id: row.id})
SET rule += row.stats
WITH rule, row
CALL (rule, row) {
  UNWIND row.antecedent AS sku
  MATCH (p:Product {dataset: $dataset, sku: sku})
  CREATE (rule)-[:ANTECEDENT]->(p)
}
MATCH (c:Product {dataset: $dataset, sku: row.consequent})
CREATE (rule)-[:CONSEQUENT]->(c)
"""


#: Relationship types that runs derive; each carries ``run_id`` and has an index on
#: it (migration 0002).
DERIVED_TYPES = ("BOUGHT_WITH", "ASSOCIATED", "SIMILAR_TO")


def clear_run(driver: Driver, dataset: str, run_id: str) -> int:
    """Delete every relationship and rule that ``run_id`` wrote; return how many."""
    # One query per type: a pattern over several types cannot use their indexes.
    queries = [
        f"MATCH ()-[r:{rel_type} {{run_id: $run_id}}]->() WITH r LIMIT $batch "
        "DELETE r RETURN count(*) AS n"
        for rel_type in DERIVED_TYPES
    ]
    queries.append(
        "MATCH (r:Rule {dataset: $dataset, run_id: $run_id}) WITH r LIMIT $batch "
        "DETACH DELETE r RETURN count(*) AS n"
    )

    return sum(
        delete_in_batches(driver, query, BATCH, dataset=dataset, run_id=run_id)
        for query in queries
    )


def write_pairs(
    driver: Driver,
    dataset: str,
    run_id: str,
    rows: Sequence[dict[str, Any]],
    batch: int = BATCH,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``(:Product)-[:BOUGHT_WITH]->(:Product)`` for each row.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        run_id (str): The run the relationships belong to.
        rows (Sequence[dict[str, Any]]): Each with ``product`` and ``partner`` skus
            and ``stats``, a map of the relationship's properties.
        batch (int): Rows per transaction (default: :data:`BATCH`).
        on_batch (Callable[[int, int], None], optional): Called after each batch
            with the rows written so far and all rows.

    Returns:
        int: Relationships created.
    """
    return _write(driver, _PAIRS, dataset, run_id, rows, batch, on_batch)


def write_rules(
    driver: Driver,
    dataset: str,
    run_id: str,
    rows: Sequence[dict[str, Any]],
    batch: int = BATCH,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``(:Rule)`` nodes with ``ANTECEDENT`` and ``CONSEQUENT`` relationships.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        run_id (str): The run the rules belong to.
        rows (Sequence[dict[str, Any]]): Each with an ``id`` unique in the run,
            ``antecedent`` (skus), ``consequent`` (a sku) and ``stats``.
        batch (int): Rows per transaction (default: :data:`BATCH`).
        on_batch (Callable[[int, int], None], optional): Called after each batch
            with the rows written so far and all rows.

    Returns:
        int: Rules created.
    """
    return _write(
        driver, _RULES, dataset, run_id, rows, batch, on_batch, count_nodes=True
    )


def _write(
    driver: Driver,
    query: str,
    dataset: str,
    run_id: str,
    rows: Sequence[dict[str, Any]],
    batch: int,
    on_batch: Callable[[int, int], None] | None,
    count_nodes: bool = False,
) -> int:
    batches = write_rows(
        driver, query, rows, batch, on_batch, dataset=dataset, run_id=run_id
    )

    return sum(
        c.nodes_created if count_nodes else c.relationships_created for c in batches
    )


def prune_runs(driver: Driver, dataset: str, kind: str, keep: int = 1) -> list[str]:
    """Delete what old runs wrote, keeping the active run and ``keep`` others.

    The newest ``keep`` complete runs besides the active one stay queryable (the
    previous run, by default); every other complete or failed run has its
    relationships and rules deleted and is marked ``pruned``. Running runs are
    left alone: they may still be writing.

    Returns:
        list[str]: The ids of the runs pruned.
    """
    kept = 0
    pruned = []
    for run in list_runs(driver, dataset, kind):  # newest first
        if run.active or run.status in ("running", "pruned"):
            continue
        if run.status == "complete" and kept < keep:
            kept += 1
            continue
        clear_run(driver, dataset, run.id)
        mark_pruned(driver, run.id)
        pruned.append(run.id)

    return pruned
