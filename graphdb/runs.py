"""Runs: every mining, training and evaluation run, and which one is served.

A run is a ``(:Run {id, dataset, kind, status, started_at, finished_at, params,
metrics, active})`` node. Derived relationships carry the ``run_id`` of the run that
wrote them. A run starts as ``running``; only :func:`activate_run` makes it
``complete`` and, in the same transaction, the one ``active`` run of its dataset and
kind, so readers switch from one complete run to the next at once and an interrupted
run never touches what is served.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from basketgraph.config import check_dataset_name


@dataclass(frozen=True)
class Run:
    """One recorded run."""

    id: str
    dataset: str
    kind: str
    status: str
    active: bool
    started_at: datetime | None
    finished_at: datetime | None
    params: dict[str, Any]
    metrics: dict[str, Any]


def start_run(driver: Driver, dataset: str, kind: str, params: dict[str, Any]) -> str:
    """Record a new run as ``running`` and return its id.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset the run reads and writes.
        kind (str): ``mine``, ``train``, ``evaluate``, ...
        params (dict[str, Any]): Its parameters, stored as JSON.

    Returns:
        str: The run's id.
    """
    check_dataset_name(dataset)
    run_id = f"{kind}-{uuid.uuid4().hex[:12]}"
    driver.execute_query(
        "CREATE (:Run {id: $id, dataset: $dataset, kind: $kind, status: 'running', "
        "active: false, started_at: datetime(), params: $params})",
        id=run_id,
        dataset=dataset,
        kind=kind,
        params=json.dumps(params, sort_keys=True, default=str),
    )

    return run_id


def activate_run(driver: Driver, run_id: str, metrics: dict[str, Any]) -> None:
    """Mark a run complete and make it the active run of its dataset and kind.

    Both happen in one transaction: readers see either the previous active run or
    this one, never neither.
    """
    with driver.session() as session:
        session.execute_write(_activate, run_id, json.dumps(metrics, default=str))


def _activate(tx: ManagedTransaction, run_id: str, metrics: str) -> None:
    record = tx.run(
        """
MATCH (run:Run {id: $id})
OPTIONAL MATCH (old:Run {dataset: run.dataset, kind: run.kind, active: true})
WHERE old <> run
SET old.active = false
SET run.status = 'complete', run.active = true, run.finished_at = datetime(),
    run.metrics = $metrics
RETURN count(run) AS found
""",
        id=run_id,
        metrics=metrics,
    ).single(strict=True)
    if record["found"] == 0:
        raise LookupError(f"No run with id {run_id!r} exists.")


def fail_run(driver: Driver, run_id: str, error: str) -> None:
    """Mark a run failed; what it wrote stays unserved until it is pruned."""
    driver.execute_query(
        "MATCH (run:Run {id: $id}) SET run.status = 'failed', run.error = $error, "
        "run.finished_at = datetime()",
        id=run_id,
        error=error,
    )


def active_run(driver: Driver, dataset: str, kind: str) -> Run | None:
    """Return the active run of a dataset and kind, if any."""
    records = driver.execute_query(
        "MATCH (run:Run {dataset: $dataset, kind: $kind, active: true}) RETURN run",
        dataset=dataset,
        kind=kind,
    ).records

    return _to_run(records[0]["run"]) if records else None


def list_runs(driver: Driver, dataset: str, kind: str | None = None) -> list[Run]:
    """Return the runs of a dataset (of one kind, if given), newest first."""
    records = driver.execute_query(
        "MATCH (run:Run {dataset: $dataset}) WHERE $kind IS NULL OR run.kind = $kind "
        "RETURN run ORDER BY run.started_at DESC",
        dataset=dataset,
        kind=kind,
    ).records

    return [_to_run(r["run"]) for r in records]


def _to_run(node: Any) -> Run:
    started = node.get("started_at")
    finished = node.get("finished_at")

    return Run(
        id=node["id"],
        dataset=node["dataset"],
        kind=node["kind"],
        status=node["status"],
        active=bool(node.get("active")),
        started_at=started.to_native() if started is not None else None,
        finished_at=finished.to_native() if finished is not None else None,
        params=json.loads(node.get("params") or "{}"),
        metrics=json.loads(node.get("metrics") or "{}"),
    )


def mark_pruned(driver: Driver, run_id: str) -> None:
    """Record that a run's results were deleted; the run itself stays as history."""
    driver.execute_query(
        "MATCH (run:Run {id: $id}) SET run.status = 'pruned', run.active = false",
        id=run_id,
    )
