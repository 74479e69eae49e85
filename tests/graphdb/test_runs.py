"""Runs and write-back: results switch atomically, retries never duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.runs import (
    activate_run,
    active_run,
    fail_run,
    list_runs,
    start_run,
)
from basketgraph.graphdb.writeback import clear_run, write_pairs, write_rules

pytestmark = pytest.mark.neo4j


@pytest.fixture
def products(driver: Driver, dataset: str, tmp_path: Path) -> str:
    path = tmp_path / "o.csv"
    path.write_text("order_id,sku\no1,a\no1,b\no2,b\no2,c\n")
    ingest_file(driver, path, "csv", dataset, rejects_path=tmp_path / "r.csv")

    return dataset


def pair(product: str, partner: str, lift: float) -> dict[str, object]:
    return {"product": product, "partner": partner, "stats": {"lift": lift, "count": 1}}


def served_pairs(driver: Driver, dataset: str) -> list[tuple[str, str, float]]:
    run = active_run(driver, dataset, "mine")
    if run is None:
        return []
    records = driver.execute_query(
        "MATCH (a:Product {dataset: $ds})-[r:BOUGHT_WITH {run_id: $run}]->(b) "
        "RETURN a.sku AS a, b.sku AS b, r.lift AS lift ORDER BY a, b",
        ds=dataset,
        run=run.id,
    ).records
    return [(r["a"], r["b"], r["lift"]) for r in records]


def test_a_run_is_served_only_once_complete_and_replaces_the_previous_one(
    driver: Driver, products: str
) -> None:
    first = start_run(driver, products, "mine", {"min_support": 0.1})
    write_pairs(driver, products, first, [pair("a", "b", 2.0)])
    assert served_pairs(driver, products) == []  # written, not yet active

    activate_run(driver, first, {"pairs": 1})
    assert served_pairs(driver, products) == [("a", "b", 2.0)]

    second = start_run(driver, products, "mine", {"min_support": 0.2})
    write_pairs(driver, products, second, [pair("b", "c", 3.0)])
    assert served_pairs(driver, products) == [("a", "b", 2.0)]
    activate_run(driver, second, {"pairs": 1})

    assert served_pairs(driver, products) == [("b", "c", 3.0)]
    runs = {run.id: run for run in list_runs(driver, products, "mine")}
    assert runs[first].active is False and runs[first].status == "complete"
    assert runs[second].active is True
    assert runs[second].params == {"min_support": 0.2}
    assert runs[second].metrics == {"pairs": 1}
    assert [r.id for r in list_runs(driver, products)] == [second, first]


def test_an_interrupted_run_leaves_the_active_one_untouched(
    driver: Driver, products: str
) -> None:
    good = start_run(driver, products, "mine", {})
    write_pairs(driver, products, good, [pair("a", "b", 2.0)])
    activate_run(driver, good, {})

    broken = start_run(driver, products, "mine", {})
    write_pairs(driver, products, broken, [pair("b", "c", 9.0)])
    fail_run(driver, broken, "worker killed")

    assert served_pairs(driver, products) == [("a", "b", 2.0)]
    statuses = {r.id: r.status for r in list_runs(driver, products)}
    assert statuses == {good: "complete", broken: "failed"}


def test_writing_a_run_again_after_clearing_it_never_duplicates(
    driver: Driver, products: str
) -> None:
    run = start_run(driver, products, "mine", {})
    rows = [pair("a", "b", 2.0), pair("b", "c", 3.0)]
    rule = {
        "id": "r1",
        "antecedent": ["a", "b"],
        "consequent": "c",
        "stats": {"confidence": 0.5},
    }
    for _ in range(2):  # a retried job
        clear_run(driver, products, run)
        assert write_pairs(driver, products, run, rows) == 2
        assert write_rules(driver, products, run, [rule]) == 1

    count = driver.execute_query(
        "MATCH ()-[r:BOUGHT_WITH {run_id: $run}]->() RETURN count(r) AS n", run=run
    ).records[0]["n"]
    assert count == 2
    shape = driver.execute_query(
        "MATCH (r:Rule {run_id: $run}) "
        "MATCH (r)-[:ANTECEDENT]->(a) MATCH (r)-[:CONSEQUENT]->(c) "
        "RETURN r.id AS id, r.confidence AS conf, collect(a.sku) AS ante, "
        "c.sku AS cons",
        run=run,
    ).records
    assert [(r["id"], r["conf"], sorted(r["ante"]), r["cons"]) for r in shape] == [
        ("r1", 0.5, ["a", "b"], "c")
    ]


def test_activating_an_unknown_run_is_an_error(driver: Driver) -> None:
    with pytest.raises(LookupError, match="no-such-run"):
        activate_run(driver, "no-such-run", {})
