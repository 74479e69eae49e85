"""Pair statistics: hand-computed measures, filters, top partners, and mlxtend."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.mining.pairs import pair_statistics
from basketgraph.mining.rules import support_count

INF = float("inf")
F = Fraction

# Worked by hand from the `tiny` fixture: N = 7 (the empty basket counts), item
# counts A 4, B 4, C 2, D 2. For each pair (a, b): count, support, confidence a→b
# and b→a, lift, leverage, conviction a→b and b→a, Jaccard.
EXPECTED = {
    ("A", "B"): (
        3,
        F(3, 7),
        F(3, 4),
        F(3, 4),
        F(21, 16),
        F(5, 49),
        F(12, 7),
        F(12, 7),
        F(3, 5),
    ),
    ("A", "C"): (2, F(2, 7), F(1, 2), F(1), F(7, 4), F(6, 49), F(10, 7), INF, F(1, 2)),
    ("A", "D"): (
        1,
        F(1, 7),
        F(1, 4),
        F(1, 2),
        F(7, 8),
        F(-1, 49),
        F(20, 21),
        F(6, 7),
        F(1, 5),
    ),
    ("B", "C"): (
        1,
        F(1, 7),
        F(1, 4),
        F(1, 2),
        F(7, 8),
        F(-1, 49),
        F(20, 21),
        F(6, 7),
        F(1, 5),
    ),
    ("B", "D"): (2, F(2, 7), F(1, 2), F(1), F(7, 4), F(6, 49), F(10, 7), INF, F(1, 2)),
}
COLUMNS = (
    "count",
    "support",
    "confidence_ab",
    "confidence_ba",
    "lift",
    "leverage",
    "conviction_ab",
    "conviction_ba",
    "jaccard",
)


def test_measures_match_hand_computation(tiny: BasketMatrix) -> None:
    pairs = pair_statistics(tiny)
    skus = tiny.product_ids

    assert pairs.num_baskets == 7
    assert pairs.item_count.tolist() == [4, 4, 2, 2, 1]
    assert [(skus[a], skus[b]) for a, b in zip(pairs.a, pairs.b, strict=True)] == list(
        EXPECTED
    )
    for column, position in zip(COLUMNS, range(len(COLUMNS)), strict=True):
        expected = [float(row[position]) for row in EXPECTED.values()]
        np.testing.assert_allclose(getattr(pairs, column), expected, rtol=1e-12)


def test_empty_baskets_count_in_n(tiny: BasketMatrix) -> None:
    more = BasketMatrix.from_baskets(
        [(str(i), skus) for i, skus in enumerate(tiny.baskets())]
        + [("e1", []), ("e2", []), ("e3", [])]
    )
    before, after = pair_statistics(tiny), pair_statistics(more)

    assert after.num_baskets == 10
    np.testing.assert_array_equal(after.count, before.count)
    np.testing.assert_allclose(after.support, before.count / 10, rtol=1e-12)
    np.testing.assert_allclose(after.confidence_ab, before.confidence_ab, rtol=1e-12)
    # AB: 3 · 10 / (4 · 4)
    assert after.lift[0] == pytest.approx(30 / 16, rel=1e-12)


def test_min_count_keeps_frequent_pairs(tiny: BasketMatrix) -> None:
    pairs = pair_statistics(tiny, min_count=2)

    assert list(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (1, 3),
    ]
    assert pairs.count.tolist() == [3, 2, 2]
    assert len(pair_statistics(tiny, min_count=4)) == 0


def test_top_partners_are_oriented_and_ranked(tiny: BasketMatrix) -> None:
    top = pair_statistics(tiny).top_partners(k=1, by="lift")
    skus = tiny.product_ids

    # E has no partner, so no row.
    assert [
        (skus[p], skus[q]) for p, q in zip(top.product, top.partner, strict=True)
    ] == [
        ("A", "C"),
        ("B", "D"),
        ("C", "A"),
        ("D", "B"),
    ]
    assert top.rank.tolist() == [0, 0, 0, 0]
    # C → A and D → B are certain, A → C and B → D are not.
    np.testing.assert_allclose(top.confidence, [0.5, 0.5, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(top.conviction, [10 / 7, 10 / 7, INF, INF], rtol=1e-12)


def test_top_partners_by_count_with_min_count(tiny: BasketMatrix) -> None:
    frame = pair_statistics(tiny).top_partners(k=5, by="count", min_count=2).to_frame()

    assert frame[["product", "partner", "rank", "count"]].values.tolist() == [
        ["A", "B", 0, 3],
        ["A", "C", 1, 2],
        ["B", "A", 0, 3],
        ["B", "D", 1, 2],
        ["C", "A", 0, 2],
        ["D", "B", 0, 2],
    ]


def test_top_partner_ties_go_to_count_then_sku() -> None:
    # y's partners all have lift 1: z shares 2 baskets with it, m and n one each.
    baskets = BasketMatrix.from_baskets(
        [
            ("1", ["y", "z"]),
            ("2", ["y", "z"]),
            ("3", ["z"]),
            ("4", ["z"]),
            ("5", ["y", "n"]),
            ("6", ["n"]),
            ("7", ["y", "m"]),
            ("8", ["m"]),
        ]
    )
    frame = pair_statistics(baskets).top_partners(k=3).to_frame()
    of_y = frame[frame["product"] == "y"]

    assert of_y["partner"].tolist() == ["z", "m", "n"]
    assert of_y["lift"].tolist() == [1.0, 1.0, 1.0]
    assert pair_statistics(baskets).top_partners(k=2).to_frame().query(
        "product == 'y'"
    )["partner"].tolist() == ["z", "m"]


def test_to_frame_names_products(tiny: BasketMatrix) -> None:
    frame = pair_statistics(tiny).to_frame()

    assert frame[["a", "b", "count"]].values.tolist()[0] == ["A", "B", 3]
    assert list(frame.columns) == ["a", "b", *COLUMNS]


def test_no_baskets_gives_no_pairs() -> None:
    pairs = pair_statistics(BasketMatrix.from_baskets([("1", []), ("2", ["x"])]))

    assert len(pairs) == 0
    assert len(pairs.top_partners(k=3)) == 0


@pytest.mark.parametrize(
    ("k", "by", "min_count"), [(0, "lift", 1), (1, "cosine", 1), (1, "lift", 0)]
)
def test_top_partners_rejects_bad_arguments(
    tiny: BasketMatrix, k: int, by: str, min_count: int
) -> None:
    with pytest.raises(ConfigurationError, match="use"):
        pair_statistics(tiny).top_partners(k=k, by=by, min_count=min_count)


def test_agrees_with_mlxtend_pair_rules(groceries: BasketMatrix) -> None:
    frequent_patterns = pytest.importorskip("mlxtend.frequent_patterns")
    min_support = 0.001
    onehot = pd.DataFrame(groceries.matrix.toarray().astype(bool))
    itemsets = frequent_patterns.fpgrowth(onehot, min_support=min_support, max_len=2)
    expected = frequent_patterns.association_rules(
        itemsets, num_itemsets=groceries.num_orders, metric="support", min_threshold=0
    )
    pairs = pair_statistics(
        groceries, min_count=support_count(min_support, groceries.num_orders)
    )
    rows = pairs.top_partners(k=groceries.num_products, min_count=1)
    ours = {
        (int(p), int(q)): i
        for i, (p, q) in enumerate(zip(rows.product, rows.partner, strict=True))
    }
    keys = [
        (next(iter(a)), next(iter(c)))
        for a, c in zip(expected["antecedents"], expected["consequents"], strict=True)
    ]

    assert len(expected) > 1000
    assert set(keys) == set(ours)
    at = [ours[key] for key in keys]
    for ours_column, theirs_column in [
        ("support", "support"),
        ("confidence", "confidence"),
        ("lift", "lift"),
        ("leverage", "leverage"),
        ("conviction", "conviction"),
        ("jaccard", "jaccard"),
    ]:
        np.testing.assert_allclose(
            getattr(rows, ours_column)[at], expected[theirs_column], rtol=1e-12
        )


def test_partner_columns_by_name(tiny: BasketMatrix) -> None:
    top = pair_statistics(tiny).top_partners(k=2)

    np.testing.assert_array_equal(top.measure("rank"), top.rank)
    np.testing.assert_array_equal(top.measure("conviction"), top.conviction)
    with pytest.raises(ConfigurationError, match="'product'"):
        top.measure("product")
