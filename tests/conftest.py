"""Fixtures shared by every test: the real servers, started by the project's own CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.config import Settings

REPO = Path(__file__).resolve().parents[1]
#: Test servers live apart from a developer's own, on ports of their own. Two test
#: runs on one machine keep apart by BASKETGRAPH_TEST_SLOT (0, 1, ...): each slot has
#: its own home folder and ports.
_SLOT = int(os.environ.get("BASKETGRAPH_TEST_SLOT", "0") or 0)
TEST_ENV = {
    "BASKETGRAPH_HOME": str(
        REPO / (".basketgraph-test" + (f"-{_SLOT}" if _SLOT else ""))
    ),
    "BASKETGRAPH_NEO4J_BOLT_PORT": str(7697 + 10 * _SLOT),
    "BASKETGRAPH_NEO4J_HTTP_PORT": str(7484 + 10 * _SLOT),
    "BASKETGRAPH_NEO4J_HEAP": "1g",
    "BASKETGRAPH_NEO4J_PAGECACHE": "512m",
    "BASKETGRAPH_REDIS_PORT": str(6389 + 10 * _SLOT),
    "BASKETGRAPH_WEB_PORT": str(8089 + 10 * _SLOT),
}
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Point every setting, and every CLI the tests start, at the test servers."""
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "BASKETGRAPH_DATASET"):
        os.environ.pop(name, None)
    os.environ.update(TEST_ENV)


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``basketgraph ARGS`` in a subprocess, as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "basketgraph", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"basketgraph {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )

    return result


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The settings of the test servers."""
    return Settings.from_env()


@pytest.fixture(scope="session")
def neo4j_server(settings: Settings) -> Iterator[Settings]:
    """A running Neo4j, started with ``basketgraph neo4j start``.

    It is left running after the session so that the next run starts at once; the
    data of each test lives in a dataset of its own and is dropped afterwards.
    """
    run_cli("neo4j", "start")
    yield settings


@pytest.fixture(scope="session")
def driver(neo4j_server: Settings) -> Iterator[Driver]:
    """A driver connected to the test server."""
    from basketgraph.graphdb.connection import connect

    driver = connect(neo4j_server)
    yield driver
    driver.close()


@pytest.fixture
def dataset(driver: Driver) -> Iterator[str]:
    """A fresh dataset name, dropped with everything in it after the test."""
    from basketgraph.graphdb.datasets import drop_dataset

    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    drop_dataset(driver, name)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real data sets; tests that need them skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data sets not found at {SHARED_DATA}")

    return SHARED_DATA
