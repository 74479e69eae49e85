"""A whole embedding run against the real server and the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from neo4j import Driver

from basketgraph.graphdb.embed_job import (
    VECTOR_INDEX,
    EmbedParams,
    ensure_vector_index,
    run_embedding,
)
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.queries import products_like_text, similar_products
from basketgraph.graphdb.runs import active_run, list_runs
from basketgraph.graphdb.writeback import clear_run
from basketgraph.synthetic import GroundTruth, SyntheticConfig, generate
from basketgraph.text import (
    SentenceTransformerEncoder,
    TextEncoder,
    product_text,
    text_key,
)
from tests.conftest import run_cli

pytestmark = pytest.mark.neo4j

#: A product put into the graph without any order, near the spice jars in meaning.
NEW_SKU = "NEW-1"
NEW_TITLE = "Acme Amber Glass Spice Jar With Bamboo Lid"


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return SentenceTransformerEncoder(device="cpu")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    path = tmp_path_factory.mktemp("shop") / "orders.csv"
    summary = generate(
        SyntheticConfig(
            num_orders=400,
            num_products=150,
            num_complement_pairs=5,
            num_substitute_groups=10,
            seed=3,
        ),
        path,
    )
    return path, GroundTruth.from_json(summary.truth.read_text())


@pytest.fixture
def loaded(driver: Driver, dataset: str, shop: tuple[Path, GroundTruth]) -> str:
    path, _ = shop
    ingest_file(driver, path, "csv", dataset, rejects_path=path.with_suffix(".rej"))
    driver.execute_query(
        "CREATE (:Product {dataset: $ds, sku: $sku, title: $title, merchandise: true}),"
        " (:Product {dataset: $ds, sku: 'POST', title: 'POSTAGE', merchandise: false})",
        ds=dataset,
        sku=NEW_SKU,
        title=NEW_TITLE,
    )
    return dataset


def stored(driver: Driver, dataset: str) -> dict[str, dict[str, object]]:
    records = driver.execute_query(
        "MATCH (p:Product {dataset: $ds}) "
        "OPTIONAL MATCH (p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..]->(c) "
        "WITH p, c ORDER BY c.level "
        "RETURN p.sku AS sku, p.title AS title, p.merchandise AS merchandise, "
        "collect(c.name) AS categories, p.embedding AS embedding, "
        "p.embedding_key AS key, p.embedding_model AS model",
        ds=dataset,
    ).records
    return {r["sku"]: dict(r) for r in records}


def similar_to(driver: Driver, dataset: str, run_id: str) -> list[dict[str, object]]:
    records = driver.execute_query(
        "MATCH (a:Product {dataset: $ds})-[r:SIMILAR_TO {run_id: $run}]->(b) "
        "RETURN a.sku AS a, b.sku AS b, r.score AS score, r.rank AS rank "
        "ORDER BY a, rank",
        ds=dataset,
        run=run_id,
    ).records
    return [dict(r) for r in records]


def test_run_stores_vectors_and_similar_to_and_becomes_active(
    driver: Driver,
    loaded: str,
    encoder: TextEncoder,
    shop: tuple[Path, GroundTruth],
) -> None:
    params = EmbedParams(top_k=5, min_score=0.3)
    done: list[int] = []

    summary = run_embedding(driver, loaded, encoder, params, progress=done.append)

    products = stored(driver, loaded)
    assert summary.products == summary.encoded == len(products) > 100
    assert summary.reused == summary.without_text == 0
    assert summary.merchandise == len(products) - 1
    assert done and done[-1] == summary.encoded
    run = active_run(driver, loaded, "embed")
    assert run is not None and run.id == summary.run_id
    assert run.metrics["similar_written"] == summary.similar_written

    # Every product, sold or not, merchandise or not, holds the vector of its text.
    texts = {
        sku: product_text(products[sku]["title"], products[sku]["categories"])
        for sku in ("POST", NEW_SKU, "P00104")
    }
    assert texts["P00104"].endswith(" | Home & Kitchen > Kitchen Storage > Spice Jars")
    for sku, text in texts.items():
        assert products[sku]["key"] == text_key(encoder.name, text)
        assert products[sku]["model"] == encoder.name
        np.testing.assert_allclose(
            products[sku]["embedding"], encoder.encode([text])[0], atol=1e-4
        )

    edges = similar_to(driver, loaded, summary.run_id)
    assert len(edges) == summary.similar_written > 0
    assert all(e["a"] != "POST" and e["b"] != "POST" for e in edges)
    assert min(e["score"] for e in edges) >= 0.3
    by_product: dict[str, list[dict[str, object]]] = {}
    for e in edges:
        by_product.setdefault(str(e["a"]), []).append(e)
    for mine in by_product.values():
        assert len(mine) <= 5
        assert [e["rank"] for e in mine] == list(range(1, len(mine) + 1))
        assert [e["score"] for e in mine] == sorted(
            (e["score"] for e in mine), reverse=True
        )

    # The nearest neighbour is the merchandise product of greatest cosine.
    skus = sorted(s for s, p in products.items() if p["merchandise"])
    matrix = np.array([products[s]["embedding"] for s in skus])
    first = skus.index(edges[0]["a"])
    cosines = matrix @ matrix[first]
    cosines[first] = -2
    assert skus[int(np.argmax(cosines))] == edges[0]["b"]
    assert edges[0]["score"] == pytest.approx(float(cosines.max()), abs=1e-4)

    # Planted substitutes differ in one word of the title: they are text neighbours.
    _, truth = shop
    found = {(e["a"], e["b"]) for e in edges}
    pairs = [
        (a, b)
        for group in truth.substitute_groups
        for a in group
        for b in group
        if a != b and a in products and b in products
    ]
    assert sum(pair in found for pair in pairs) >= 0.8 * len(pairs) > 0


def test_a_second_run_reuses_vectors_and_a_new_title_is_encoded_again(
    driver: Driver, loaded: str, encoder: TextEncoder
) -> None:
    first = run_embedding(driver, loaded, encoder)

    second = run_embedding(driver, loaded, encoder)

    assert second.encoded == 0
    assert second.reused == first.encoded == first.products
    assert second.similar_written == first.similar_written
    runs = {r.id: r for r in list_runs(driver, loaded, "embed")}
    assert runs[second.run_id].active and not runs[first.run_id].active
    active = active_run(driver, loaded, "embed")
    assert active is not None and active.id == second.run_id

    before = stored(driver, loaded)
    driver.execute_query(
        "MATCH (p:Product {dataset: $ds, sku: 'P00104'}) SET p.title = $title",
        ds=loaded,
        title="Red Tea Kettle",
    )
    third = run_embedding(driver, loaded, encoder)

    assert third.encoded == 1 and third.reused == first.products - 1
    after = stored(driver, loaded)
    changed = [s for s in after if after[s]["key"] != before[s]["key"]]
    assert changed == ["P00104"]

    # Clearing the first run removes its relationships only.
    assert clear_run(driver, loaded, first.run_id) == first.similar_written
    assert similar_to(driver, loaded, first.run_id) == []
    assert len(similar_to(driver, loaded, third.run_id)) == third.similar_written > 0


def test_a_never_bought_product_gets_neighbours_and_is_found_by_its_text(
    driver: Driver, loaded: str, encoder: TextEncoder
) -> None:
    summary = run_embedding(driver, loaded, encoder, EmbedParams(top_k=3))

    related = similar_products(driver, loaded, NEW_SKU, k=2)
    assert [r["rank"] for r in related] == [1, 2]
    # The one spice jar of the catalogue is nearest.
    assert related[0]["sku"] == "P00104", related
    assert similar_products(driver, loaded, "no-such-sku") == []

    found = products_like_text(driver, loaded, NEW_TITLE, encoder, k=5)
    assert found[0]["sku"] == NEW_SKU
    assert found[0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert [f["score"] for f in found] == sorted(
        (f["score"] for f in found), reverse=True
    )
    # The scores are cosines, as on SIMILAR_TO, not Neo4j's (1 + cos) / 2.
    products = stored(driver, loaded)
    query = encoder.encode([NEW_TITLE])[0]
    second = np.asarray(products[str(found[1]["sku"])]["embedding"])
    assert found[1]["score"] == pytest.approx(float(query @ second), abs=1e-3)
    assert {f["sku"] for f in found} <= set(products)
    assert summary.similar_written > 0


def test_the_vector_index_is_online_with_the_encoder_dimensions(
    driver: Driver, loaded: str, encoder: TextEncoder
) -> None:
    ensure_vector_index(driver, encoder.dimensions)
    ensure_vector_index(driver, encoder.dimensions)

    (index,) = driver.execute_query(
        "SHOW INDEXES YIELD name, type, state, labelsOrTypes, properties, options "
        "WHERE name = $name RETURN *",
        name=VECTOR_INDEX,
    ).records
    assert index["type"] == "VECTOR" and index["state"] == "ONLINE"
    assert index["labelsOrTypes"] == ["Product"] and index["properties"] == [
        "embedding"
    ]
    config = index["options"]["indexConfig"]
    assert config["vector.dimensions"] == encoder.dimensions
    assert config["vector.similarity_function"] == "COSINE"


def test_cli_embed_prints_a_summary(loaded: str) -> None:
    data = json.loads(
        run_cli("embed", "--dataset", loaded, "--top-k", "3", "--json").stdout
    )

    assert data["encoded"] == data["products"] > 100
    assert data["model"] == "all-MiniLM-L6-v2"
    assert 0 < data["similar_written"] <= 3 * data["merchandise"]
    listing = run_cli("runs", "--dataset", loaded).stdout
    assert listing.startswith(f"* {data['run_id']}")
    line = run_cli("embed", "--dataset", loaded).stdout
    assert f"0 encoded, {data['products']:,} reused" in line


def test_clear_run_deletes_every_derived_relationship_type(
    driver: Driver, dataset: str
) -> None:
    # Run ids are unique across datasets, so these are made from the dataset's.
    one, other = f"{dataset}-r1", f"{dataset}-r2"
    driver.execute_query(
        "CREATE (a:Product {dataset: $ds, sku: 'a'}), "
        "(b:Product {dataset: $ds, sku: 'b'}) "
        "CREATE (a)-[:BOUGHT_WITH {run_id: $one}]->(b), "
        "(a)-[:ASSOCIATED {run_id: $one}]->(b), "
        "(a)-[:SIMILAR_TO {run_id: $one}]->(b), "
        "(a)-[:SIMILAR_TO {run_id: $other}]->(b)",
        ds=dataset,
        one=one,
        other=other,
    )

    assert clear_run(driver, dataset, one) == 3

    left = driver.execute_query(
        "MATCH (:Product {dataset: $ds})-[r]->() RETURN type(r) AS t, r.run_id AS run",
        ds=dataset,
    ).records
    assert [(r["t"], r["run"]) for r in left] == [("SIMILAR_TO", other)]
