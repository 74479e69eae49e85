"""The Neo4j server that the project assembles from Maven Central and runs itself."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.exceptions import ServerStartError
from basketgraph.graphdb.server import Neo4jServer
from tests.conftest import run_cli

pytestmark = pytest.mark.neo4j


def test_status_reports_a_running_server(neo4j_server: Settings) -> None:
    status = json.loads(run_cli("neo4j", "status", "--json").stdout)

    assert status["running"] is True
    assert status["bolt_ready"] is True
    assert status["uri"] == "bolt://127.0.0.1:7697"


def test_start_is_a_no_op_when_running(neo4j_server: Settings) -> None:
    pid = Neo4jServer(neo4j_server).status().pid

    result = run_cli("neo4j", "start")

    assert "already running" in result.stdout
    assert Neo4jServer(neo4j_server).status().pid == pid


def test_server_is_community_5_26_with_auth_on_and_bound_to_loopback(
    neo4j_server: Settings, driver: Driver
) -> None:
    component = driver.execute_query("CALL dbms.components()").records[0]
    assert component["edition"] == "community"
    assert component["versions"][0].startswith("5.26.")
    conf = (neo4j_server.neo4j_home / "conf" / "neo4j.conf").read_text()
    assert "dbms.security.auth_enabled=true" in conf
    assert "server.default_listen_address=127.0.0.1" in conf
    password_file = neo4j_server.password_file
    assert oct(password_file.stat().st_mode & 0o777) == "0o600"
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError

    with (
        GraphDatabase.driver(neo4j_server.neo4j_uri, auth=("neo4j", "wrong")) as bad,
        pytest.raises(AuthError),
    ):
        bad.verify_connectivity()


def test_vector_indexes_work_in_this_edition(driver: Driver, dataset: str) -> None:
    driver.execute_query(
        "CREATE VECTOR INDEX test_vectors IF NOT EXISTS FOR (n:VectorProbe) "
        "ON n.embedding OPTIONS {indexConfig: {`vector.dimensions`: 3, "
        "`vector.similarity_function`: 'cosine'}}"
    )
    try:
        driver.execute_query(
            "UNWIND $rows AS row CREATE (:VectorProbe {id: row.id, embedding: row.v})",
            rows=[
                {"id": 1, "v": [1.0, 0.0, 0.0]},
                {"id": 2, "v": [0.8, 0.2, 0.0]},
                {"id": 3, "v": [0.0, 0.0, 1.0]},
            ],
        )
        driver.execute_query("CALL db.awaitIndexes(60)")
        records = driver.execute_query(
            "CALL db.index.vector.queryNodes('test_vectors', 2, [1.0, 0.0, 0.0]) "
            "YIELD node, score RETURN node.id AS id"
        ).records
        assert [r["id"] for r in records] == [1, 2]
    finally:
        driver.execute_query("MATCH (n:VectorProbe) DELETE n")
        driver.execute_query("DROP INDEX test_vectors IF EXISTS")


def test_restart_keeps_the_data(
    neo4j_server: Settings, driver: Driver, dataset: str
) -> None:
    driver.execute_query(
        "CREATE (:Product {dataset: $ds, sku: 'kept', title: 'survives a restart'})",
        ds=dataset,
    )

    assert "Neo4j stopped." in run_cli("neo4j", "stop").stdout
    stopped = run_cli("neo4j", "status", check=False)
    assert stopped.returncode == 3
    assert "not running" in stopped.stdout
    assert "started" in run_cli("neo4j", "start").stdout

    records = driver.execute_query(
        "MATCH (p:Product {dataset: $ds}) RETURN p.title AS title", ds=dataset
    ).records
    assert [r["title"] for r in records] == ["survives a restart"]


def test_a_server_that_cannot_start_fails_with_its_own_log_lines(
    neo4j_server: Settings, tmp_path: Path
) -> None:
    # A second home whose HTTP port is taken by the running test server: Neo4j
    # itself finds that out and says so in its log.
    clash = replace(neo4j_server, home=tmp_path, neo4j_bolt_port=7698, neo4j_uri="")
    server = Neo4jServer(clash)
    server.home.mkdir(parents=True)
    os.symlink(neo4j_server.neo4j_home / "lib", server.lib_dir)
    started = time.monotonic()

    with pytest.raises(ServerStartError) as caught:
        server.start(timeout=120)

    message = str(caught.value)
    assert "Neo4j exited while starting" in message
    assert "7484" in message  # the server's own words about the port in use
    assert time.monotonic() - started < 120
    assert server.status().running is False


def test_a_bolt_port_in_use_is_refused_before_starting(
    neo4j_server: Settings, tmp_path: Path
) -> None:
    clash = replace(neo4j_server, home=tmp_path, neo4j_http_port=7499)

    with pytest.raises(ServerStartError, match=r"port 7697 .* already in use"):
        Neo4jServer(clash).start(timeout=30)
