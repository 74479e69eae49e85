"""The workers' tasks: every pipeline step as an idempotent, observable job.

Each task works on one run (its job): it claims the run under a lease, keeps the
lease with a heartbeat while it works, reports its stage and progress on the run
node, and ends by recording the run complete, failed or cancelled. A task that is
delivered again (its worker died; Celery's ``acks_late``) claims the same run and
starts that step over: every step deletes what an earlier attempt of the same run
wrote before writing, and only a complete run is ever made active, so nothing is
duplicated and nothing served changes until the new run is whole.

Failures are told apart as :mod:`basketgraph.exceptions` says: transient errors of
the store (Neo4j unavailable, a deadlock) are retried with a growing delay; bad
input fails at once, with its message, and is never retried.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import Celery, Task, chain
from celery.canvas import Signature
from celery.exceptions import SoftTimeLimitExceeded
from neo4j import Driver
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

from basketgraph.config import Settings
from basketgraph.exceptions import (
    InputError,
    JobCancelledError,
    StoreUnavailableError,
)
from basketgraph.graphdb.jobs import (
    BUSY,
    CANCELLED,
    DONE,
    MISSING,
    beat,
    claim_run,
    finish_run,
    mark_cancelled,
    queue_run,
    release_run,
    report_pipeline,
    report_progress,
)
from basketgraph.graphdb.runs import (
    activate_run,
    active_run,
    fail_run,
    get_run,
    stop_run,
)
from basketgraph.trainable import PIPELINE_MODELS
from basketgraph.workers.app import settings_of

logger = logging.getLogger(__name__)

#: Errors worth trying again later: the store is down, or a transaction lost a
#: deadlock or a leader.
TRANSIENT = (ServiceUnavailable, SessionExpired, TransientError, StoreUnavailableError)
#: Retries of a transient error before the job fails.
MAX_RETRIES = 5
#: Seconds between progress writes of one job, at most one per this.
REPORT_EVERY = 1.0
#: Queue of each step (training follows ``Settings.train_queue``).
STEP_QUEUES = {
    "ingest": "io",
    "mine": "cpu",
    "embed": "cpu",
    "train": "cpu",
    "write_back": "io",
    "evaluate": "cpu",
    "prune": "io",
}

_drivers: dict[int, Driver] = {}


def driver_for(settings: Settings) -> Driver:
    """Return this process's driver, opened on first use (one per worker process)."""
    from basketgraph.graphdb.connection import connect

    pid = os.getpid()
    if pid not in _drivers:
        _drivers[pid] = connect(settings, verify=False)

    return _drivers[pid]


