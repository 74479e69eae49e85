"""Training runs against the real server: ASSOCIATED, activation, interruption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

import basketgraph.graphdb.train_job as train_job
from basketgraph.graphdb.embed_job import run_embedding
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.runs import active_run, list_runs
from basketgraph.graphdb.train_job import TrainParams, run_training
from basketgraph.synthetic import GroundTruth, SyntheticConfig, generate
from basketgraph.text import make_encoder
from tests.conftest import run_cli

pytestmark = pytest.mark.neo4j

#: Short training: these tests are about the run, not the model's quality.
QUICK = {"max_epochs": 3, "steps_per_epoch": 5, "channels": 16, "lr": 0.01}

#: A product nobody bought, whose title is close to many products' titles.
COLD_SKU = "NEW-1"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    path = tmp_path_factory.mktemp("train") / "orders.csv"
    summary = generate(
        SyntheticConfig(
            num_orders=2_000, num_products=200, num_complement_pairs=20, seed=3
        ),
        path,
    )

    return path, GroundTruth.from_json(summary.truth.read_text())


@pytest.fixture
def embedded(
    driver: Driver, dataset: str, generated: tuple[Path, GroundTruth]
) -> tuple[str, GroundTruth]:
    """A generated dataset, plus one never-bought product, with text embeddings."""
    path, truth = generated
    ingest_file(driver, path, "csv", dataset, rejects_path=path.with_suffix(".rej"))
    title = driver.execute_query(
        "MATCH (p:Product {dataset: $dataset, sku: $sku}) RETURN p.title AS title",
        dataset=dataset,
        sku=truth.complement_pairs[0][0],
    ).records[0]["title"]
    driver.execute_query(
        "CREATE (:Product {dataset: $dataset, sku: $sku, title: $title, "
        "merchandise: true})",
        dataset=dataset,
        sku=COLD_SKU,
        title=f"New {title}",
    )
    run_embedding(driver, dataset, make_encoder(None))

    return dataset, truth


def associated(driver: Driver, dataset: str, kind: str = "learned") -> list[Any]:
    """The served ASSOCIATED partners, read as any Neo4j client would."""
    return driver.execute_query(
        """
MATCH (run:Run {dataset: $dataset, active: true})
WHERE run.kind IN ['train', 'hybrid']
MATCH (p:Product {dataset: $dataset})-[r:ASSOCIATED {run_id: run.id}]->(q)
WHERE r.kind = $kind
RETURN p.sku AS product, q.sku AS partner, r.score AS score, r.rank AS rank,
       r.model AS model, r.run_id AS run_id
