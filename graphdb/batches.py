"""Writing many rows with one parameterised query, one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from neo4j import Driver, ManagedTransaction, SummaryCounters


def run_counted(
    tx: ManagedTransaction, /, query: str, **params: Any
) -> SummaryCounters:
    """Run one write query in ``tx`` and return its counters."""
    return tx.run(query, params).consume().counters


def write_rows(
    driver: Driver,
    query: str,
    rows: Sequence[dict[str, Any]],
    batch: int,
    on_batch: Callable[[int, int], None] | None = None,
    **params: Any,
) -> list[SummaryCounters]:
    """Run ``query`` over ``rows`` (as ``$rows``), ``batch`` rows per transaction.

    Each transaction is retried by the driver on transient errors, so ``query`` must
    be safe to run twice on the same rows.

    Args:
        driver (Driver): An open driver.
        query (str): The write query, over ``$rows``.
        rows (Sequence[dict[str, Any]]): The rows.
        batch (int): Rows per transaction.
        on_batch (Callable[[int, int], None], optional): Called after each
            committed batch with the rows written so far and all rows.
        **params (Any): The query's other parameters.

    Returns:
        list[SummaryCounters]: The counters of each batch.
    """
    counters = []
    with driver.session() as session:
        for start in range(0, len(rows), batch):
            chunk = list(rows[start : start + batch])
            counters.append(
                session.execute_write(run_counted, query, rows=chunk, **params)
            )
            if on_batch is not None:
                on_batch(start + len(chunk), len(rows))

    return counters


def delete_in_batches(driver: Driver, query: str, batch: int, **params: Any) -> int:
    """Repeat a deleting ``query`` until it deletes fewer than ``batch`` items.

    ``query`` takes ``$batch``, deletes at most that many items (``WITH x LIMIT
    $batch``) and returns how many as ``n``; one transaction per repetition keeps
    each one's memory bounded.

    Returns:
        int: Items deleted in all.
    """
    deleted = 0
    with driver.session() as session:
        while True:
            count = session.execute_write(_count_deleted, query, batch=batch, **params)
            deleted += count
            if count < batch:
                return deleted


def _count_deleted(tx: ManagedTransaction, /, query: str, **params: Any) -> int:
    return int(tx.run(query, params).single(strict=True)["n"])
