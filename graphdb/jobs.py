"""The durable record of jobs: runs queued, claimed under a lease, reported on.

A job's state lives on its ``(:Run)`` node, not in the broker, so that the command
line and the API read it from Neo4j alone (with Redis stopped, too) and so that a
job whose worker died can be taken over safely:

- :func:`queue_run` creates the run ``queued`` before the job is sent;
- :func:`claim_run` lets one worker at a time work on it: a run that another
  worker holds with a fresh heartbeat is busy, one whose holder stopped beating
  for ``lease`` seconds is free again;
- :func:`report_progress` and :func:`beat` keep the lease and tell the worker
  whether cancellation was asked for (:func:`request_cancel`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from basketgraph.config import check_dataset_name
from basketgraph.graphdb.runs import Run, run_from_node

#: What :func:`claim_run` found.
CLAIMED, DONE, CANCELLED, BUSY, MISSING = (
    "claimed",
    "done",
    "cancelled",
    "busy",
    "missing",
)


@dataclass(frozen=True)
class Claim:
    """The answer of :func:`claim_run`."""

    #: ``claimed``, ``done`` (already complete), ``cancelled``, ``busy`` (another
    #: worker holds a fresh lease) or ``missing`` (no such run).
    outcome: str
    #: The run's status before the claim.
    status: str | None = None
    #: The worker that holds the run, when busy.
    holder: str | None = None


def queue_run(
    driver: Driver,
    run_id: str,
    dataset: str,
    kind: str,
    params: dict[str, Any],
    *,
    parent: str | None = None,
    steps: list[str] | None = None,
    stamp: str | None = None,
) -> None:
    """Create the run of a job as ``queued``; do nothing if it exists.

    Args:
        driver (Driver): An open driver.
        run_id (str): The job's id, which is its run's.
        dataset (str): The dataset it works on.
        kind (str): The step: ``ingest``, ``mine``, ``train``, ``pipeline``, ...
        params (dict[str, Any]): Its parameters, stored as JSON.
        parent (str, optional): The pipeline it is a step of.
        steps (list[str], optional): A pipeline's step runs, in order.
        stamp (str, optional): What the data looked like when the job was
            queued, for the schedule to tell whether new orders came since.
    """
    check_dataset_name(dataset)
    driver.execute_query(
        "MERGE (run:Run {id: $id}) "
        "ON CREATE SET run.dataset = $dataset, run.kind = $kind, "
        "run.status = 'queued', run.active = false, run.submitted_at = datetime(), "
        "run.params = $params, run.progress = 0.0, run.attempts = 0, "
        "run.parent = $parent, run.steps = $steps, run.data_stamp = $stamp",
        id=run_id,
        dataset=dataset,
        kind=kind,
        params=json.dumps(params, sort_keys=True, default=str),
        parent=parent,
        steps=steps or [],
        stamp=stamp,
    )


def claim_run(
    driver: Driver, run_id: str, worker: str, lease: float, step: str
) -> Claim:
    """Take a queued, failed or abandoned run for ``worker`` to do ``step`` of it.

    A run that ``worker`` itself holds is taken again (a retry of its own). A run
    is done for ``step`` when it is complete, or when ``step`` was released with
    :func:`release_run` (a training run's ``train`` step before its write-back).

    Args:
        driver (Driver): An open driver.
        run_id (str): The run.
        worker (str): Who claims it, as ``host:pid``.
        lease (float): Seconds without a heartbeat after which a running run's
            holder counts as lost.
        step (str): The part of the run to do.

    Returns:
        Claim: What was found, and whether the run is now ``worker``'s.
    """
    with driver.session() as session:
        return session.execute_write(_claim, run_id, worker, lease, step)


def _claim(
    tx: ManagedTransaction, run_id: str, worker: str, lease: float, step: str
) -> Claim:
    # The first SET takes the node's write lock, so two workers claiming at once
    # are serialised and the second reads what the first committed.
    record = tx.run(
        """
MATCH (run:Run {id: $id})
SET run.claims = coalesce(run.claims, 0) + 1
WITH run, run.status AS status, run.worker AS holder,
     run.status = 'running' AND run.worker <> $worker
     AND run.heartbeat_at > datetime() - duration({milliseconds: $lease_ms}) AS busy
RETURN status, holder, busy, coalesce(run.cancel_requested, false) AS cancel,
       $step IN coalesce(run.done_steps, []) AS step_done
""",
        id=run_id,
        worker=worker,
        lease_ms=int(lease * 1000),
        step=step,
    ).single()
    if record is None:
        return Claim(MISSING)
    status, holder = record["status"], record["holder"]
    if status == "complete" or record["step_done"]:
        return Claim(DONE, status)
    if record["cancel"] or status == "cancelled":
        tx.run(
            "MATCH (run:Run {id: $id}) WHERE run.status <> 'cancelled' "
            "SET run.status = 'cancelled', run.finished_at = datetime()",
            id=run_id,
        )
        return Claim(CANCELLED, status)
    if record["busy"]:
        return Claim(BUSY, status, holder)
    if status == "pruned":
        return Claim(DONE, status)
    tx.run(
        """
MATCH (run:Run {id: $id})
SET run.status = 'running', run.worker = $worker, run.heartbeat_at = datetime(),
    run.attempts = coalesce(run.attempts, 0) + 1, run.error = null,
    run.started_at = datetime(), run.finished_at = null
""",
        id=run_id,
        worker=worker,
    )

    return Claim(CLAIMED, status)


def release_run(driver: Driver, run_id: str, step: str, stage: str) -> None:
    """Record ``step`` of a run as done and let the next step's worker claim it."""
    driver.execute_query(
        "MATCH (run:Run {id: $id}) SET run.status = 'queued', run.worker = null, "
        "run.stage = $stage, run.done_steps = coalesce(run.done_steps, []) + $step",
        id=run_id,
        step=step,
        stage=stage,
    )


def report_progress(
    driver: Driver, run_id: str, stage: str, progress: float, worker: str
) -> bool:
    """Record a run's stage and percent done, renewing ``worker``'s lease.

    Returns:
        bool: Whether cancellation of the run was asked for.
    """
    records = driver.execute_query(
        "MATCH (run:Run {id: $id}) "
        "SET run.stage = $stage, run.progress = $progress, "
        "run.heartbeat_at = datetime(), run.worker = $worker "
        "RETURN coalesce(run.cancel_requested, false) AS cancel",
        id=run_id,
        stage=stage,
        progress=float(progress),
        worker=worker,
    ).records

    return bool(records and records[0]["cancel"])


def report_pipeline(driver: Driver, run_id: str, stage: str, progress: float) -> None:
    """Record a pipeline's stage and percent done; it runs once a step does."""
    driver.execute_query(
        "MATCH (run:Run {id: $id}) WHERE run.status IN ['queued', 'running'] "
        "SET run.stage = $stage, run.progress = $progress, run.status = 'running', "
        "run.started_at = coalesce(run.started_at, datetime())",
        id=run_id,
        stage=stage,
        progress=float(progress),
    )


def beat(driver: Driver, run_id: str, worker: str) -> bool:
    """Renew ``worker``'s lease on a run it holds.

    Returns:
        bool: Whether cancellation of the run was asked for.
    """
    records = driver.execute_query(
        "MATCH (run:Run {id: $id}) WHERE run.worker = $worker "
        "AND run.status = 'running' SET run.heartbeat_at = datetime() "
        "RETURN coalesce(run.cancel_requested, false) AS cancel",
        id=run_id,
        worker=worker,
    ).records

    return bool(records and records[0]["cancel"])


def request_cancel(driver: Driver, run_ids: list[str]) -> int:
    """Ask for runs to be cancelled; queued ones are cancelled at once.

    A running run is stopped by its worker at its next progress report. Runs that
    already finished are left as they are.

    Returns:
        int: How many runs were still queued or running.
    """
    record = driver.execute_query(
        """
MATCH (run:Run) WHERE run.id IN $ids AND run.status IN ['queued', 'running']
SET run.cancel_requested = true
WITH run, run.status = 'queued' AS queued
FOREACH (_ IN CASE WHEN queued THEN [1] ELSE [] END |
  SET run.status = 'cancelled', run.finished_at = datetime())
RETURN count(run) AS n
""",
        ids=run_ids,
    ).records[0]

    return int(record["n"])


def mark_cancelled(
    driver: Driver, run_ids: list[str], reason: str = "Cancelled on request."
) -> None:
    """Record that runs stopped, or will never start, and why.

    A run that failed because it was cancelled (the job's own handler records the
    failure first) is marked cancelled too; complete and pruned runs stay as
    they are.
    """
    driver.execute_query(
        "MATCH (run:Run) WHERE run.id IN $ids AND NOT run.status IN "
        "['complete', 'pruned'] SET run.status = 'cancelled', "
        "run.finished_at = datetime(), run.error = $reason",
        ids=run_ids,
        reason=reason,
    )


def finish_run(
    driver: Driver, run_id: str, metrics: dict[str, Any], held_back: str | None = None
) -> None:
    """Mark a run complete without making it active.

    For runs that serve nothing (ingest, pipelines, pruning) and for a candidate
    that the promotion rule kept back (``held_back`` says why).
    """
    driver.execute_query(
        "MATCH (run:Run {id: $id}) SET run.status = 'complete', "
        "run.finished_at = datetime(), run.metrics = $metrics, run.progress = 100.0, "
        "run.held_back = $held_back",
        id=run_id,
        metrics=json.dumps(metrics, default=str),
        held_back=held_back,
    )


def set_metrics(driver: Driver, run_id: str, metrics: dict[str, Any]) -> None:
    """Store a run's metrics so far (a later step of the same run adds to them)."""
    driver.execute_query(
        "MATCH (run:Run {id: $id}) SET run.metrics = $metrics",
        id=run_id,
        metrics=json.dumps(metrics, default=str),
    )


def list_job_runs(
    driver: Driver, dataset: str | None = None, limit: int = 50
) -> list[Run]:
    """Return runs, newest submitted or started first, of one dataset or all."""
    records = driver.execute_query(
        "MATCH (run:Run) WHERE $dataset IS NULL OR run.dataset = $dataset "
        "RETURN run ORDER BY coalesce(run.submitted_at, run.started_at) DESC "
        "LIMIT $limit",
        dataset=dataset,
        limit=limit,
    ).records

    return [run_from_node(r["run"]) for r in records]
