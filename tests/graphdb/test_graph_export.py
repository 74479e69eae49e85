"""The PyG exports hold exactly the graph's nodes and edges, and say so by hash."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from neo4j import Driver
from torch_geometric.data import HeteroData

from basketgraph.graphdb.export import BasketFilter
from basketgraph.graphdb.graph_export import (
    CONTAINS,
    NODE_TYPES,
    PLACED,
    HeteroIds,
    export_hetero,
    export_side,
    export_training_data,
)
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.neo4j

# What the default filter selects: merchandise lines of orders that are not returns.
_SELECTED_LINES = """
MATCH (o:Order {dataset: $dataset})-[r:CONTAINS]->(p:Product {merchandise: true})
WHERE NOT o:Return
  AND ($start IS NULL OR o.placed_at >= $start)
  AND ($end IS NULL OR o.placed_at < $end)
"""


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph_export") / "orders.csv"
    generate(
        SyntheticConfig(
            num_orders=700,
            num_products=120,
            num_customers=150,
            num_complement_pairs=10,
            num_substitute_groups=5,
            guest_share=0.2,
            seed=5,
        ),
        path,
    )
    return path


@pytest.fixture
def loaded(driver: Driver, dataset: str, orders_csv: Path) -> str:
    rejects = orders_csv.with_suffix(".rej")
    ingest_file(driver, orders_csv, "csv", dataset, rejects_path=rejects)
    return dataset


def cypher(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    return [r.data() for r in driver.execute_query(query, params).records]


def edges(
    data: HeteroData, ids: HeteroIds, edge_type: tuple[str, str, str]
) -> list[tuple[str, str]]:
    source, _, target = edge_type
    index = data[edge_type].edge_index.numpy()
    return list(
        zip(ids[source][index[0]].tolist(), ids[target][index[1]].tolist(), strict=True)
    )


def selected_lines(
    driver: Driver,
    dataset: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    return cypher(
        driver,
        _SELECTED_LINES + "RETURN o.id AS order, p.sku AS sku, r.quantity AS quantity",
        dataset=dataset,
        start=start,
        end=end,
    )


def test_every_contains_and_placed_comes_back_once(driver: Driver, loaded: str) -> None:
    data, ids = export_hetero(driver, loaded)

    lines = selected_lines(driver, loaded)
    contains = edges(data, ids, CONTAINS)
    assert Counter(contains) == Counter((r["order"], r["sku"]) for r in lines)
    assert len(contains) == len(lines) > 1_000
    quantity = {(r["order"], r["sku"]): float(r["quantity"]) for r in lines}
    attr = data[CONTAINS].edge_attr
    assert attr.shape == (len(contains), 1)
    assert attr[:, 0].tolist() == [quantity[edge] for edge in contains]

    placed = cypher(
        driver,
        "MATCH (c:Customer {dataset: $dataset})-[:PLACED]->(o:Order) "
        "WHERE NOT o:Return AND EXISTS { (o)-[:CONTAINS]->(:Product "
        "{merchandise: true}) } RETURN c.id AS customer, o.id AS order",
        dataset=loaded,
    )
    exported = edges(data, ids, PLACED)
    assert Counter(exported) == Counter((r["customer"], r["order"]) for r in placed)
    # Guest orders are nodes without a placed edge.
    guests = set(ids["order"]) - {order for _, order in exported}
    assert len(guests) == len(ids["order"]) - len(exported) > 20

    for edge_type, name in ((CONTAINS, "rev_contains"), (PLACED, "rev_placed")):
        source, _, target = edge_type
        back = edges(data, ids, (target, name, source))
        assert sorted((b, a) for a, b in back) == sorted(edges(data, ids, edge_type))


def test_node_features_count_products_and_orders(driver: Driver, loaded: str) -> None:
    data, ids = export_hetero(driver, loaded)

    sizes = Counter(r["order"] for r in selected_lines(driver, loaded))
    expected = np.log1p([sizes[o] for o in ids["order"]]).astype(np.float32)
    assert torch.equal(data["order"].x[:, 0], torch.from_numpy(expected))
    orders = Counter(customer for customer, _ in edges(data, ids, PLACED))
    expected = np.log1p([orders[c] for c in ids["customer"]]).astype(np.float32)
    assert torch.equal(data["customer"].x[:, 0], torch.from_numpy(expected))
    # Products get the features of the homogeneous graph of the same export.
    graph = export_training_data(driver, loaded).product_graph()
    assert list(graph.product_ids) == list(ids["product"])
    assert torch.equal(data["product"].x, torch.from_numpy(graph.x))


def test_ids_map_both_ways(driver: Driver, loaded: str) -> None:
    data, ids = export_hetero(driver, loaded)

    skus = cypher(
        driver,
        "MATCH (p:Product {dataset: $dataset, merchandise: true}) RETURN p.sku AS sku",
        dataset=loaded,
    )
    assert list(ids["product"]) == sorted(r["sku"] for r in skus)
    for node_type in NODE_TYPES:
        node_ids = list(ids[node_type])
        assert node_ids == sorted(set(node_ids))
        assert len(node_ids) == data[node_type].num_nodes == len(data[node_type].x)
        index = ids.index[node_type]
        assert len(index) == len(node_ids)
        assert all(ids[node_type][index[i]] == i for i in node_ids)
        assert all(index[node_ids[n]] == n for n in range(len(node_ids)))


def test_co_purchase_edges_are_pairs_sharing_orders(
    driver: Driver, loaded: str
) -> None:
    export = export_training_data(driver, loaded)
    every = export.product_graph(top_k=export.baskets.num_products, min_count=2)
    default = export.product_graph()

    shared = cypher(
        driver,
        "MATCH (a:Product {dataset: $dataset, merchandise: true})<-[:CONTAINS]-"
        "(o:Order)-[:CONTAINS]->(b:Product {merchandise: true}) "
        "WHERE NOT o:Return AND a.sku < b.sku "
        "WITH a.sku AS a, b.sku AS b, count(DISTINCT o) AS n WHERE n >= 2 "
        "RETURN a, b, n",
        dataset=loaded,
    )
    expected = {(r["a"], r["b"]): r["n"] for r in shared}
    skus = every.product_ids
    weight = {
        (skus[a], skus[b]): w
        for a, b, w in zip(
            *every.edge_index.tolist(), every.edge_weight.tolist(), strict=True
        )
    }
    assert len(weight) == 2 * len(expected) > 100
    for (a, b), n in expected.items():
        assert weight[a, b] == weight[b, a] == pytest.approx(np.log1p(n))
    kept = set(zip(*default.edge_index.tolist(), strict=True))
    assert 0 < len(kept) < len(weight)
    assert all((skus[a], skus[b]) in weight for a, b in kept)


def assert_same(a: HeteroData, b: HeteroData) -> None:
    assert a.node_types == b.node_types and a.edge_types == b.edge_types
    for store_a, store_b in zip(a.stores, b.stores, strict=True):
        keys = list(store_a.keys())
        assert keys == list(store_b.keys())
        for key in keys:
            value_a, value_b = store_a[key], store_b[key]
            if isinstance(value_a, torch.Tensor):
                assert torch.equal(value_a, value_b)
            else:
                assert value_a == value_b


def test_exports_are_deterministic_and_hash_their_content(
    driver: Driver, loaded: str
) -> None:
    first, first_ids = export_hetero(driver, loaded)
    second, second_ids = export_hetero(driver, loaded)
    training = export_training_data(driver, loaded)

    assert_same(first, second)
    assert first.data_hash == second.data_hash == first_ids.data_hash
    assert len(first.data_hash) == 64
    for node_type in NODE_TYPES:
        assert list(first_ids[node_type]) == list(second_ids[node_type])
    assert export_training_data(driver, loaded).data_hash == training.data_hash

    # One more line in one order.
    order = first_ids["order"][0]
    in_order = {s for o, s in edges(first, first_ids, CONTAINS) if o == order}
    sku = next(s for s in first_ids["product"] if s not in in_order)
    driver.execute_query(
        "MATCH (o:Order {dataset: $dataset, id: $order}) "
        "MATCH (p:Product {dataset: $dataset, sku: $sku}) "
        "CREATE (o)-[:CONTAINS {quantity: 3, unit_price: 1.0, lines: 1}]->(p)",
        dataset=loaded,
        order=order,
        sku=sku,
    )
    changed, changed_ids = export_hetero(driver, loaded)

    assert changed.data_hash != first.data_hash
    assert changed_ids.data_hash == changed.data_hash
    added = Counter(edges(changed, changed_ids, CONTAINS))
    added.subtract(edges(first, first_ids, CONTAINS))
    assert +added == Counter({(order, sku): 1})
    assert export_training_data(driver, loaded).data_hash != training.data_hash


def test_a_window_holds_only_its_orders(driver: Driver, loaded: str) -> None:
    start, end = datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 9, 1, tzinfo=UTC)
    where = BasketFilter(start=start, end=end)

    data, ids = export_hetero(driver, loaded, where)
    training = export_training_data(driver, loaded, where)

    lines = selected_lines(driver, loaded, start, end)
    expected = {r["order"] for r in lines}
    assert 0 < len(expected) < len(selected_lines(driver, loaded))
    assert set(ids["order"]) == set(training.baskets.order_ids) == expected
    assert Counter(edges(data, ids, CONTAINS)) == Counter(
        (r["order"], r["sku"]) for r in lines
    )
    assert training.where == where

    later = BasketFilter(start=datetime(2030, 1, 1, tzinfo=UTC))
    empty, empty_ids = export_hetero(driver, loaded, later)
    assert empty["order"].num_nodes == empty["customer"].num_nodes == 0
    assert empty[CONTAINS].edge_index.shape == (2, 0)
    assert empty[PLACED].edge_index.shape == (2, 0)
    assert len(empty_ids["product"]) == len(ids["product"])
    assert empty.data_hash != data.data_hash


SMALL = """order_id,placed_at,customer_id,sku,title,quantity,unit_price,country,category
o1,2024-01-10T10:00:00,c1,mug,Mug,2,3.5,UK,Home > Kitchen
o1,2024-01-10T10:00:00,c1,tea,Tea,1,,UK,Food > Drinks
o2,2024-02-10T10:00:00,,plate,Plate,1,7.25,UK,Home > Dining
o2,2024-02-10T10:00:00,,cup,Cup,4,2.0,UK,
o3,2024-02-11T10:00:00,c1,cup,Cup,1,2.0,UK,
"""


@pytest.fixture
def small(driver: Driver, dataset: str, tmp_path: Path) -> str:
    path = tmp_path / "small.csv"
    path.write_text(SMALL)
    ingest_file(driver, path, "csv", dataset, rejects_path=path.with_suffix(".rej"))
    return dataset


def set_embedding(driver: Driver, dataset: str, sku: str, vector: list[float]) -> None:
    driver.execute_query(
        "MATCH (p:Product {dataset: $dataset, sku: $sku}) SET p.embedding = $vector",
        dataset=dataset,
        sku=sku,
        vector=vector,
    )


def test_side_reads_embeddings_prices_and_categories(
    driver: Driver, small: str
) -> None:
    skus = ["cup", "mug", "nowhere", "plate", "tea"]
    assert export_side(driver, small, skus).text is None

    set_embedding(driver, small, "mug", [0.6, 0.8, 0.0])
    set_embedding(driver, small, "tea", [0.0, 0.0, 1.0])
    side = export_side(driver, small, skus, chunk=2)

    assert side.text is not None
    assert side.text.dtype == np.float32
    np.testing.assert_allclose(
        side.text, [[0, 0, 0], [0.6, 0.8, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1]]
    )
    assert side.price is not None
    np.testing.assert_array_equal(side.price, [2.0, 3.5, np.nan, 7.25, np.nan])
    # Codes number the category ids found, sorted: Food > Drinks, Home > Dining,
    # Home > Kitchen.
    assert side.category is not None
    assert side.category.tolist() == [-1, 2, -1, 1, 0]


def test_side_refuses_mixed_dimensions_and_repeated_skus(
    driver: Driver, small: str
) -> None:
    set_embedding(driver, small, "mug", [0.6, 0.8, 0.0])
    set_embedding(driver, small, "tea", [1.0, 0.0])

    with pytest.raises(ValueError, match=r"'tea'.*2 numbers"):
        export_side(driver, small, ["mug", "tea"])
    with pytest.raises(ValueError, match="repeated"):
        export_side(driver, small, ["mug", "mug"])


def test_small_graph_has_quantities_guests_and_text(driver: Driver, small: str) -> None:
    set_embedding(driver, small, "mug", [0.6, 0.8, 0.0])

    data, ids = export_hetero(driver, small)

    assert list(ids["order"]) == ["o1", "o2", "o3"]
    assert list(ids["customer"]) == ["c1"]
    assert edges(data, ids, PLACED) == [("c1", "o1"), ("c1", "o3")]
    assert edges(data, ids, CONTAINS) == [
        ("o1", "mug"),
        ("o1", "tea"),
        ("o2", "cup"),
        ("o2", "plate"),
        ("o3", "cup"),
    ]
    assert data[CONTAINS].edge_attr[:, 0].tolist() == [2.0, 1.0, 4.0, 1.0, 1.0]
    assert data["product", "rev_contains", "order"].edge_attr[:, 0].tolist() == [
        4.0,  # cup in o2
        1.0,  # cup in o3
        2.0,  # mug
        1.0,  # plate
        1.0,  # tea
    ]
    np.testing.assert_allclose(
        data["product"].x[:, :3], [[0, 0, 0], [0.6, 0.8, 0], [0, 0, 0], [0, 0, 0]]
    )
