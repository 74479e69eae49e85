"""Fixtures of the API and console tests: one served dataset built by the real jobs.

The dataset is generated, ingested, mined, embedded and trained (GCN and the
hybrid, briefly) once per session on the test Neo4j; every test reads it, and tests
that curate remove their pins and blocks afterwards. The browser tests drive
Debian's headless Chromium against ``basketgraph serve --background``, with a real
``basketgraph worker`` for the jobs they start.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.curation import delete_audit
from basketgraph.graphdb.datasets import drop_dataset
from basketgraph.graphdb.embed_job import run_embedding
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.keys import create_key, revoke_key
from basketgraph.graphdb.migrations import apply_migrations
from basketgraph.graphdb.mining_job import MiningParams, run_mining
from basketgraph.graphdb.train_job import TrainParams, run_training
from basketgraph.synthetic import GroundTruth, SyntheticConfig, generate
from basketgraph.text import make_encoder
from basketgraph.web.app import close_app, create_app
from basketgraph.web.server import WebServer
from basketgraph.workers.app import make_celery
from tests.conftest import REPO, run_cli
from tests.workerprocs import Worker, Workers

#: Where the browser tests save a screenshot of every page they see (git-ignored).
ARTIFACTS = REPO / "test-artifacts" / "browser"

#: Short training: these tests are about serving, not the model's quality.
QUICK = {"max_epochs": 2, "steps_per_epoch": 5, "channels": 16, "lr": 0.01}


@dataclass(frozen=True)
class Served:
    """The served dataset and what the tests need to know about it."""

    dataset: str
    truth: GroundTruth
    #: A product with partners of every kind.
    sku: str
    #: Tokens of one key per role.
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        """Return the request headers of a key with ``role``."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="session")
def served(
    driver: Driver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    apply_migrations(driver)
    folder = tmp_path_factory.mktemp("web")
    path = folder / "orders.csv"
    summary = generate(
        SyntheticConfig(
            num_orders=2_000, num_products=150, num_complement_pairs=15, seed=11
        ),
        path,
    )
    truth = GroundTruth.from_json(summary.truth.read_text())
    dataset = f"t-{uuid.uuid4().hex[:10]}"
    ingest_file(driver, path, "csv", dataset, rejects_path=path.with_suffix(".rej"))
    run_mining(driver, dataset, MiningParams(min_support=0.002, min_confidence=0.05))
    run_embedding(driver, dataset, make_encoder(None))
    models = folder / "models"
    run_training(driver, dataset, TrainParams(model="gcn", train=QUICK), models)
    run_training(driver, dataset, TrainParams(model="hybrid", train=QUICK), models)
    keys = {role: create_key(driver, f"test-{role}", role) for role in ROLES}
    try:
        yield Served(
            dataset=dataset,
            truth=truth,
            sku=_product_with_every_kind(driver, dataset),
            tokens={role: token for role, (_, token) in keys.items()},
        )
    finally:
        for key, _ in keys.values():
            revoke_key(driver, key.id)
        driver.execute_query(
            "MATCH (k:ApiKey) WHERE k.name STARTS WITH 'test-' DETACH DELETE k"
        )
        delete_audit(driver, dataset)
        drop_dataset(driver, dataset)


ROLES = ("read", "curate", "admin")


def _product_with_every_kind(driver: Driver, dataset: str) -> str:
    """Return the product with the most partners that has partners of every kind."""
    record = driver.execute_query(
        """
MATCH (run:Run {dataset: $dataset, active: true})
MATCH (p:Product {dataset: $dataset})-[r]->(:Product)
WHERE r.run_id = run.id
WITH p, collect(DISTINCT type(r) + coalesce(r.kind, '')) AS kinds, count(r) AS n
WHERE size(kinds) >= 5
RETURN p.sku AS sku ORDER BY n DESC, sku LIMIT 1
""",
        dataset=dataset,
    ).records
    assert record, "the served dataset has no product with partners of every kind"

    return str(record[0]["sku"])


@pytest.fixture(scope="session")
def app(served: Served, settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, TESTING=True)
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clean_curations(driver: Driver, served: Served) -> Iterator[None]:
    """Remove every pin and block of the served dataset after the test."""
    yield
    driver.execute_query(
        "MATCH (:Product {dataset: $dataset})-[c:PINNED|BLOCKED]->() DELETE c",
        dataset=served.dataset,
    )


def problem_of(response: Any) -> dict[str, Any]:
    """Return a response's problem document, checking its media type."""
    assert response.mimetype == "application/problem+json", response.data[:300]
    body = response.get_json(force=True)
    assert isinstance(body, dict)
    assert body["status"] == response.status_code

    return body


@pytest.fixture(scope="session")
def redis(settings: Settings) -> Settings:
    """The settings of the test Redis, started with ``basketgraph redis start``."""
    run_cli("redis", "start")

    return settings


@pytest.fixture(scope="session")
def web_server(served: Served, redis: Settings) -> Iterator[str]:
    """``basketgraph serve --background`` on the test port; its address."""
    server = WebServer(redis)
    run_cli("serve", "--stop")
    run_cli("serve", "--background")
    try:
        yield server.url
    finally:
        run_cli("serve", "--stop")


@pytest.fixture(scope="module")
def worker(
    redis: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    """One real worker on the io and cpu queues, answering pings."""
    make_celery(redis).control.purge()
    pool = Workers(redis, tmp_path_factory.mktemp("worker"))
    try:
        yield pool.start()
    finally:
        pool.stop_all()
        make_celery(redis).control.purge()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium driven through Debian's chromedriver."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip("chromium and chromedriver are not installed: run scripts/install")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # chromedriver's own log, beside the screenshots: where to look when the
    # browser closes its connection in the middle of a run.
    service = webdriver.ChromeService(
        executable_path=chromedriver,
        service_args=["--verbose"],
        log_output=str(ARTIFACTS / "chromedriver.log"),
    )
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
