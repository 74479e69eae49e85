"""A whole evaluation run on planted synthetic data, against the real server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.exceptions import ConfigurationError
from basketgraph.graphdb.embed_job import run_embedding
from basketgraph.graphdb.evaluation_job import (
    BASELINES,
    EvaluationParams,
    default_split,
    run_evaluation,
)
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.runs import active_run
from basketgraph.synthetic import SyntheticConfig, generate
from basketgraph.text import make_encoder
from tests.conftest import run_cli

pytestmark = pytest.mark.neo4j


@pytest.fixture
def shop(driver: Driver, dataset: str, tmp_path: Path) -> str:
    path = tmp_path / "orders.csv"
    generate(
        SyntheticConfig(
            num_orders=4_000,
            num_products=300,
            start=datetime(2024, 1, 1).date(),
            end=datetime(2024, 12, 31).date(),
            seed=8,
        ),
        path,
    )
    ingest_file(driver, path, "csv", dataset, rejects_path=tmp_path / "r.csv")
    return dataset


def test_evaluation_splits_in_time_reports_and_records_a_run(
    driver: Driver, shop: str, tmp_path: Path
) -> None:
    split = datetime(2024, 10, 1, tzinfo=UTC)
    summary = run_evaluation(
        driver, shop, EvaluationParams(split=split, methods=BASELINES), tmp_path
    )

    before, after = (
        driver.execute_query(
            f"MATCH (o:Order {{dataset: $ds}}) WHERE o.placed_at {op} $split "
            "RETURN count(o) AS n",
            ds=shop,
            split=split,
        ).records[0]["n"]
        for op in ("<", ">=")
    )
    assert summary.context["train baskets"] == before
    assert summary.context["test baskets"] == after
    results = summary.results
    assert set(results) == {"popularity", "cooccurrence", "rules", "itemknn", "cosine"}
    assert results["popularity"]["completion"]["answerable"] == 1.0
    # Planted complements make every co-purchase method beat popularity.
    for method in ("cooccurrence", "rules", "itemknn"):
        assert (
            results[method]["completion"]["NDCG@10"]
            > results["popularity"]["completion"]["NDCG@10"]
        )
    ndcg = results["cooccurrence"]["completion"]
    assert ndcg["NDCG@10_low"] <= ndcg["NDCG@10"] <= ndcg["NDCG@10_high"]
    report = json.loads(Path(summary.files["json"]).read_text())
    assert report["results"]["rules"]["completion"]["NDCG@10"] == pytest.approx(
        results["rules"]["completion"]["NDCG@10"]
    )
    assert "| cooccurrence |" in Path(summary.files["markdown"]).read_text()
    assert Path(summary.files["completion_ndcg"]).read_bytes()[:4] == b"\x89PNG"
    run = active_run(driver, shop, "evaluate")
    assert run is not None and run.id == summary.run_id
    assert run.metrics["results"]["rules"]["completion"]["queries"] > 0


def test_default_split_is_the_first_of_the_month_two_thirds_through(
    driver: Driver, shop: str
) -> None:
    split = default_split(driver, shop)

    assert split is not None and split.day == 1 and split.tzinfo is not None
    share = driver.execute_query(
        "MATCH (o:Order {dataset: $ds}) "
        "RETURN avg(CASE WHEN o.placed_at < $split THEN 1.0 ELSE 0.0 END) AS s",
        ds=shop,
        split=split,
    ).records[0]["s"]
    assert 0.5 < share <= 2 / 3


def test_a_dataset_without_times_is_split_by_order_id(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    baskets = tmp_path / "b.csv"
    baskets.write_text("".join(f"a{i % 7},b{i % 5},c{i % 3}\n" for i in range(40)))
    ingest_file(driver, baskets, "groceries", dataset, rejects_path=tmp_path / "r")

    summary = run_evaluation(
        driver,
        dataset,
        EvaluationParams(methods={"popularity": {}, "cooccurrence": {}}),
        tmp_path,
    )

    assert summary.context["train baskets"] == 26  # int(40 * 2 / 3)
    assert summary.context["test baskets"] == 14
    assert "no order times" in summary.context["split"]


def test_cli_evaluate_prints_the_tables(shop: str, tmp_path: Path) -> None:
    result = run_cli(
        "evaluate",
        "--dataset",
        shop,
        "--split",
        "2024-10-01",
        "--methods",
        "popularity,cooccurrence",
        "--report-dir",
        str(tmp_path),
    )

    assert "| popularity |" in result.stdout
    assert "Basket completion" in result.stdout
    bad = run_cli("evaluate", "--dataset", shop, "--methods", "magic", check=False)
    assert bad.returncode == 2 and "unknown method(s) 'magic'" in bad.stderr


QUICK = {"max_epochs": 4, "steps_per_epoch": 10, "channels": 16, "lr": 0.01}


def test_learned_methods_are_judged_on_the_same_split(
    driver: Driver, shop: str, tmp_path: Path
) -> None:
    methods = {"popularity": {}, "text": {}, "gcn": QUICK, "hybrid": QUICK}
    with pytest.raises(ConfigurationError, match="run `basketgraph embed"):
        run_evaluation(driver, shop, EvaluationParams(methods=methods), tmp_path)
    run_embedding(driver, shop, make_encoder(None))

    summary = run_evaluation(driver, shop, EvaluationParams(methods=methods), tmp_path)

    results = summary.results
    assert set(results) == set(methods)
    ndcg = {m: r["completion"]["NDCG@10"] for m, r in results.items()}
    queries = {r["completion"]["queries"] for r in results.values()}
    assert len(queries) == 1
    # Random ranking of 300 products scores about 0.01; text alone is about that
    # here, since the planted pairs are not alike in their titles.
    assert ndcg["gcn"] > 0.03, ndcg
    assert ndcg["hybrid"] > max(ndcg["popularity"], ndcg["gcn"]), ndcg
