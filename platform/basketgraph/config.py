"""Settings, read once from the environment, with defaults that work on one machine."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from basketgraph.exceptions import ConfigurationError

#: Prefix of every basketgraph environment variable.
ENV_PREFIX = "BASKETGRAPH_"

_DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MEMORY_SIZE = re.compile(r"[1-9][0-9]*[kmgKMG]")


def check_dataset_name(name: str) -> str:
    """Return ``name`` if it can name a dataset, or raise.

    Args:
        name (str): The dataset name a user gave.

    Returns:
        str: The same name.

    Raises:
        ConfigurationError: If the name is empty, too long, or has characters other
            than letters, digits, ``_``, ``.`` and ``-``.
    """
    if not _DATASET_NAME.fullmatch(name):
        raise ConfigurationError(
            f"Dataset name {name!r} is not valid: use 1 to 64 letters, digits, "
            "'_', '.' or '-', starting with a letter or digit."
        )
    return name


@dataclass(frozen=True)
class Settings:
    """Where basketgraph keeps its state and how it reaches its services.

    Build it with :meth:`from_env`; every field has a default that works on one
    machine, so an empty environment is a valid configuration.
    """

    #: Folder holding the Neo4j server (jars, data, logs, password), Redis state and
    #: reject files.
    home: Path = field(default_factory=lambda: Path.home() / ".basketgraph")
    #: Port of Neo4j's Bolt connector on 127.0.0.1.
    neo4j_bolt_port: int = 7687
    #: Port of Neo4j's HTTP connector on 127.0.0.1.
    neo4j_http_port: int = 7474
    #: Neo4j JVM heap, as Neo4j writes sizes (``512m``, ``2g``).
    neo4j_heap: str = "2g"
    #: Neo4j page cache size.
    neo4j_pagecache: str = "1g"
    #: Bolt address the client connects to; by default the local server.
    neo4j_uri: str = ""
    #: Neo4j user name.
    neo4j_user: str = "neo4j"
    #: Neo4j password; when empty, the one stored under ``home`` at first setup.
    neo4j_password: str = field(default="", repr=False)
    #: Port of the project's Redis server on 127.0.0.1.
    redis_port: int = 6379
    #: Dataset used when a command is given none.
    dataset: str = "default"
    #: Text encoder of ``basketgraph embed``: empty for the bundled
    #: all-MiniLM-L6-v2, or the folder of another sentence-transformers model.
    text_encoder: str | None = None
    #: Celery's broker and result backend; by default the local Redis.
    broker_url: str = ""
    #: Seconds a running job's worker may go without a heartbeat before another
    #: worker may take the job over.
    job_lease: float = 60.0
    #: Seconds after which Redis hands an unacknowledged job (its worker died) to
    #: another worker. Longer than any job's time between heartbeats; the lease
    #: keeps a job that still runs from being taken.
    job_visibility_timeout: float = 3600.0
    #: Hard time limit of one job, in seconds; the soft limit is 95 % of it.
    job_time_limit: float = 6 * 3600.0
    #: Queue of training jobs: ``cpu``, or ``gpu`` where a GPU worker runs.
    train_queue: str = "cpu"
    #: A retrained run is promoted only if its validation NDCG@10 is at least
    #: ``1 - promotion_margin`` times the active run's.
    promotion_margin: float = 0.02
    #: Datasets the schedule refreshes and retrains; empty for every dataset.
    schedule_datasets: tuple[str, ...] = ()
    #: Seconds between the schedule's checks for new orders, which re-mine the
    #: pair statistics of a dataset that has some.
    schedule_refresh_seconds: float = 3600.0
    #: Hour of the day (UTC) of the nightly retraining and evaluation.
    schedule_retrain_hour: int = 2
    #: Other Celery settings by their lower-case names, from
    #: ``BASKETGRAPH_CELERY_<NAME>`` (values read as JSON where they parse).
    celery: Mapping[str, Any] = field(default_factory=dict)
    #: Port of the API and console (``basketgraph serve``) on 127.0.0.1.
    web_port: int = 8000
    #: Server processes of ``basketgraph serve``; 0 for one per core, at most 4.
    web_workers: int = 0
    #: Whether the API answers reads without an API key. Off by default: a shop's
    #: purchase associations are its business data. Writes always need a key.
    api_anonymous_read: bool = False
    #: Key that signs the console's session cookies; when empty, a random one kept
    #: under ``home`` (``web-secret``).
    web_secret_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        """Fill the derived defaults and check what cannot work."""
        if not self.neo4j_uri:
            object.__setattr__(
                self, "neo4j_uri", f"bolt://127.0.0.1:{self.neo4j_bolt_port}"
            )
        for name in ("neo4j_heap", "neo4j_pagecache"):
            value = getattr(self, name)
            if not _MEMORY_SIZE.fullmatch(value):
                raise ConfigurationError(
                    f"{ENV_PREFIX}{name.upper()}={value!r} is not a memory size: "
                    "write a number followed by k, m or g, such as '2g'."
                )
        check_dataset_name(self.dataset)
        for name in self.schedule_datasets:
            check_dataset_name(name)
        if not 0 <= self.schedule_retrain_hour <= 23:
            raise ConfigurationError(
                f"{ENV_PREFIX}SCHEDULE_RETRAIN_HOUR={self.schedule_retrain_hour!r} is "
                "not an hour: give a whole number from 0 to 23."
            )
        if self.train_queue not in ("cpu", "gpu"):
            raise ConfigurationError(
                f"{ENV_PREFIX}TRAIN_QUEUE={self.train_queue!r} is not a queue: use "
                "'cpu', or 'gpu' where a worker runs 'basketgraph worker --queues gpu'."
            )
        if not self.broker_url:
            object.__setattr__(self, "broker_url", self.redis_url)

    @property
    def neo4j_home(self) -> Path:
        """Folder of the local Neo4j server: ``lib``, ``conf``, ``data``, ``logs``."""
        return self.home / "neo4j"

    @property
    def password_file(self) -> Path:
        """File holding the local server's password, readable by its owner only."""
        return self.neo4j_home / "password"

    @property
    def redis_home(self) -> Path:
        """Folder of the local Redis server's configuration, data and log."""
        return self.home / "redis"

    @property
    def redis_url(self) -> str:
        """URL of the local Redis server."""
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def rejects_dir(self) -> Path:
        """Folder where ingest writes the rows it rejected, one file per input."""
        return self.home / "rejects"

    def rejects_file(self, dataset: str, path: Path) -> Path:
        """Return where loading ``path`` into ``dataset`` writes its bad rows."""
        stem = path.name
        for suffix in (".gz", ".csv", ".parquet", ".txt"):
            stem = stem.removesuffix(suffix)

        return self.rejects_dir / dataset / f"{stem}.rejects.csv"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from environment variables.

        ``BASKETGRAPH_HOME``, ``BASKETGRAPH_NEO4J_BOLT_PORT``,
        ``BASKETGRAPH_NEO4J_HTTP_PORT``, ``BASKETGRAPH_NEO4J_HEAP``,
        ``BASKETGRAPH_NEO4J_PAGECACHE``, ``BASKETGRAPH_REDIS_PORT``,
        ``BASKETGRAPH_DATASET``, ``BASKETGRAPH_TEXT_ENCODER``, the workers'
        ``BASKETGRAPH_BROKER_URL``, ``_JOB_LEASE``, ``_JOB_VISIBILITY_TIMEOUT``,
        ``_JOB_TIME_LIMIT``, ``_TRAIN_QUEUE``, ``_PROMOTION_MARGIN``,
        ``_SCHEDULE_DATASETS`` (comma-separated), ``_SCHEDULE_REFRESH_SECONDS``,
        ``_SCHEDULE_RETRAIN_HOUR`` and ``_CELERY_<NAME>``, plus the
        usual ``NEO4J_URI``, ``NEO4J_USER`` and ``NEO4J_PASSWORD``.
        The API and console read ``BASKETGRAPH_WEB_PORT``,
        ``BASKETGRAPH_API_ANONYMOUS_READ`` (``1`` or ``0``) and
        ``BASKETGRAPH_SECRET_KEY``.

        Args:
            environ (Mapping[str, str], optional): The variables to read
                (default: ``os.environ``).

        Returns:
            Settings: The checked settings.

        Raises:
            ConfigurationError: If a value cannot work, such as a port that is not a
                number.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if home := env.get(f"{ENV_PREFIX}HOME"):
            values["home"] = Path(home).expanduser()
        for name in ("neo4j_bolt_port", "neo4j_http_port", "redis_port", "web_port"):
            raw = env.get(f"{ENV_PREFIX}{name.upper()}")
            if raw:
                values[name] = _parse_port(f"{ENV_PREFIX}{name.upper()}", raw)
        for name in ("neo4j_heap", "neo4j_pagecache", "dataset", "text_encoder"):
            if raw := env.get(f"{ENV_PREFIX}{name.upper()}"):
                values[name] = raw
        for name in ("neo4j_uri", "neo4j_user", "neo4j_password"):
            if raw := env.get(name.upper()):
                values[name] = raw
        if raw := env.get(f"{ENV_PREFIX}WEB_WORKERS"):
            if not raw.strip().isdigit():
                raise ConfigurationError(
                    f"{ENV_PREFIX}WEB_WORKERS={raw!r} is not a number of processes: "
                    "give a whole number, or 0 for one per core."
                )
            values["web_workers"] = int(raw)
        if raw := env.get(f"{ENV_PREFIX}SECRET_KEY"):
            values["web_secret_key"] = raw
        if raw := env.get(f"{ENV_PREFIX}API_ANONYMOUS_READ"):
            values["api_anonymous_read"] = _parse_flag(
                f"{ENV_PREFIX}API_ANONYMOUS_READ", raw
            )
        for name in ("broker_url", "train_queue"):
            if raw := env.get(f"{ENV_PREFIX}{name.upper()}"):
                values[name] = raw
        for name in (
            "job_lease",
            "job_visibility_timeout",
            "job_time_limit",
            "promotion_margin",
            "schedule_refresh_seconds",
        ):
            if raw := env.get(f"{ENV_PREFIX}{name.upper()}"):
                values[name] = _parse_number(f"{ENV_PREFIX}{name.upper()}", raw)
        if raw := env.get(f"{ENV_PREFIX}SCHEDULE_RETRAIN_HOUR"):
            hour = _parse_number(f"{ENV_PREFIX}SCHEDULE_RETRAIN_HOUR", raw)
            values["schedule_retrain_hour"] = int(hour) if hour.is_integer() else -1
        if raw := env.get(f"{ENV_PREFIX}SCHEDULE_DATASETS"):
            values["schedule_datasets"] = tuple(
                n.strip() for n in raw.split(",") if n.strip()
            )
        celery_prefix = f"{ENV_PREFIX}CELERY_"
        values["celery"] = {
            key[len(celery_prefix) :].lower(): _parse_json_or_text(raw)
            for key, raw in env.items()
            if key.startswith(celery_prefix)
        }

        return cls(**values)  # type: ignore[arg-type]  # keys are field names above


def _parse_number(variable: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as e:
        raise ConfigurationError(
            f"{variable}={raw!r} is not a number: give one such as 60 or 0.02."
        ) from e
    if value < 0:
        raise ConfigurationError(f"{variable}={raw!r} is negative: give 0 or more.")

    return value


def _parse_json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _parse_port(variable: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError as e:
        raise ConfigurationError(
            f"{variable}={raw!r} is not a port number: give an integer such as 7687."
        ) from e
    if not 0 < port < 65536:
        raise ConfigurationError(
            f"{variable}={raw!r} is outside 1-65535: give a free TCP port."
        )

    return port


def _parse_flag(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{variable}={raw!r} is not a yes or no: give 1 or 0.")
