"""A whole mining run against the real server: planted pairs, activation, failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.exceptions import MiningLimitError
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.mining_job import MiningParams, run_mining
from basketgraph.graphdb.runs import active_run, list_runs
from basketgraph.graphdb.writeback import prune_runs
from basketgraph.synthetic import GroundTruth, SyntheticConfig, generate
from tests.conftest import run_cli

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    path = tmp_path_factory.mktemp("planted") / "orders.csv"
    summary = generate(
        SyntheticConfig(
            num_orders=6_000, num_products=300, num_complement_pairs=30, seed=21
        ),
        path,
    )
    return path, GroundTruth.from_json(summary.truth.read_text())


@pytest.fixture
def loaded(driver: Driver, dataset: str, planted: tuple[Path, GroundTruth]) -> str:
    path, _ = planted
    ingest_file(driver, path, "csv", dataset, rejects_path=path.with_suffix(".rej"))
    return dataset


def test_mining_recovers_the_planted_complements_and_becomes_active(
    driver: Driver, loaded: str, planted: tuple[Path, GroundTruth]
) -> None:
    _, truth = planted
    summary = run_mining(
        driver, loaded, MiningParams(min_support=0.002, min_confidence=0.2, top_k=5)
    )

    run = active_run(driver, loaded, "mine")
    assert run is not None and run.id == summary.run_id
    assert run.metrics["rules_written"] == summary.rules_written == summary.rules > 0
    partners = driver.execute_query(
        "MATCH (a:Product {dataset: $ds})-[r:BOUGHT_WITH {run_id: $run}]->(b) "
        "RETURN a.sku AS a, b.sku AS b",
        ds=loaded,
        run=run.id,
    ).records
    found = {(r["a"], r["b"]) for r in partners}
    recovered = [p for p in truth.complement_pairs if tuple(p) in found]
    # The planted complement is among the top five partners of its product.
    assert len(recovered) >= 0.8 * len(truth.complement_pairs)
    rules = driver.execute_query(
        "MATCH (r:Rule {dataset: $ds, run_id: $run})-[:CONSEQUENT]->(c) "
        "MATCH (r)-[:ANTECEDENT]->(a) WITH r, c, collect(a.sku) AS ante "
        "WHERE size(ante) = 1 RETURN ante[0] AS a, c.sku AS c",
        ds=loaded,
        run=run.id,
    ).records
    rule_pairs = {(r["a"], r["c"]) for r in rules}
    assert sum(tuple(p) in rule_pairs for p in truth.complement_pairs) >= 0.8 * len(
        truth.complement_pairs
    )


def test_a_failed_run_leaves_the_active_run_and_says_which_limit(
    driver: Driver, loaded: str
) -> None:
    good = run_mining(driver, loaded, MiningParams(min_support=0.01))

    with pytest.raises(MiningLimitError, match="max_rules"):
        run_mining(driver, loaded, MiningParams(min_support=0.001, max_rules=10))

    run = active_run(driver, loaded, "mine")
    assert run is not None and run.id == good.run_id
    statuses = [r.status for r in list_runs(driver, loaded, "mine")]
    assert statuses == ["failed", "complete"]


def test_prune_keeps_the_active_and_the_previous_run(
    driver: Driver, loaded: str
) -> None:
    ids = [
        run_mining(driver, loaded, MiningParams(min_support=0.02)).run_id
        for _ in range(3)
    ]

    assert prune_runs(driver, loaded, "mine", keep=1) == [ids[0]]

    left = driver.execute_query(
        "MATCH ()-[r:BOUGHT_WITH]->() WHERE r.run_id IN $ids "
        "RETURN r.run_id AS run, count(*) AS n",
        ids=ids,
    ).records
    assert {r["run"] for r in left} == {ids[1], ids[2]}


def test_cli_mine_prints_a_summary(loaded: str) -> None:
    data = json.loads(
        run_cli("mine", "--dataset", loaded, "--min-support", "0.01", "--json").stdout
    )

    assert data["baskets"] == 6_000
    assert data["rules_written"] == data["rules"]
    listing = run_cli("runs", "--dataset", loaded).stdout
    assert listing.startswith(f"* {data['run_id']}")