ORDER BY product, rank
""",
        dataset=dataset,
        kind=kind,
    ).records


def test_a_training_run_writes_scored_partners_and_becomes_active(
    driver: Driver, embedded: tuple[str, GroundTruth], tmp_path: Path
) -> None:
    dataset, _ = embedded
    summary = run_training(
        driver, dataset, TrainParams(model="gcn", top_k=5, train=QUICK), tmp_path
    )

    rows = associated(driver, dataset)
    assert len(rows) == summary.associated_written > 0
    assert {r["run_id"] for r in rows} == {summary.run_id}
    assert {r["model"] for r in rows} == {"gcn"}
    by_product: dict[str, list[Any]] = {}
    for row in rows:
        by_product.setdefault(row["product"], []).append(row)
    for partners in by_product.values():
        assert [r["rank"] for r in partners] == list(range(1, len(partners) + 1))
        scores = [r["score"] for r in partners]
        assert scores == sorted(scores, reverse=True)
        assert len(partners) <= 5
    assert not any(r["product"] == r["partner"] for r in rows)
    run = active_run(driver, dataset, "train")
    assert run is not None and run.id == summary.run_id
    assert run.metrics["data_hash"] == summary.data_hash
    saved = json.loads(Path(summary.checkpoint).with_suffix(".json").read_text())
    assert saved["run_id"] == summary.run_id
    assert saved["data_hash"] and saved["code_version"]
    # GCN has no attention to explain by.
    kept = driver.execute_query(
        "MATCH ()-[r:ASSOCIATED {run_id: $id}]->() WHERE r.attended IS NOT NULL "
        "RETURN count(r) AS n",
        id=summary.run_id,
    ).records[0]["n"]
    assert kept == 0


def test_a_gat_run_stores_the_neighbours_it_attended_to(
    driver: Driver, embedded: tuple[str, GroundTruth], tmp_path: Path
) -> None:
    dataset, _ = embedded
    summary = run_training(
        driver, dataset, TrainParams(model="gat", top_k=5, train=QUICK), tmp_path
    )

    records = driver.execute_query(
        "MATCH (p:Product {dataset: $dataset})-[r:ASSOCIATED {run_id: $id}]->(q) "
        "RETURN q.sku AS partner, r.attended AS attended, "
        "       EXISTS { (q)<-[:CONTAINS]-(:Order) } AS bought",
        dataset=dataset,
        id=summary.run_id,
    ).records
    bought = [r for r in records if r["bought"]]
    assert bought and all(r["attended"] for r in bought)
    for record in bought:
        attended = record["attended"]
        assert 0 < len(attended) <= train_job.ATTENDED
        assert record["partner"] not in attended  # its neighbours, not itself
        assert len(set(attended)) == len(attended)
    # Each listed neighbour is a product the partner was bought with.
    sample = bought[0]
    together = driver.execute_query(
        "MATCH (q:Product {dataset: $dataset, sku: $sku})<-[:CONTAINS]-(:Order)"
        "-[:CONTAINS]->(n:Product) RETURN collect(DISTINCT n.sku) AS skus",
        dataset=dataset,
        sku=sample["partner"],
    ).records[0]["skus"]
    assert set(sample["attended"]) <= set(together)


def test_a_never_bought_product_gets_partners_from_its_text(
    driver: Driver, embedded: tuple[str, GroundTruth], tmp_path: Path
) -> None:
    dataset, _ = embedded
    run_training(driver, dataset, TrainParams(model="gcn", train=QUICK), tmp_path)

    partners = [
        r["partner"] for r in associated(driver, dataset) if r["product"] == COLD_SKU
    ]
    bought = driver.execute_query(
        "MATCH (:Product {dataset: $dataset, sku: $sku})<-[:CONTAINS]-(o) "
        "RETURN count(o) AS n",
        dataset=dataset,
        sku=COLD_SKU,
    ).records[0]["n"]
    assert bought == 0
    assert len(partners) == 20


def test_the_next_run_replaces_the_served_partners(
    driver: Driver, embedded: tuple[str, GroundTruth], tmp_path: Path
) -> None:
    dataset, _ = embedded
    first = run_training(driver, dataset, TrainParams(train=QUICK), tmp_path)
    second = run_training(
        driver, dataset, TrainParams(model="gat", train=QUICK), tmp_path
    )

    assert {r["run_id"] for r in associated(driver, dataset)} == {second.run_id}
    runs = {r.id: r for r in list_runs(driver, dataset, "train")}
    assert runs[second.run_id].active and not runs[first.run_id].active


def test_an_interrupted_write_back_leaves_the_active_run_served(
    driver: Driver,
    embedded: tuple[str, GroundTruth],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset, _ = embedded
    first = run_training(driver, dataset, TrainParams(train=QUICK), tmp_path)
    before = associated(driver, dataset)
    real_write = train_job.write_rows

    def write_then_die(
        driver: Driver, query: str, rows: list[Any], batch: int, **params: Any
    ) -> Any:
        # The first 500 rows reach the graph, then the process is stopped.
        real_write(driver, query, rows[:500], batch, **params)
        raise KeyboardInterrupt("stopped in the middle of the write-back")

    monkeypatch.setattr(train_job, "write_rows", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_training(driver, dataset, TrainParams(model="gat", train=QUICK), tmp_path)
    monkeypatch.undo()

    assert associated(driver, dataset) == before
    failed = [r for r in list_runs(driver, dataset, "train") if r.status == "failed"]
    assert len(failed) == 1 and "KeyboardInterrupt" in str(
        driver.execute_query(
            "MATCH (r:Run {id: $id}) RETURN r.error AS e", id=failed[0].id
        ).records[0]["e"]
    )
    partial = driver.execute_query(
        "MATCH ()-[r:ASSOCIATED {run_id: $id}]->() RETURN count(r) AS n",
        id=failed[0].id,
    ).records[0]["n"]
    assert partial > 0  # written, but never served
    active = active_run(driver, dataset, "train")
    assert active is not None and active.id == first.run_id


def test_the_hybrid_writes_complements_and_substitutes(
    driver: Driver, embedded: tuple[str, GroundTruth], tmp_path: Path
) -> None:
    dataset, truth = embedded
    summary = run_training(
        driver, dataset, TrainParams(model="hybrid", train=QUICK), tmp_path
    )

    complements = associated(driver, dataset, "complement")
    substitutes = associated(driver, dataset, "substitute")
    assert complements and substitutes
    assert summary.weights is not None and len(summary.weights) == 4
    found = {(r["product"], r["partner"]) for r in complements}
    planted = {tuple(pair) for pair in truth.complement_pairs}
    assert len(found & planted) >= len(planted) // 2
    # A substitute group's members are alike and never in one basket together.
    grouped = {
        (a, b) for group in truth.substitute_groups for a in group for b in group
    }
    pairs = {(r["product"], r["partner"]) for r in substitutes if r["rank"] <= 3}
    assert len(pairs & grouped) / len(pairs) > 0.3
    assert len(found & grouped) / len(found) < 0.02


def test_cli_train_prints_a_summary(embedded: tuple[str, GroundTruth]) -> None:
    dataset, _ = embedded
    result = run_cli(
        "train", "--dataset", dataset, "--model", "lightgcn", "--epochs", "2", "--json"
    )

    summary = json.loads(result.stdout)
    assert summary["model"] == "lightgcn"
    assert summary["associated_written"] > 0


def test_an_ease_run_writes_the_planted_complements_and_saves_its_weights(
    driver: Driver, embedded: tuple[str, GroundTruth], tmp_path: Path
) -> None:
    import numpy as np

    dataset, truth = embedded
    summary = run_training(
        driver, dataset, TrainParams(model="ease", top_k=5), tmp_path
    )

    rows = associated(driver, dataset)
    assert len(rows) == summary.associated_written > 0
    assert {r["model"] for r in rows} == {"ease"}
    found = {(r["product"], r["partner"]) for r in rows}
    planted = {tuple(pair) for pair in truth.complement_pairs}
    # Chance puts a given partner among 5 of 200 products 2.5 % of the time.
    assert len(found & planted) >= 0.8 * len(planted)
    assert 0.0 < summary.validation_ndcg <= 1.0
    saved = np.load(summary.checkpoint)
    assert saved["weights"].shape == (summary.products, summary.products)
    metadata = json.loads(Path(summary.checkpoint).with_suffix(".json").read_text())
    assert metadata["l2"] in [s["l2"] for s in metadata["l2_search"]]
    assert summary.l2 == metadata["l2"] and summary.weights is None
    run = active_run(driver, dataset, "train")
    assert run is not None and run.id == summary.run_id


def test_ease_refuses_epochs_with_a_clear_error(
    embedded: tuple[str, GroundTruth],
) -> None:
    dataset, _ = embedded
    result = run_cli(
        "train", "--dataset", dataset, "--model", "ease", "--epochs", "3", check=False
    )

    assert result.returncode == 1
    assert "EASE takes no 'max_epochs'" in result.stderr
