"""Worker processes for tests: ``basketgraph worker`` as a user starts it.

Each worker runs in a process group of its own, so that a test can kill it (and
its pool's children) with SIGKILL as a crash would. The lease and Redis's
visibility timeout are short here so that a lost job is taken over within seconds
instead of an hour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis.exceptions

from basketgraph.config import Settings
from basketgraph.workers.app import make_celery

#: Short lease and visibility timeout: a dead worker's job moves on in seconds.
JOB_ENV = {
    "BASKETGRAPH_JOB_LEASE": "3",
    "BASKETGRAPH_JOB_VISIBILITY_TIMEOUT": "6",
}


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
