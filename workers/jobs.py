"""Submit, list, show and cancel jobs: the pipeline's steps run by the workers.

A job is a :class:`~basketgraph.graphdb.runs.Run` that a worker runs: its id is the
run's id, and its status, stage, progress, timings, parameters, metrics and error
are read from Neo4j, so they stay readable while Redis is down. Parameters are
checked when a job is submitted; a bad one is refused with its name, before
anything is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from neo4j import Driver

from basketgraph.config import Settings, check_dataset_name
from basketgraph.exceptions import (
    BrokerUnavailableError,
    ConfigurationError,
    InputError,
)
from basketgraph.graphdb.jobs import list_job_runs, request_cancel
from basketgraph.graphdb.runs import Run, get_run, new_run_id
from basketgraph.trainable import MODELS

logger = logging.getLogger(__name__)

#: A job is the run that records it.
Job = Run

#: Steps that can be submitted, each a task of :mod:`basketgraph.workers.tasks`.
JOB_STEPS = ("ingest", "mine", "embed", "train", "evaluate", "prune", "pipeline")


class ParamError(InputError):
    """A job parameter is unknown, missing or of the wrong type."""

    def __init__(self, message: str, field: str) -> None:
        """Create the error.

        Args:
            message (str): The whole sentence shown to the user.
            field (str): The parameter at fault, as ``params.<name>``.
        """
        super().__init__(message)
        self.field = field

    def __reduce__(self) -> tuple[type[ParamError], tuple[str, str]]:
        """Pickle with both arguments, so the error crosses process boundaries."""
        return (type(self), (str(self), self.field))


@dataclass(frozen=True)
class Param:
    """One accepted parameter of a step."""

    kind: type
    default: Any = None
    #: Whether the parameter must be given.
    required: bool = False
    #: The values allowed, when there are few.
    choices: tuple[str, ...] = ()


_WINDOW = {"since": Param(str), "until": Param(str)}
#: What each step accepts.
STEP_PARAMS: dict[str, dict[str, Param]] = {
    "ingest": {
        "path": Param(str, required=True),
        "format": Param(str, "online-retail"),
        "strict": Param(bool, False),
        "categories": Param(str),
    },
    "mine": {
        "min_support": Param(float),
        "min_confidence": Param(float),
        "max_len": Param(int),
        "top_k": Param(int),
        "min_pair_count": Param(int),
        "max_rules": Param(int),
        "write_batch": Param(int),
        "country": Param(str),
        "category": Param(str),
        **_WINDOW,
    },
    "embed": {"top_k": Param(int), "min_score": Param(float)},
    "train": {
        "model": Param(str, "gcn", choices=MODELS),
        "top_k": Param(int, 20),
        "epochs": Param(int),
        "seed": Param(int, 0),
        "device": Param(str),
        "write_batch": Param(int),
        # Keep the run back unless it is not worse than the active one by more
        # than the configured margin (the schedule's rule).
        "promote_if_not_worse": Param(bool, False),
        **_WINDOW,
    },
    "evaluate": {"split": Param(str), "methods": Param(list)},
    "prune": {
        "kind": Param(
            str, "mine", choices=("mine", "embed", "train", "hybrid", "evaluate")
        ),
        "keep": Param(int, 1),
    },
    "pipeline": {
        "path": Param(str),
        "format": Param(str, "online-retail"),
        "models": Param(list),
        "epochs": Param(int),
        "evaluate": Param(bool, True),
        "methods": Param(list),
        "mine": Param(dict),
    },
}


def check_params(step: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a step's parameters with defaults filled in, or raise naming the bad one.

    Args:
        step (str): One of :data:`JOB_STEPS`.
        raw (Mapping[str, Any], optional): The parameters given.

    Returns:
        dict[str, Any]: The parameters given, checked, with the defaults of those
        left out (``None`` ones dropped).

    Raises:
        ParamError: If the step is unknown, or a parameter is unknown, missing, of
            the wrong type or not one of its choices.
    """
    if step not in STEP_PARAMS:
        raise ParamError(
            f"No job step is named {step!r}; use one of {', '.join(JOB_STEPS)}.",
            "step",
        )
    spec = STEP_PARAMS[step]
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise ParamError(
            f"The {step} step has no parameter {unknown[0]!r}; it takes "
            f"{', '.join(sorted(spec))}.",
            f"params.{unknown[0]}",
        )
    checked: dict[str, Any] = {}
    for name, param in spec.items():
        value = raw.get(name)
        if value is None:
            if param.required:
                raise ParamError(
                    f"The {step} step needs the parameter {name!r}.", f"params.{name}"
                )
            value = param.default
        else:
            value = _check_value(step, name, param, value)
        if value is not None:
            checked[name] = value
    _check_semantics(step, checked)

    return checked


