"""``/api/v1/jobs`` against the real Neo4j and Redis, and with Redis stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from neo4j import Driver
from werkzeug.test import TestResponse

from basketgraph.config import Settings
from basketgraph.workers.redis_server import RedisServer
from tests.web.conftest import Served, problem_of

pytestmark = pytest.mark.neo4j


@pytest.fixture
def redis_down(redis: Settings) -> Iterator[Settings]:
    """Redis stopped for the test, started again afterwards."""
    server = RedisServer(redis)
    server.stop()
    assert not server.ping()
    yield redis
    server.start()


def submit(
    client: FlaskClient, served: Served, body: object, role: str = "admin"
) -> TestResponse:
    return client.post(
        f"/api/v1/jobs?dataset={served.dataset}",
        json=body,
        headers=served.headers(role),
    )


def test_a_bad_job_parameter_is_a_400_that_names_it(
    client: FlaskClient, served: Served
) -> None:
    unknown = submit(client, served, {"step": "mine", "params": {"min_sup": 0.1}})
    assert unknown.status_code == 400
    problem = problem_of(unknown)
    assert "params.min_sup" in problem["errors"]
    assert "'min_sup'" in problem["detail"]
    wrong_type = submit(client, served, {"step": "train", "params": {"epochs": "x"}})
    assert "params.epochs" in problem_of(wrong_type)["errors"]
    step = submit(client, served, {"step": "dance"})
    assert "step" in problem_of(step)["errors"]


def test_jobs_need_an_admin_key_and_unknown_ones_are_404(
    client: FlaskClient, served: Served
) -> None:
    refused = submit(client, served, {"step": "mine"}, role="curate")
    assert refused.status_code == 403
    missing = client.get("/api/v1/jobs/mine-nope", headers=served.headers("read"))
    assert missing.status_code == 404
    assert "mine-nope" in problem_of(missing)["detail"]
    cancel = client.post(
        "/api/v1/jobs/mine-nope/cancel", headers=served.headers("admin")
    )
    assert cancel.status_code == 404


def test_a_queued_job_is_listed_and_can_be_cancelled(
    client: FlaskClient, served: Served, redis: Settings, driver: Driver
) -> None:
    from basketgraph.workers.app import make_celery

    # No worker runs in this test: the job stays queued until it is cancelled.
    queued = submit(client, served, {"step": "prune", "params": {"kind": "mine"}})
    assert queued.status_code == 202, queued.data
    job = queued.get_json()
    try:
        assert job["status"] == "queued" and job["kind"] == "prune"
        assert job["params"]["keep"] == 1
        listed = client.get(
            f"/api/v1/jobs?dataset={served.dataset}", headers=served.headers("read")
        ).get_json()
        assert job["id"] in [j["id"] for j in listed["jobs"]]
        cancelled = client.post(
            f"/api/v1/jobs/{job['id']}/cancel", headers=served.headers("admin")
        )
        assert cancelled.status_code == 200
        assert cancelled.get_json()["status"] == "cancelled"
        shown = client.get(f"/api/v1/jobs/{job['id']}", headers=served.headers("read"))
        assert shown.get_json()["status"] == "cancelled"
    finally:
        make_celery(redis).control.purge()
        driver.execute_query("MATCH (r:Run {id: $id}) DELETE r", id=job["id"])


def test_with_redis_stopped_reads_work_and_submitting_is_a_503(
    client: FlaskClient, served: Served, redis_down: Settings, driver: Driver
) -> None:
    related = client.get(
        f"/api/v1/products/{served.sku}/related?dataset={served.dataset}&kind=rules",
        headers=served.headers("read"),
    )
    assert related.status_code == 200
    assert related.get_json()["products"]
    jobs = client.get(
        f"/api/v1/jobs?dataset={served.dataset}", headers=served.headers("read")
    )
    assert jobs.status_code == 200
    response = submit(client, served, {"step": "mine"})
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "Redis" in problem_of(response)["detail"]
    # The job that could not be queued is recorded as failed, never left queued.
    failed = driver.execute_query(
        "MATCH (r:Run {dataset: $d, kind: 'mine'}) WHERE r.status <> 'complete' "
        "RETURN r.id AS id, r.status AS status",
        d=served.dataset,
    ).records
    assert [r["status"] for r in failed] == ["failed"]
    driver.execute_query("MATCH (r:Run {id: $id}) DELETE r", id=failed[0]["id"])
