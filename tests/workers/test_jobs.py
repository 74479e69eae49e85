"""Jobs run by real worker processes over a real Redis and Neo4j."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from celery.result import AsyncResult
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.exceptions import BrokerUnavailableError
from basketgraph.graphdb.embed_job import run_embedding
from basketgraph.graphdb.mining_job import MiningParams, run_mining
from basketgraph.graphdb.runs import Run, active_run, get_run
from basketgraph.text import make_encoder
from basketgraph.workers.app import make_celery
from basketgraph.workers.jobs import (
    ParamError,
    cancel_job,
    submit_job,
    wait_for_job,
)
from basketgraph.workers.redis_server import RedisServer
from tests.conftest import run_cli
from tests.workerprocs import Workers

pytestmark = pytest.mark.neo4j

#: Mining that finds pairs and rules in the generated orders.
MINE = {"min_support": 0.01, "min_confidence": 0.05}


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def relationship_counts(driver: Driver, rel_type: str, run_id: str) -> tuple[int, int]:
    """A run's relationships, and its distinct (product, partner, kind) triples."""
    record = driver.execute_query(
        f"MATCH (a)-[r:{rel_type} {{run_id: $id}}]->(b) "
        "RETURN count(r) AS n, count(DISTINCT [a.sku, b.sku, r.kind]) AS distinct",
        id=run_id,
    ).records[0]

    return record["n"], record["distinct"]


def test_a_pipeline_completes_and_its_progress_shows_while_it_runs(
    driver: Driver,
    dataset: str,
    orders_file: Path,
    job_settings: Settings,
    workers: Workers,
) -> None:
    workers.start()
    job = submit_job(
        job_settings,
        driver,
        "pipeline",
        dataset,
        {
            "path": str(orders_file),
            "format": "csv",
            "models": ["gcn"],
            "epochs": 3,
            "mine": MINE,
            "methods": ["popularity", "cooccurrence", "gcn"],
        },
    )
    assert job.status == "queued" and len(job.steps) == 5
    seen: list[Run] = []

    done = wait_for_job(driver, job.id, 600, seen.append, poll=0.2)

    assert done.status == "complete", done.error
    assert done.progress == 100.0
    moving = [j for j in seen if j.status == "running" and 0 < j.progress < 100]
    assert moving, [(j.status, j.progress) for j in seen]
    assert len({j.stage for j in moving}) >= 3  # it moved through several stages
    percents = [j.progress for j in seen]
    assert percents == sorted(percents)
    steps = [get_run(driver, step) for step in done.steps]
    assert [s.kind for s in steps if s] == [
        "ingest",
        "mine",
        "embed",
        "train",
        "evaluate",
    ]
    assert all(s is not None and s.status == "complete" for s in steps)
    served = active_run(driver, dataset, "train")
    assert served is not None and served.id == done.steps[3]
    written, distinct = relationship_counts(driver, "ASSOCIATED", served.id)
    assert written == distinct == served.metrics["associated_written"] > 0
    evaluation = steps[4]
    assert evaluation is not None
    assert set(evaluation.metrics["results"]) == {"popularity", "cooccurrence", "gcn"}


def test_a_worker_killed_in_a_write_back_is_replaced_without_duplicates(
    driver: Driver, loaded: str, job_settings: Settings, workers: Workers
) -> None:
    run_embedding(driver, loaded, make_encoder(None))
    first = workers.start()
    # Small write batches make the write-back long enough to be caught in.
    job = submit_job(
        job_settings,
        driver,
        "train",
        loaded,
        {"model": "gcn", "epochs": 2, "write_batch": 25},
    )

    def writing() -> bool:
        run = get_run(driver, job.id)
        assert run is not None and run.status != "failed", run
        return (
            run.stage == "writing"
            and relationship_counts(driver, "ASSOCIATED", job.id)[0] > 100
        )

    wait_until(writing, 300, "the write-back to be under way")
    first.kill()
    partial, _ = relationship_counts(driver, "ASSOCIATED", job.id)
    interrupted = get_run(driver, job.id)
    assert interrupted is not None and interrupted.status == "running"
    assert active_run(driver, loaded, "train") is None  # nothing served yet

    second = workers.start()
    done = wait_for_job(driver, job.id, 300)

    assert done.status == "complete" and done.active, done.error
    assert done.worker is not None and done.worker.split(":")[0] != ""
    assert done.attempts >= 3  # training, the killed write-back, the retried one
    written, distinct = relationship_counts(driver, "ASSOCIATED", job.id)
    assert partial < written
    assert written == distinct == done.metrics["associated_written"]
    assert second.process.poll() is None  # the second worker did it and runs on
    log = second.log.read_text()
    assert "basketgraph.write_back" in log and "succeeded" in log


def test_bad_input_fails_once_with_a_readable_error_and_is_not_retried(
    driver: Driver,
    dataset: str,
    job_settings: Settings,
    workers: Workers,
    tmp_path: Path,
) -> None:
    workers.start()
    bad = tmp_path / "orders.csv"
    bad.write_text("order,product\no1,a\n")  # neither order_id nor sku

    job = submit_job(
        job_settings, driver, "ingest", dataset, {"path": str(bad), "format": "csv"}
    )
    done = wait_for_job(driver, job.id, 120)

    assert done.status == "failed"
    assert done.error is not None and "lacks the column" in done.error
    assert "sku" in done.error
    assert done.attempts == 1
    result = AsyncResult(job.id, app=make_celery(job_settings))
    assert result.state == "FAILURE"
    time.sleep(3)  # a retry would have claimed it again by now
    again = get_run(driver, job.id)
    assert again is not None and again.attempts == 1 and again.status == "failed"