def _check_value(step: str, name: str, param: Param, value: Any) -> Any:
    kind = param.kind
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ParamError(
            f"The {step} parameter {name!r} is {value!r}; give a {kind.__name__}.",
            f"params.{name}",
        )
    if param.choices and value not in param.choices:
        raise ParamError(
            f"The {step} parameter {name!r} is {value!r}; use one of "
            f"{', '.join(param.choices)}.",
            f"params.{name}",
        )

    return value


def _check_semantics(step: str, params: dict[str, Any]) -> None:
    """Build what the worker will build, so bad values fail before queueing."""
    try:
        for day in ("since", "until", "split"):
            if day in params:
                parse_day(params[day], f"params.{day}")
        if step == "mine":
            mining_params(params)
        elif step == "train":
            train_params(params)
        elif step == "embed":
            embed_params(params)
        elif step == "evaluate":
            evaluation_params(params)
        elif step == "ingest":
            from basketgraph.sources import FORMATS

            if params["format"] not in FORMATS:
                raise ParamError(
                    f"No input format is named {params['format']!r}; use one of "
                    f"{', '.join(FORMATS)}.",
                    "params.format",
                )
        elif step == "pipeline":
            for model in params.get("models", ()):
                train_params({"model": model})
            try:
                check_params("mine", params.get("mine"))
            except ParamError as e:  # named as a member of the pipeline's "mine"
                inner = e.field.removeprefix("params")
                raise ParamError(str(e), f"params.mine{inner}") from e
    except ConfigurationError as e:
        raise ParamError(str(e), "params") from e


def parse_day(value: str, field: str) -> datetime:
    """Return a date given as ``YYYY-MM-DD`` (or an ISO 8601 instant), in UTC."""
    from datetime import UTC

    try:
        day = datetime.fromisoformat(value)
    except ValueError as e:
        raise ParamError(
            f"{field} is {value!r}, which is not a date: write it as YYYY-MM-DD.",
            field,
        ) from e

    return day if day.tzinfo else day.replace(tzinfo=UTC)


#: The parameters that shape what mining finds (a refresh carries them over).
MINING_KNOBS = (
    "min_support",
    "min_confidence",
    "max_len",
    "top_k",
    "min_pair_count",
    "max_rules",
)


def mining_params(params: Mapping[str, Any]) -> Any:
    """Return the :class:`~basketgraph.graphdb.mining_job.MiningParams` of a job.

    The parameters are those :func:`check_params` accepted for ``mine``.
    """
    from basketgraph.graphdb.mining_job import MiningParams

    names = (*MINING_KNOBS, "write_batch")
    values = {n: params[n] for n in names if n in params}

    return MiningParams(**values, where=_window(params))


def train_params(params: Mapping[str, Any]) -> Any:
    """Return the :class:`~basketgraph.graphdb.train_job.TrainParams` of a job."""
    from basketgraph.graphdb.train_job import TrainParams

    hyper: dict[str, Any] = {
        "seed": params.get("seed", 0),
        "device": params.get("device"),
    }
    if params.get("epochs") is not None:
        hyper["max_epochs"] = params["epochs"]

    return TrainParams(
        model=params.get("model", "gcn"),
        top_k=params.get("top_k", 20),
        train=hyper,
        where=_window(params),
    )


def embed_params(params: Mapping[str, Any]) -> Any:
    """Return the :class:`~basketgraph.graphdb.embed_job.EmbedParams` of a job."""
    from basketgraph.graphdb.embed_job import EmbedParams

    return EmbedParams(**{k: params[k] for k in ("top_k", "min_score") if k in params})


def evaluation_params(params: Mapping[str, Any]) -> Any:
    """Return the evaluation's parameters of a job."""
    from basketgraph.graphdb.evaluation_job import (
        BASELINES,
        METHODS,
        EvaluationParams,
    )

    methods = dict(METHODS)
    if "methods" in params:
        names = list(params["methods"])
        if names == ["baselines"]:
            names = list(BASELINES)
        unknown = [n for n in names if n not in METHODS]
        if unknown or not names:
            raise ParamError(
                f"params.methods names {unknown or names!r}; use some of "
                f"{', '.join(METHODS)}, or ['baselines'].",
                "params.methods",
            )
        methods = {n: METHODS[n] for n in names}
    split = params.get("split")

    return EvaluationParams(
        split=parse_day(split, "params.split") if split else None, methods=methods
    )


