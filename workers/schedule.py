"""The periodic work of Celery beat: fresh pair statistics, nightly retraining.

- Every ``BASKETGRAPH_SCHEDULE_REFRESH_SECONDS`` (an hour by default),
  ``basketgraph.refresh_pairs`` re-mines each dataset whose orders changed since its
  active mining run, with that run's parameters.
- Every night at ``BASKETGRAPH_SCHEDULE_RETRAIN_HOUR`` (2 h UTC),
  ``basketgraph.retrain`` retrains each model a dataset serves and evaluates the
  dataset; a retrained run is made active only if the promotion rule
  (:mod:`basketgraph.workers.promotion`) says so, and is otherwise kept, marked
  ``held_back``, and not served.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Celery, Task, chain
from celery.schedules import crontab
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.runs import active_run, new_run_id

logger = logging.getLogger(__name__)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return Celery beat's schedule for these settings."""
    return {
        "refresh pair statistics": {
            "task": "basketgraph.refresh_pairs",
            "schedule": timedelta(seconds=settings.schedule_refresh_seconds),
            "options": {"queue": "io"},
        },
        "retrain and evaluate": {
            "task": "basketgraph.retrain",
            "schedule": crontab(minute=0, hour=settings.schedule_retrain_hour),
            "options": {"queue": "io"},
        },
    }


def data_stamp(driver: Driver, dataset: str) -> str:
    """Return a short text that changes when a dataset's orders change.

    Ingest stamps each order it creates or rewrites with ``written_at``, so new,
    changed and (through the count) removed orders all change the stamp, while an
    ingest that finds every order unchanged leaves it as it was.
    """
    record = driver.execute_query(
        "MATCH (o:Order {dataset: $dataset}) "
        "RETURN count(o) AS orders, max(o.written_at) AS written",
        dataset=dataset,
    ).records[0]

    return f"{record['orders']}|{record['written']}"


def scheduled_datasets(settings: Settings, driver: Driver) -> list[str]:
    """Return the configured datasets, else each that serves mined or learned pairs."""
    if settings.schedule_datasets:
        return list(settings.schedule_datasets)
    records = driver.execute_query(
        "MATCH (run:Run {active: true}) WHERE run.kind IN ['mine', 'train', 'hybrid'] "
        "RETURN DISTINCT run.dataset AS name ORDER BY name"
    ).records

    return [r["name"] for r in records]


def refresh_pairs(app: Celery, settings: Settings, driver: Driver) -> list[str]:
    """Queue a mining job for each dataset whose orders changed since it was mined.

    TODO(schedule): the refresh mines the whole window again rather than adding
    the new orders' pairs to the counts: full mining of Online Retail takes
    seconds here, and incremental counts would need the counts of the pairs
    below the support threshold kept too.

    Returns:
        list[str]: The ids of the jobs queued.
    """
    from basketgraph.workers.jobs import MINING_KNOBS, check_params
    from basketgraph.workers.tasks import plan

    queued = []
    for dataset in scheduled_datasets(settings, driver):
        stamp = data_stamp(driver, dataset)
        current = active_run(driver, dataset, "mine")
        if current is not None and _stamp_of(driver, current.id) == stamp:
            logger.info("No new orders in %s since run %s", dataset, current.id)
            continue
        if _pending(driver, dataset, "mine", stamp):
            continue
        old = current.params if current is not None else {}
        params = check_params("mine", {k: old[k] for k in MINING_KNOBS if k in old})
        run_id = new_run_id("mine")
        plan(settings, driver, run_id, "mine", dataset, params, stamp).apply_async()
        logger.info("Queued mining job %s: the orders of %s changed", run_id, dataset)
        queued.append(run_id)

    return queued


def retrain(app: Celery, settings: Settings, driver: Driver) -> list[str]:
    """Queue, per dataset, the retraining of every served model, then an evaluation.

    Each retrained run is written back and then promoted only if it is not worse
    than the active run by more than ``settings.promotion_margin``.

    Returns:
        list[str]: The ids of the jobs queued.
    """
    from basketgraph.workers.jobs import check_params
    from basketgraph.workers.tasks import plan

    queued: list[str] = []
    for dataset in scheduled_datasets(settings, driver):
        signatures = []
        for kind in ("train", "hybrid"):
            served = active_run(driver, dataset, kind)
            if served is None:
                continue
            model = served.params.get("model", "hybrid" if kind == "hybrid" else "gcn")
            params = check_params(
                "train",
                {
                    "model": model,
                    "top_k": served.params.get("top_k", 20),
                    "promote_if_not_worse": True,
                },
            )
            run_id = new_run_id("train")
            signatures.append(plan(settings, driver, run_id, "train", dataset, params))
            queued.append(run_id)
        if not signatures:
            continue
        run_id = new_run_id("evaluate")
        signatures.append(
            plan(
                settings,
                driver,
                run_id,
                "evaluate",
                dataset,
                check_params("evaluate", {}),
            )
        )
        queued.append(run_id)
        chain(*signatures).apply_async()
        logger.info("Queued the nightly retraining of %s: %s", dataset, queued)

    return queued


def _stamp_of(driver: Driver, run_id: str) -> str | None:
    records = driver.execute_query(
        "MATCH (run:Run {id: $id}) RETURN run.data_stamp AS stamp", id=run_id
    ).records

    return records[0]["stamp"] if records else None


def _pending(driver: Driver, dataset: str, kind: str, stamp: str) -> bool:
    """Whether a job of this kind for the same data is queued or running already."""
    records = driver.execute_query(
        "MATCH (run:Run {dataset: $dataset, kind: $kind}) "
        "WHERE run.status IN ['queued', 'running'] AND run.data_stamp = $stamp "
        "RETURN count(run) AS n",
        dataset=dataset,
        kind=kind,
        stamp=stamp,
    ).records

    return bool(records[0]["n"])


def _refresh_pairs_task(self: Task[Any, Any]) -> list[str]:
    from basketgraph.workers.app import settings_of
    from basketgraph.workers.tasks import driver_for

    settings = settings_of(self.app)

    return refresh_pairs(self.app, settings, driver_for(settings))


def _retrain_task(self: Task[Any, Any]) -> list[str]:
    from basketgraph.workers.app import settings_of
    from basketgraph.workers.tasks import driver_for

    settings = settings_of(self.app)

    return retrain(self.app, settings, driver_for(settings))


def register_periodic(app: Celery) -> None:
    """Define the scheduled tasks on ``app``."""
    app.task(bind=True, name="basketgraph.refresh_pairs")(_refresh_pairs_task)
    app.task(bind=True, name="basketgraph.retrain")(_retrain_task)