def test_bad_parameters_are_refused_before_anything_is_queued(
    driver: Driver, dataset: str, job_settings: Settings
) -> None:
    cases = [
        ("mine", {"min_suport": 0.1}, "params.min_suport"),
        ("mine", {"min_support": "high"}, "params.min_support"),
        ("train", {"model": "bert"}, "params.model"),
        ("ingest", {}, "params.path"),
        ("ingest", {"path": "/nonexistent/orders.csv"}, "params.path"),
        ("evaluate", {"split": "yesterday"}, "params.split"),
        ("pipeline", {"mine": {"min_suport": 0.1}}, "params.mine.min_suport"),
        ("pipeline", {"mine": {"min_support": "high"}}, "params.mine.min_support"),
        ("dance", {}, "step"),
    ]
    for step, params, field in cases:
        with pytest.raises(ParamError) as caught:
            submit_job(job_settings, driver, step, dataset, params)
        assert caught.value.field == field, (step, params)
    runs = driver.execute_query(
        "MATCH (r:Run {dataset: $dataset}) RETURN count(r) AS n", dataset=dataset
    ).records[0]["n"]
    assert runs == 0


def test_a_queued_job_is_cancelled_and_never_runs(
    driver: Driver, loaded: str, job_settings: Settings, workers: Workers
) -> None:
    job = submit_job(job_settings, driver, "mine", loaded, MINE)
    cancelled = cancel_job(job_settings, driver, job.id)
    assert cancelled.status == "cancelled"

    workers.start()
    time.sleep(4)

    after = get_run(driver, job.id)
    assert after is not None and after.status == "cancelled" and after.attempts == 0
    assert active_run(driver, loaded, "mine") is None


def test_a_running_job_stops_when_cancelled_and_the_served_run_stays(
    driver: Driver, loaded: str, job_settings: Settings, workers: Workers
) -> None:
    served = run_mining(driver, loaded, MiningParams(**MINE))
    workers.start()
    job = submit_job(job_settings, driver, "mine", loaded, {**MINE, "write_batch": 5})
    wait_until(
        lambda: (run := get_run(driver, job.id)) and run.stage == "writing",
        120,
        "the mining job to write",
    )

    cancel_job(job_settings, driver, job.id)
    done = wait_for_job(driver, job.id, 60)

    assert done.status == "cancelled" and not done.active
    current = active_run(driver, loaded, "mine")
    assert current is not None and current.id == served.run_id


def test_with_redis_stopped_existing_results_are_still_read(
    driver: Driver, loaded: str, job_settings: Settings, workers: Workers
) -> None:
    workers.start()
    job = submit_job(job_settings, driver, "mine", loaded, MINE)
    wait_for_job(driver, job.id, 120)
    workers.stop_all()
    redis = RedisServer(job_settings)
    redis.stop()
    try:
        listed = run_cli("jobs", "--dataset", loaded)
        shown = run_cli("jobs", "show", job.id, "--json")
        runs = run_cli("runs", "--dataset", loaded)
        refused = run_cli("jobs", "submit", "mine", "--dataset", loaded, check=False)
        with pytest.raises(BrokerUnavailableError):
            submit_job(job_settings, driver, "mine", loaded, MINE)
    finally:
        redis.start()

    assert job.id in listed.stdout and "complete" in listed.stdout
    assert '"status": "complete"' in shown.stdout
    assert job.id in runs.stdout
    assert refused.returncode == 1
    assert "Redis does not answer" in refused.stderr
    partners = driver.execute_query(
        "MATCH (:Product {dataset: $dataset})-[r:BOUGHT_WITH {run_id: $id}]->() "
        "RETURN count(r) AS n",
        dataset=loaded,
        id=job.id,
    ).records[0]["n"]
    assert partners > 0


def test_two_workers_share_a_queue_without_interfering(
    driver: Driver,
    orders_file: Path,
    job_settings: Settings,
    workers: Workers,
    tmp_path: Path,
) -> None:
    from basketgraph.graphdb.datasets import drop_dataset
    from basketgraph.graphdb.ingest import ingest_file

    names = [f"t-two-{i}-{time.time_ns() % 10**8}" for i in range(4)]
    try:
        for name in names:
            ingest_file(
                driver, orders_file, "csv", name, rejects_path=tmp_path / "r.csv"
            )
        workers.start()
        workers.start()
        jobs = [
            submit_job(job_settings, driver, "mine", n, {**MINE, "write_batch": 200})
            for n in names
        ]
        done = [wait_for_job(driver, j.id, 300) for j in jobs]

        assert all(d.status == "complete" and d.active for d in done)
        assert len({d.worker for d in done}) == 2  # both took jobs
        spans = sorted((d.started_at, d.finished_at) for d in done)
        assert any(
            later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)
        ), spans  # some ran at the same time
        counts = {d.metrics["partners_written"] for d in done}
        assert len(counts) == 1  # the same data gave the same result everywhere
        for d in done:
            written, distinct = relationship_counts(driver, "BOUGHT_WITH", d.id)
            assert written == distinct == d.metrics["partners_written"]
    finally:
        for name in names:
            drop_dataset(driver, name)
