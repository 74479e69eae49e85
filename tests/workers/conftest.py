"""Real workers for the job tests: Redis started by the project, worker processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.synthetic import SyntheticConfig, generate
from basketgraph.workers.app import make_celery
from basketgraph.workers.redis_server import RedisServer
from tests.workerprocs import JOB_ENV, Workers


@pytest.fixture
def job_settings(neo4j_server: Settings) -> Settings:
    """Settings of the test servers with the short lease, Redis running."""
    settings = Settings.from_env({**os.environ, **JOB_ENV})
    RedisServer(settings).start()

    return settings


@pytest.fixture
def workers(job_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    """A starter of worker processes; queues are emptied first."""
    make_celery(job_settings).control.purge()
    pool = Workers(job_settings, tmp_path)
    yield pool
    pool.stop_all()
    make_celery(job_settings).control.purge()


@pytest.fixture(scope="session")
def orders_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 generated orders over 200 products, in the generic CSV format."""
    path = tmp_path_factory.mktemp("jobs") / "orders.csv"
    generate(
        SyntheticConfig(
            num_orders=2_000, num_products=200, num_complement_pairs=20, seed=5
        ),
        path,
    )

    return path


@pytest.fixture
def loaded(driver: Driver, dataset: str, orders_file: Path) -> str:
    """The generated orders loaded into a fresh dataset."""
    ingest_file(
        driver,
        orders_file,
        "csv",
        dataset,
        rejects_path=orders_file.with_suffix(".rejects.csv"),
    )

    return dataset