class JobContext:
    """What a task has while it works on its run: reports, lease, cancellation.

    Args:
        driver (Driver): The process's driver.
        run_id (str): The run it holds.
        worker (str): Its name, ``host:pid``.
        lease (float): The lease's length; the heartbeat renews it four times
            as often.
        parent (str, optional): The pipeline run it is a step of.
        index (int): Its place among the pipeline's steps.
        count (int): How many steps the pipeline has.
    """

    def __init__(
        self,
        driver: Driver,
        run_id: str,
        worker: str,
        lease: float,
        parent: str | None = None,
        index: int = 0,
        count: int = 1,
    ) -> None:
        """Bind the context to its run; the heartbeat starts with :meth:`start`."""
        self.driver = driver
        self.run_id = run_id
        self.worker = worker
        self.lease = lease
        self.parent = parent
        self.index = index
        self.count = count
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._last: tuple[str, float] = ("", 0.0)
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat {run_id}", daemon=True
        )

    def start(self) -> None:
        """Start the heartbeat."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the heartbeat."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 4):
            try:
                if beat(self.driver, self.run_id, self.worker):
                    self._cancel.set()
            except Exception as e:  # the next beat tries again
                logger.warning("Heartbeat of run %s failed: %s", self.run_id, e)

    def report(self, stage: str, done: float) -> None:
        """Record the stage and share done; stop here if cancellation was asked.

        TODO(workers): cancellation is cooperative, so a running job stops only
        at its next report; training reports only when its stage changes
        (export, training, scoring, writing), since the models' ``fit`` takes no
        callback yet, and mining's FP-Growth (C code) not at all while it mines.
        Revoking with ``terminate`` would stop at once but would kill the pool
        process mid-transaction.

        Raises:
            JobCancelledError: If the run's cancellation was asked for.
        """
        if self._cancel.is_set():
            raise JobCancelledError(f"Run {self.run_id} was cancelled on request.")
        now = time.monotonic()
        if stage == self._last[0] and now - self._last[1] < REPORT_EVERY:
            return
        self._last = (stage, now)
        percent = round(100.0 * min(max(done, 0.0), 1.0), 1)
        if report_progress(self.driver, self.run_id, stage, percent, self.worker):
            self._cancel.set()
        if self.parent is not None:
            overall = 100.0 * (self.index + min(max(done, 0.0), 1.0)) / self.count
            report_pipeline(self.driver, self.parent, stage, round(overall, 1))
        logger.debug("Run %s: %s, %.1f %%", self.run_id, stage, percent)
        if self._cancel.is_set():
            raise JobCancelledError(f"Run {self.run_id} was cancelled on request.")


class RowsProgress:
    """Turns an ingest's rows read into reports of a :class:`JobContext`."""

    def __init__(self, context: JobContext) -> None:
        """Report to ``context``."""
        self.context = context
        self.total: int | None = None
        self.done = 0

    def start(self, total: int | None, unit: str) -> None:
        """Begin counting rows."""
        self.total, self.done = total, 0
        self.context.report("ingest", 0.0)

    def advance(self, amount: int) -> None:
        """Count more rows."""
        self.done += amount
        share = self.done / self.total if self.total else 0.5
        self.context.report("ingest", share)

    def close(self) -> None:
        """End counting."""


def run_job(
    task: Task[Any, Any],
    run_id: str,
    step: str,
    work: Callable[[JobContext], dict[str, Any]],
    parent: str | None = None,
    index: int = 0,
    count: int = 1,
) -> dict[str, Any]:
    """Claim a run, do ``work`` on it under a lease, and record how it ended.

    Args:
        task (Task): The bound task (for retries and its settings).
        run_id (str): The run.
        step (str): Which part of the run this task does.
        work (Callable[[JobContext], dict[str, Any]]): The step; it returns its
            summary and records the run's end itself (activate, finish, release).
        parent (str, optional): The pipeline run it is a step of.
        index (int): Its place among the pipeline's steps.
        count (int): How many steps the pipeline has.

    Returns:
        dict[str, Any]: The step's summary, or why it was skipped.
    """
    settings = settings_of(task.app)
    driver = driver_for(settings)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        claim = claim_run(driver, run_id, worker, settings.job_lease, step)
    except TRANSIENT as e:
        raise task.retry(
            exc=e, countdown=_backoff(task), max_retries=MAX_RETRIES
        ) from e
    if claim.outcome == DONE:
        logger.info("Run %s: %s was done already; nothing to do", run_id, step)
        return {"run_id": run_id, "skipped": f"{step} was done already"}
    if claim.outcome == MISSING:
        raise InputError(f"No run has the id {run_id!r}; submit the job again.")
    if claim.outcome == CANCELLED:
        _end_pipeline(driver, parent, run_id, "cancelled")
        raise JobCancelledError(f"Run {run_id} was cancelled before it started.")
    if claim.outcome == BUSY:
        # Delivered again while its first worker still holds it (its lease is
        # fresh): come back when that lease would have run out.
        logger.warning("Run %s is held by %s; trying later", run_id, claim.holder)
        raise task.retry(countdown=settings.job_lease, max_retries=None)

    logger.info("Run %s: %s started by %s (%s)", run_id, step, worker, claim.status)
    context = JobContext(
        driver, run_id, worker, settings.job_lease, parent, index, count
    )
    context.start()
    try:
        result = work(context)
    except JobCancelledError:
        mark_cancelled(driver, [run_id])
        _end_pipeline(driver, parent, run_id, "cancelled")
        raise
    except TRANSIENT as e:
        if task.request.retries >= MAX_RETRIES:
            _fail(driver, parent, run_id, f"{type(e).__name__}: {e}")
            raise
        logger.warning("Run %s hit %s; retrying", run_id, e)
        _quietly(stop_run, driver, run_id, e)  # queued again, with the error
        raise task.retry(
            exc=e, countdown=_backoff(task), max_retries=MAX_RETRIES
        ) from e
    except SoftTimeLimitExceeded as e:
        message = (
            f"The job ran past its time limit of {settings.job_time_limit:.0f} s; "
            "give it less data or raise BASKETGRAPH_JOB_TIME_LIMIT."
        )
        _fail(driver, parent, run_id, message)
        raise InputError(message) from e
    except BaseException as e:
        logger.exception("Run %s: %s failed", run_id, step)
        _fail(driver, parent, run_id, f"{type(e).__name__}: {e}")
        raise
    finally:
        context.stop()
    if parent is not None and index == count - 1 and step != "train":
        finish_run(driver, parent, {"steps": count})
    logger.info("Run %s: %s done", run_id, step)

    return result


