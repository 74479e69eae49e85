"""Runs: every mining, training and evaluation run, and which one is served.

A run is a ``(:Run {id, dataset, kind, status, started_at, finished_at, params,
metrics, active})`` node. Derived relationships carry the ``run_id`` of the run that
wrote them. A run starts as ``running``; only :func:`activate_run` makes it
``complete`` and, in the same transaction, the one ``active`` run of its dataset and
kind, so readers switch from one complete run to the next at once and an interrupted
run never touches what is served.

A run submitted as a job (:mod:`basketgraph.workers.jobs`) is created ``queued``
first and then claimed by the worker that runs it, which keeps a lease on it
(``worker``, ``heartbeat_at``) and reports ``stage`` and ``progress`` as it goes:
the run node is the job's durable record, readable with Neo4j alone.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
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
    #: The step it is in (``export``, ``training``, ``writing``, ...).
    stage: str | None = None
    #: How much of it is done, in percent.
    progress: float = 0.0
    #: What went wrong, for a failed run.
    error: str | None = None
    #: When it was submitted as a job; ``None`` for a run started directly.
    submitted_at: datetime | None = None
    #: Times a worker started it (more than one after a retry).
    attempts: int = 0
    #: The worker that holds it, as ``host:pid``.
    worker: str | None = None
    #: Whether cancellation was asked for.
    cancel_requested: bool = False
    #: The pipeline run it is a step of.
    parent: str | None = None
    #: A pipeline's step runs, in order.
    steps: tuple[str, ...] = ()
    #: Why a complete run was not made active (the promotion rule).
    held_back: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-able data, times in ISO 8601."""
        data = asdict(self)
        for name in ("started_at", "finished_at", "submitted_at"):
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        data["steps"] = list(self.steps)

        return data


#: Statuses of a run that nothing works on any more.
FINISHED = ("complete", "failed", "cancelled", "pruned")


def start_run(
    driver: Driver,
    dataset: str,
    kind: str,
    params: dict[str, Any],
    run_id: str | None = None,
) -> str:
    """Record a run as ``running`` and return its id.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset the run reads and writes.
        kind (str): ``mine``, ``train``, ``evaluate``, ...
        params (dict[str, Any]): Its parameters, stored as JSON.
        run_id (str, optional): The id of a run submitted as a job (default: a new
            id). The run is created if it does not exist; a job retried after its
            worker was lost starts the same run again.

    Returns:
        str: The run's id.
    """
    check_dataset_name(dataset)
    if run_id is None:
        run_id = new_run_id(kind)
    driver.execute_query(
        "MERGE (run:Run {id: $id}) "
        "ON CREATE SET run.dataset = $dataset, run.kind = $kind, run.active = false, "
        "run.params = $params "
        "SET run.status = 'running', run.started_at = datetime(), run.error = null",
        id=run_id,
        dataset=dataset,
        kind=kind,
        params=json.dumps(params, sort_keys=True, default=str),
    )

    return run_id


def new_run_id(kind: str) -> str:
    """Return a fresh run id, such as ``mine-0123456789ab``."""
    return f"{kind}-{uuid.uuid4().hex[:12]}"


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
    run.metrics = $metrics, run.progress = 100.0, run.held_back = null
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


def stop_run(driver: Driver, run_id: str, error: BaseException) -> None:
    """Record why a run stopped before its end.

    A cancelled run is marked ``cancelled``. A run a worker holds that hit a
    transient error (Neo4j unavailable, a deadlock) goes back to ``queued``, since
    the worker tries it again; anything else, and any error of a run started from
    the command line, marks it ``failed``. Readers waiting for the run to end thus
    never see a failure that a retry or the cancellation overrides a moment later.
    """
    from neo4j.exceptions import DriverError, Neo4jError

    from basketgraph.exceptions import BasketgraphError, JobCancelledError

    if isinstance(error, JobCancelledError):
        status = "cancelled"
    elif (isinstance(error, Neo4jError | DriverError) and error.is_retryable()) or (
        isinstance(error, BasketgraphError) and error.retryable
    ):
        status = "retryable"
    else:
        status = "failed"
    driver.execute_query(
        "MATCH (run:Run {id: $id}) "
        "WITH run, CASE WHEN $status <> 'retryable' THEN $status "
        "               WHEN run.worker IS NULL THEN 'failed' ELSE 'queued' END AS s "
        "SET run.status = s, run.error = $error, "
        "    run.stage = CASE WHEN s = 'queued' THEN 'waiting to retry' "
        "                     ELSE run.stage END, "
        "    run.finished_at = CASE WHEN s = 'queued' THEN null ELSE datetime() END",
        id=run_id,
        status=status,
        error=f"{type(error).__name__}: {error}",
    )


def active_run(driver: Driver, dataset: str, kind: str) -> Run | None:
    """Return the active run of a dataset and kind, if any."""
    records = driver.execute_query(
        "MATCH (run:Run {dataset: $dataset, kind: $kind, active: true}) RETURN run",
        dataset=dataset,
        kind=kind,
    ).records

    return run_from_node(records[0]["run"]) if records else None


def list_runs(driver: Driver, dataset: str, kind: str | None = None) -> list[Run]:
    """Return the runs of a dataset (of one kind, if given), newest first."""
    records = driver.execute_query(
        "MATCH (run:Run {dataset: $dataset}) WHERE $kind IS NULL OR run.kind = $kind "
        "RETURN run ORDER BY run.started_at DESC",
        dataset=dataset,
        kind=kind,
    ).records

    return [run_from_node(r["run"]) for r in records]


def get_run(driver: Driver, run_id: str) -> Run | None:
    """Return the run with this id, if there is one."""
    records = driver.execute_query(
        "MATCH (run:Run {id: $id}) RETURN run", id=run_id
    ).records

    return run_from_node(records[0]["run"]) if records else None


def run_from_node(node: Any) -> Run:
    """Return the run that a ``(:Run)`` node records."""

    def native(name: str) -> datetime | None:
        value = node.get(name)
        return value.to_native() if value is not None else None

    return Run(
        id=node["id"],
        dataset=node["dataset"],
        kind=node["kind"],
        status=node["status"],
        active=bool(node.get("active")),
        started_at=native("started_at"),
        finished_at=native("finished_at"),
        params=json.loads(node.get("params") or "{}"),
        metrics=json.loads(node.get("metrics") or "{}"),
        stage=node.get("stage"),
        progress=float(node.get("progress") or 0.0),
        error=node.get("error"),
        submitted_at=native("submitted_at"),
        attempts=int(node.get("attempts") or 0),
        worker=node.get("worker"),
        cancel_requested=bool(node.get("cancel_requested")),
        parent=node.get("parent"),
        steps=tuple(node.get("steps") or ()),
        held_back=node.get("held_back"),
    )


def mark_pruned(driver: Driver, run_id: str) -> None:
    """Record that a run's results were deleted; the run itself stays as history."""
    driver.execute_query(
        "MATCH (run:Run {id: $id}) SET run.status = 'pruned', run.active = false",
        id=run_id,
    )
