"""Real workers for the job tests: Redis started by the project, worker processes.

Each worker is ``basketgraph worker`` in a process group of its own, so that a test
can kill it (and its pool's children) with SIGKILL as a crash would. The lease and
Redis's visibility timeout are short here so that a lost job is taken over within
seconds instead of an hour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.exceptions
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.synthetic import SyntheticConfig, generate
from basketgraph.workers.app import make_celery
from basketgraph.workers.redis_server import RedisServer

#: Short lease and visibility timeout: a dead worker's job moves on in seconds.
JOB_ENV = {
    "BASKETGRAPH_JOB_LEASE": "3",
    "BASKETGRAPH_JOB_VISIBILITY_TIMEOUT": "6",
}


@pytest.fixture
def job_settings(neo4j_server: Settings) -> Settings:
    """Settings of the test servers with the short lease, Redis running."""
    settings = Settings.from_env({**os.environ, **JOB_ENV})
    RedisServer(settings).start()

    return settings


@dataclass
class Worker:
    """One ``basketgraph worker`` process group."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the worker (warm shutdown), killing it if it lingers."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Workers:
    """Starts workers for a test and stops them all after it."""

    settings: Settings
    folder: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, queues: str = "io,cpu", concurrency: int = 1) -> Worker:
        """Start a worker and wait until it answers a ping."""
        name = f"w{uuid.uuid4().hex[:6]}@test"
        log = self.folder / f"{name}.log"
        env = {**os.environ, **JOB_ENV}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "basketgraph",
                    "worker",
                    f"--queues={queues}",
                    f"--concurrency={concurrency}",
                    f"--name={name}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        worker = Worker(name, process, log)
        self.started.append(worker)
        app = make_celery(self.settings)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"worker exited:\n{log.read_text()}")
            try:
                if app.control.ping(destination=[name], timeout=0.5):
                    return worker
            except (OSError, redis.exceptions.ConnectionError):  # just restarted
                time.sleep(0.5)
        raise AssertionError(f"worker did not answer in 90 s:\n{log.read_text()}")

    def stop_all(self) -> None:
        """Stop every worker this fixture started."""
        for worker in self.started:
            worker.stop()


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