def _backoff(task: Task[Any, Any]) -> float:
    """Seconds before a retry: 2, 4, 8, ... up to five minutes."""
    return float(min(2 ** (task.request.retries + 1), 300))


def _quietly(function: Callable[..., Any], *args: Any) -> None:
    """Call ``function``, logging instead of raising: the store may be down."""
    try:
        function(*args)
    except Exception as e:  # recording the failure must not mask it
        logger.warning("Could not record the state of run %s: %s", args[1], e)


def _fail(driver: Driver, parent: str | None, run_id: str, error: str) -> None:
    _quietly(fail_run, driver, run_id, error)
    _end_pipeline(driver, parent, run_id, "failed", error)


def _end_pipeline(
    driver: Driver,
    parent: str | None,
    run_id: str,
    how: str,
    error: str | None = None,
) -> None:
    """End a pipeline whose step failed or was cancelled; its later steps never run."""
    if parent is None:
        return
    pipeline = get_run(driver, parent)
    if pipeline is None:
        return
    later = list(pipeline.steps[pipeline.steps.index(run_id) + 1 :])
    mark_cancelled(driver, later, f"Not run: step {run_id} {how}.")
    if how == "failed":
        _quietly(fail_run, driver, parent, f"Step {run_id} failed: {error}")
    else:
        mark_cancelled(driver, [parent])


# -- the steps ----------------------------------------------------------------------