def _window(params: Mapping[str, Any]) -> Any:
    from basketgraph.graphdb.export import BasketFilter

    since, until = params.get("since"), params.get("until")

    return BasketFilter(
        start=parse_day(since, "params.since") if since else None,
        end=parse_day(until, "params.until") if until else None,
        country=params.get("country"),
        category=params.get("category"),
    )


def submit_job(
    settings: Settings,
    driver: Driver,
    step: str,
    dataset: str,
    params: Mapping[str, Any] | None = None,
) -> Job:
    """Check a job, record it as ``queued`` and send it to the workers.

    Args:
        settings (Settings): The broker and queue settings.
        driver (Driver): An open driver.
        step (str): One of :data:`JOB_STEPS`.
        dataset (str): The dataset it works on.
        params (Mapping[str, Any], optional): The step's parameters
            (:data:`STEP_PARAMS`).

    Returns:
        Job: The queued job.

    Raises:
        ParamError: If a parameter is wrong; nothing is queued.
        BrokerUnavailableError: If Redis cannot be reached; the job is recorded
            as failed, so it is not left queued forever.
    """
    from basketgraph.workers.tasks import plan

    try:
        check_dataset_name(dataset)
    except ConfigurationError as e:
        raise ParamError(str(e), "dataset") from e
    checked = check_params(step, params)
    if step == "ingest" and not Path(checked["path"]).is_file():
        raise ParamError(
            f"params.path {checked['path']!r} is not a file the workers can read; "
            "give the path of the data file on the workers' machine.",
            "params.path",
        )
    run_id = new_run_id(step)
    signature = plan(settings, driver, run_id, step, dataset, checked)
    try:
        signature.apply_async()
    except Exception as e:  # kombu raises many kinds on a lost broker
        from basketgraph.graphdb.runs import fail_run

        fail_run(driver, run_id, f"Not queued: the broker did not answer ({e}).")
        raise BrokerUnavailableError(
            f"Redis does not answer on {settings.broker_url}, so the job was not "
            "queued: start it with 'basketgraph redis start' and submit again."
        ) from e
    logger.info("Queued %s job %s on %s", step, run_id, dataset)
    job = get_run(driver, run_id)
    assert job is not None  # plan() recorded it

    return job


def get_job(driver: Driver, job_id: str) -> Job | None:
    """Return the job with this id, or ``None``."""
    return get_run(driver, job_id)


def list_jobs(driver: Driver, dataset: str | None = None, limit: int = 50) -> list[Job]:
    """Return jobs and runs, newest first, of one dataset or of all."""
    return list_job_runs(driver, dataset, limit)


def cancel_job(settings: Settings, driver: Driver, job_id: str) -> Job:
    """Cancel a queued or running job (a pipeline with every step not yet done).

    A queued job is cancelled at once; a running one stops at its next progress
    report and leaves the active results as they were.

    Raises:
        LookupError: If no job has this id.
    """
    job = get_run(driver, job_id)
    if job is None:
        raise LookupError(
            f"No job has the id {job_id!r}; 'basketgraph jobs' lists them."
        )
    request_cancel(driver, [job.id, *job.steps])
    _revoke(settings, [job.id, *job.steps])
    cancelled = get_run(driver, job_id)
    assert cancelled is not None

    return cancelled


def _revoke(settings: Settings, ids: list[str]) -> None:
    """Tell the workers not to start these jobs; harmless when Redis is down."""
    from basketgraph.workers.app import shared_celery
    from basketgraph.workers.tasks import write_back_task_id

    try:
        shared_celery(settings).control.revoke(
            [*ids, *(write_back_task_id(i) for i in ids)]
        )
    except Exception as e:  # the record in Neo4j is what counts
        logger.warning("Could not broadcast the cancellation of %s: %s", ids, e)


def wait_for_job(
    driver: Driver,
    job_id: str,
    timeout: float,
    on_change: Callable[[Job], None] | None = None,
    poll: float = 0.5,
) -> Job:
    """Wait until a job finishes, calling ``on_change`` whenever it moves.

    Raises:
        LookupError: If no job has this id.
        TimeoutError: If it has not finished within ``timeout`` seconds.
    """
    import time

    from basketgraph.graphdb.runs import FINISHED

    deadline = time.monotonic() + timeout
    last: tuple[Any, ...] | None = None
    while True:
        job = get_run(driver, job_id)
        if job is None:
            raise LookupError(f"No job has the id {job_id!r}.")
        state = (job.status, job.stage, job.progress)
        if state != last and on_change is not None:
            on_change(job)
        last = state
        if job.status in FINISHED:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"Job {job_id} is still {job.status} after {timeout:.0f} s."
            )
        time.sleep(poll)
