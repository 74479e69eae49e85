"""The product graph: co-purchase edges, features and the data hash."""

from __future__ import annotations

import numpy as np
import pytest

from basketgraph.gnn.graph import ProductSide, build_product_graph, hash_arrays
from basketgraph.mining.baskets import BasketMatrix


def small() -> BasketMatrix:
    return BasketMatrix.from_baskets(
        [
            ("o1", ["a", "b", "c"]),
            ("o2", ["a", "b"]),
            ("o3", ["a", "b", "d"]),
            ("o4", ["c", "d"]),
            ("o5", ["c", "d", "a"]),
            ("o6", ["e"]),
        ]
    )


def test_edges_are_the_pairs_bought_together_often_enough_both_ways() -> None:
    graph = build_product_graph(small(), top_k=10, min_count=2)
    skus = list(graph.product_ids)
    pairs = {(skus[i], skus[j]) for i, j in graph.edge_index.T.tolist()}

    # a-b: 3 baskets, a-c: 2, a-d: 2, c-d: 2; b-c, b-d, e: fewer than 2.
    expected = {("a", "b"), ("a", "c"), ("a", "d"), ("c", "d")}
    assert pairs == expected | {(q, p) for p, q in expected}
    edges = map(tuple, graph.edge_index.T.tolist())
    weight = dict(zip(edges, graph.edge_weight, strict=True))
    assert weight[(skus.index("a"), skus.index("b"))] == pytest.approx(np.log1p(3))


def test_top_k_keeps_each_products_strongest_partners() -> None:
    graph = build_product_graph(small(), top_k=1, min_count=1)
    skus = list(graph.product_ids)
    pairs = {(skus[i], skus[j]) for i, j in graph.edge_index.T.tolist()}

    # a's strongest is b (3); d's strongest is c or a (2 each): the smaller column.
    assert ("a", "b") in pairs and ("b", "a") in pairs
    assert ("d", "a") in pairs
    assert all(p != q for p, q in pairs)


def test_features_hold_text_category_price_and_popularity() -> None:
    baskets = small()
    text = np.eye(5, 4, dtype=np.float32)
    side = ProductSide(
        text=text,
        price=np.array([1.0, np.nan, 10.0, 100.0, 0.0]),
        category=np.array([0, 1, -1, 1, 0]),
    )
    graph = build_product_graph(baskets, side)

    assert graph.feature_names == [
        "text[4]",
        "category[2]",
        "log price",
        "price unknown",
        "log popularity",
    ]
    assert graph.x.shape == (5, 4 + 2 + 2 + 1)
    np.testing.assert_array_equal(graph.x[:, :4], text)
    np.testing.assert_array_equal(graph.x[2, 4:6], [0, 0])
    np.testing.assert_array_equal(graph.x[:, 7], [0, 1, 0, 0, 1])
    assert graph.x[3, 6] > graph.x[2, 6] > graph.x[0, 6]
    assert list(graph.popularity) == [4, 3, 3, 3, 1]


def test_side_arrays_must_match_the_columns() -> None:
    with pytest.raises(ValueError, match=r"ProductSide.price has 2 rows for 5"):
        build_product_graph(small(), ProductSide(price=np.ones(2)))


def test_the_hash_is_stable_and_follows_the_data() -> None:
    first = build_product_graph(small())
    again = build_product_graph(small())
    other = build_product_graph(
        BasketMatrix.from_baskets([*[(f"o{i}", ["a", "b"]) for i in range(3)]])
    )

    assert first.data_hash == again.data_hash
    assert first.data_hash != other.data_hash
    assert hash_arrays(np.arange(3)) != hash_arrays(np.arange(3).astype(np.int32))


def test_to_data_gives_pyg_tensors() -> None:
    graph = build_product_graph(small())
    data = graph.to_data()

    assert data.num_nodes == 5
    assert data.edge_index.shape == (2, graph.edge_index.shape[1])
    assert data.x.shape == graph.x.shape
