"""Writing many rows with one parameterised query, one transaction per batch."""

from __future__ import annotations

from collections.abc import Sequence
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
    **params: Any,
) -> list[SummaryCounters]:
    """Run ``query`` over ``rows`` (as ``$rows``), ``batch`` rows per transaction.

    Each transaction is retried by the driver on transient errors, so ``query`` must
    be safe to run twice on the same rows.

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

    return counters