def do_ingest(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Load a file into ``dataset``; a second load of it changes nothing."""
    from basketgraph.graphdb.ingest import ingest_file

    path = Path(params["path"])
    categories = params.get("categories")
    with _children_allowed():
        summary = ingest_file(
            context.driver,
            path,
            params["format"],
            dataset,
            rejects_path=settings.rejects_file(dataset, path),
            strict=params.get("strict", False),
            categories=Path(categories) if categories else None,
            progress=RowsProgress(context),
        )
    result = summary.to_dict()
    finish_run(context.driver, context.run_id, result)

    return result


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a pool process start the ingest's parser process.

    Celery's prefork pool marks its processes as daemons, and :mod:`multiprocessing`
    refuses children to a daemon; it also leaves them billiard's kind of
    authentication key, which :mod:`multiprocessing` will not pass on. The parser
    is joined or terminated before :func:`~basketgraph.graphdb.ingest.ingest_file`
    returns, which is what the daemon rule protects, so for that call the mark is
    lifted and the process gets a key of the standard kind.
    """
    process = multiprocessing.current_process()
    config = process._config  # type: ignore[attr-defined]
    saved = {name: config.get(name) for name in ("daemon", "authkey")}
    config["daemon"] = False
    # AuthenticationString is not in the standard library's stubs.
    key = multiprocessing.process.AuthenticationString  # type: ignore[attr-defined]
    config["authkey"] = key(os.urandom(32))
    try:
        yield
    finally:
        config.update(saved)


def do_mine(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Mine pair statistics and rules; the run becomes active."""
    from basketgraph.graphdb.mining_job import run_mining
    from basketgraph.workers.jobs import mining_params

    summary = run_mining(
        context.driver,
        dataset,
        mining_params(params),
        run_id=context.run_id,
        report=context.report,
    )

    return summary.to_dict()


def do_embed(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Encode product texts and write ``SIMILAR_TO``; the run becomes active."""
    from basketgraph.graphdb.embed_job import run_embedding
    from basketgraph.text import make_encoder
    from basketgraph.workers.jobs import embed_params

    context.report("loading the encoder", 0.0)
    encoder = make_encoder(settings.text_encoder)
    summary = run_embedding(
        context.driver,
        dataset,
        encoder,
        embed_params(params),
        progress=lambda n: context.report(f"encoded {n} texts", 0.5),
        run_id=context.run_id,
    )

    return summary.to_dict()


def do_train(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Export, train and save a model; its write-back is the next task."""
    from basketgraph.graphdb.train_job import train_model
    from basketgraph.workers.jobs import train_params

    # TODO(workers): the checkpoint and partners file go to this machine's
    # BASKETGRAPH_HOME and the write-back task reads them from its own; workers on
    # several machines need that folder shared (or an object store) until the
    # partners travel in Neo4j or the result backend.
    summary = train_model(
        context.driver,
        dataset,
        train_params(params),
        settings.home / "models",
        context.run_id,
        lambda stage, done: context.report(stage, 0.9 * done),
    )
    release_run(context.driver, context.run_id, "train", "waiting for write-back")

    return summary.to_dict()


def do_write_back(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Write a trained run's partners; activate it, or apply the promotion rule."""
    from basketgraph.graphdb.train_job import TrainSummary, write_back
    from basketgraph.graphdb.writeback import BATCH
    from basketgraph.workers.promotion import decide_promotion

    run = get_run(context.driver, context.run_id)
    assert run is not None  # claimed a moment ago
    promote = bool(params.get("promote_if_not_worse"))
    summary = write_back(
        context.driver,
        TrainSummary.from_dict(run.metrics),
        batch=params.get("write_batch") or BATCH,
        activate=not promote,
        report=context.report,
    )
    result = summary.to_dict()
    if promote:
        incumbent = active_run(context.driver, dataset, run.kind)
        decision = decide_promotion(
            result, incumbent.metrics if incumbent else None, settings.promotion_margin
        )
        result["promotion"] = decision.to_dict()
        if decision.promote:
            activate_run(context.driver, context.run_id, result)
        else:
            finish_run(context.driver, context.run_id, result, decision.reason)
            logger.warning("Run %s is kept back: %s", context.run_id, decision.reason)

    return result


def do_evaluate(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Judge every method on a temporal split and write the report."""
    from basketgraph.graphdb.evaluation_job import run_evaluation
    from basketgraph.workers.jobs import evaluation_params

    summary = run_evaluation(
        context.driver,
        dataset,
        evaluation_params(params),
        settings.home / "reports" / dataset,
        run_id=context.run_id,
        report=context.report,
    )

    return {"results": summary.results, "files": summary.files, **summary.context}


def do_prune(
    context: JobContext, settings: Settings, dataset: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Delete what old runs of a kind wrote, keeping the active one and ``keep``."""
    from basketgraph.graphdb.writeback import prune_runs

    context.report("pruning", 0.0)
    pruned = prune_runs(context.driver, dataset, params["kind"], params["keep"])
    result = {"pruned": pruned}
    finish_run(context.driver, context.run_id, result)

    return result


STEPS: dict[str, Callable[..., dict[str, Any]]] = {
    "ingest": do_ingest,
    "mine": do_mine,
    "embed": do_embed,
    "train": do_train,
    "write_back": do_write_back,
    "evaluate": do_evaluate,
    "prune": do_prune,
}


def _make_task(step: str) -> Callable[..., dict[str, Any]]:
    function = STEPS[step]

    def job(
        self: Task[Any, Any],
        run_id: str,
        dataset: str,
        params: dict[str, Any],
        parent: str | None = None,
        index: int = 0,
        count: int = 1,
    ) -> dict[str, Any]:
        settings = settings_of(self.app)

        def work(context: JobContext) -> dict[str, Any]:
            return function(context, settings, dataset, params)

        return run_job(self, run_id, step, work, parent, index, count)

    job.__name__ = job.__qualname__ = step
    job.__doc__ = function.__doc__

    return job


#: The body of each step's task, made once: every application registers the same
#: functions.
TASKS = {step: _make_task(step) for step in STEPS}


def register_tasks(app: Celery) -> None:
    """Define one task per step on ``app``, named ``basketgraph.<step>``."""
    for step, job in TASKS.items():
        app.task(bind=True, name=f"basketgraph.{step}")(job)
    from basketgraph.workers.schedule import register_periodic

    register_periodic(app)


# -- planning a job: its runs and its signatures -------------------------------------


def plan(
    settings: Settings,
    driver: Driver,
    run_id: str,
    step: str,
    dataset: str,
    params: dict[str, Any],
    stamp: str | None = None,
) -> Signature:
    """Record the runs of a job as ``queued`` and return what to send.

    A ``train`` job is two tasks on one run: training (``cpu`` or ``gpu``) and its
    write-back (``io``). A ``pipeline`` is a run of its own whose steps are runs,
    chained: ingest (when given a path), mine, embed, one training with
    write-back per model, and the evaluation.

    Args:
        settings (Settings): Which queue trains.
        driver (Driver): An open driver.
        run_id (str): The job's id.
        step (str): One of :data:`basketgraph.workers.jobs.JOB_STEPS`.
        dataset (str): The dataset.
        params (dict[str, Any]): Checked parameters.
        stamp (str, optional): The data's state when queued (the schedule's).

    Returns:
        Signature: The task or chain to ``apply_async``.
    """
    from basketgraph.workers.app import shared_celery

    app = shared_celery(settings)
    if step != "pipeline":
        queue_run(driver, run_id, dataset, _kind(step, params), params, stamp=stamp)
        return _signatures(app, settings, run_id, step, dataset, params, {})

    steps = _pipeline_steps(params)
    ids = [f"{run_id}.{i}-{name}" for i, (name, _) in enumerate(steps)]
    queue_run(driver, run_id, dataset, "pipeline", params, steps=ids)
    signatures: list[Signature] = []
    for index, ((name, step_params), step_id) in enumerate(
        zip(steps, ids, strict=True)
    ):
        queue_run(
            driver,
            step_id,
            dataset,
            _kind(name, step_params),
            step_params,
            parent=run_id,
        )
        where = {"parent": run_id, "index": index, "count": len(steps)}
        signatures.append(
            _signatures(app, settings, step_id, name, dataset, step_params, where)
        )

    return chain(*signatures)


def _kind(step: str, params: dict[str, Any]) -> str:
    """The run kind a step records (a hybrid's training is ``hybrid``)."""
    if step == "train":
        return "hybrid" if params.get("model") == "hybrid" else "train"

    return step


def _signatures(
    app: Celery,
    settings: Settings,
    run_id: str,
    step: str,
    dataset: str,
    params: dict[str, Any],
    where: dict[str, Any],
) -> Signature:
    def signature(name: str, task_id: str, queue: str) -> Signature:
        return app.signature(
            f"basketgraph.{name}",
            args=(run_id, dataset, params),
            kwargs=where,
            immutable=True,
            task_id=task_id,
            queue=queue,
        )

    if step == "train":
        return chain(
            signature("train", run_id, settings.train_queue),
            signature("write_back", write_back_task_id(run_id), "io"),
        )

    return signature(step, run_id, STEP_QUEUES[step])


def write_back_task_id(run_id: str) -> str:
    """Return the task id of a training run's write-back."""
    return f"{run_id}.write-back"


def _pipeline_steps(params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    steps: list[tuple[str, dict[str, Any]]] = []
    if params.get("path"):
        steps.append(("ingest", {"path": params["path"], "format": params["format"]}))
    steps.append(("mine", dict(params.get("mine", {}))))
    steps.append(("embed", {}))
    for model in params.get("models", PIPELINE_MODELS):
        train = {"model": model, "top_k": 20, "seed": 0}
        if "epochs" in params:
            train["epochs"] = params["epochs"]
        steps.append(("train", train))
    if params.get("evaluate", True):
        methods = params.get("methods")
        steps.append(("evaluate", {"methods": methods} if methods else {}))

    return steps
