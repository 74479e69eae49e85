"""The Celery application: Redis as broker and result backend, three queues.

Queues:

- ``io``: ingest, write-back, pruning: mostly waiting on Neo4j;
- ``cpu``: mining, embedding, training and evaluation;
- ``gpu``: training, when ``BASKETGRAPH_TRAIN_QUEUE=gpu`` and a worker on a
  machine with a GPU runs ``basketgraph worker --queues gpu``.

Every setting comes from :class:`basketgraph.config.Settings` (so from the
environment) and sits in one mapping, :func:`celery_config`; any other Celery
setting can be given as ``BASKETGRAPH_CELERY_<NAME>``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue

from basketgraph.config import Settings

#: The queues, in the order a default worker consumes them.
QUEUES = ("io", "cpu", "gpu")
#: Name of the application, and the prefix of every task's name.
APP_NAME = "basketgraph"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Return every Celery setting of basketgraph, under lower-case names.

    Jobs are acknowledged only when they end (``acks_late``) and put back when
    their worker dies, so a worker killed mid-job loses nothing; each job is
    idempotent on its run (:mod:`basketgraph.workers.tasks`), so doing one twice
    duplicates nothing.

    Args:
        settings (Settings): Broker address, time limits, lease and overrides.

    Returns:
        dict[str, Any]: For ``Celery.conf``.
    """
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "result_backend": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        # Redis hands an unacknowledged job to another worker after this long.
        "broker_transport_options": {
            "visibility_timeout": settings.job_visibility_timeout
        },
        "result_backend_transport_options": {
            "visibility_timeout": settings.job_visibility_timeout
        },
        "result_expires": 7 * 24 * 3600,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # One job at a time per process: a long job never holds back others.
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.job_time_limit,
        "task_soft_time_limit": 0.95 * settings.job_time_limit,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # A client that cannot reach the broker is told so within seconds.
        "broker_connection_timeout": 3.0,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        "task_track_started": True,
        "task_send_sent_event": True,
        "worker_send_task_events": True,
        "task_queues": [Queue(name) for name in QUEUES],
        "task_default_queue": "cpu",
        "timezone": "UTC",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
    }
    config.update(settings.celery)

    return config


def make_celery(settings: Settings | None = None) -> Celery:
    """Create the Celery application with basketgraph's tasks and schedule.

    Args:
        settings (Settings, optional): The settings (default: from the
            environment).

    Returns:
        Celery: The application; its ``settings`` attribute holds ``settings``.
    """
    from basketgraph.workers.schedule import beat_schedule

    settings = settings or Settings.from_env()
    app = Celery(APP_NAME, set_as_current=False)
    app.conf.update(celery_config(settings))
    app.conf.beat_schedule = beat_schedule(settings)
    app.settings = settings  # type: ignore[attr-defined]  # read by the tasks
    from basketgraph.workers.tasks import register_tasks

    register_tasks(app)

    return app


_shared: dict[str, Celery] = {}


def shared_celery(settings: Settings) -> Celery:
    """Return one application per configuration, for clients that send jobs."""
    key = repr(settings)
    if key not in _shared:
        _shared[key] = make_celery(settings)

    return _shared[key]


def settings_of(app: Celery) -> Settings:
    """Return the settings an application was made with."""
    settings = getattr(app, "settings", None)
    assert isinstance(settings, Settings)  # set by make_celery

    return settings
