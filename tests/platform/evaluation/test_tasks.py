"""Building the evaluation tasks' queries from split baskets, and running them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from basketgraph.evaluation import tasks
from basketgraph.evaluation.tasks import (
    align,
    completion_queries,
    evaluate_completion,
    evaluate_related,
    related_truth,
    related_truth_matrix,
)
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import PopularityRecommender

# 1 / log2(3): the discount of the second place.
D2 = 1 / math.log2(3)


def test_test_baskets_map_onto_training_columns_and_unknowns_are_counted() -> None:
    train = BasketMatrix.from_baskets([("t1", ["a", "b"]), ("t2", ["c"])])
    test = BasketMatrix.from_baskets([("s1", ["c", "a", "new"]), ("s2", ["zzz"])])

    baskets, unknown = align(train, test)

    assert baskets == [[0, 2], []]  # a=0, b=1, c=2
    assert unknown == 2


def test_each_product_of_a_basket_is_held_out_once() -> None:
    queries = completion_queries([[0, 2, 5], [1], [3, 4]], unknown=7)

    assert queries.contexts == [[2, 5], [0, 5], [0, 2], [4], [3]]
    np.testing.assert_array_equal(queries.targets, [0, 2, 5, 3, 4])
    np.testing.assert_array_equal(queries.groups, [0, 0, 0, 2, 2])
    assert queries.baskets == 2  # the one-product basket gives no query
    assert queries.unknown_products == 7


def test_related_truth_lists_test_co_purchases_without_the_product_itself() -> None:
    truth = related_truth([[0, 1], [1, 2], [3]], num_products=5)

    assert truth == [{1}, {0, 2}, {1}, set(), set()]


def test_related_truth_matrix_marks_the_pairs_related_truth_lists() -> None:
    rng = np.random.default_rng(2)
    baskets = [
        sorted(set(rng.integers(0, 30, size=rng.integers(0, 8)).tolist()))
        for _ in range(60)
    ]

    matrix = related_truth_matrix(baskets, num_products=32)

    truth = related_truth(baskets, num_products=32)
    assert matrix.shape == (32, 32)
    assert [set(matrix[[p]].indices.tolist()) for p in range(32)] == truth
    assert matrix.has_sorted_indices
    assert sum(len(found) for found in truth) == matrix.nnz > 0


def fitted_popularity() -> PopularityRecommender:
    """Popularity fitted so that a=0 sells 4, b=1 sells 3, c=2 sells 2, d=3 sells 1."""
    train = BasketMatrix.from_baskets(
        [
            ("t1", ["a", "b", "c", "d"]),
            ("t2", ["a", "b", "c"]),
            ("t3", ["a", "b"]),
            ("t4", ["a"]),
        ]
    )
    return PopularityRecommender().fit(train)


def test_completion_ranks_every_held_out_product(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One query per chunk, so that chunks are put together.
    monkeypatch.setattr(tasks, "QUERY_CHUNK", 1)
    queries = completion_queries([[0, 2], [1, 3]], unknown=0)

    result = evaluate_completion(fitted_popularity(), queries, ks=(1, 2))

    # Target a (context c): a ranks 1 of a, b, d. Target c (context a): b beats
    # it -> 2. Target b (context d): a beats it -> 2. Target d (context b): a and
    # c beat it -> 3.
    assert result.metrics["queries"] == 4
    assert result.metrics["HR@1"] == pytest.approx(1 / 4)
    assert result.metrics["HR@2"] == pytest.approx(3 / 4)
    assert result.metrics["MRR"] == pytest.approx((1 + 1 / 2 + 1 / 2 + 1 / 3) / 4)
    # Top twos: [a, b], [b, c], [a, b], [a, c]: d is never listed.
    assert result.metrics["coverage"] == pytest.approx(3 / 4)
    assert result.metrics["answerable"] == 1.0


def test_related_products_are_judged_against_test_co_purchases() -> None:
    # Test baskets [a, c] and [b, c]: a goes with c, b with c, c with a and b.
    baskets = [[0, 2], [1, 2]]
    expected_ndcg2 = (2 * D2 + 1) / 3

    for truth in (related_truth(baskets, 4), related_truth_matrix(baskets, 4)):
        result = evaluate_related(fitted_popularity(), truth, ks=(1, 2))

        # Top ones: a -> b, b -> a, c -> a; only c's is bought with it.
        assert result.metrics["HR@1"] == pytest.approx(1 / 3)
        assert result.metrics["Recall@1"] == pytest.approx((0 + 0 + 1 / 2) / 3)
        # Top twos: a -> [b, c], b -> [a, c], c -> [a, b]: every one hits, a's
        # and b's in second place.
        assert result.metrics["HR@2"] == result.metrics["Recall@2"] == 1.0
        assert result.metrics["NDCG@2"] == pytest.approx(expected_ndcg2)
        assert result.metrics["coverage"] == pytest.approx(3 / 4)
        assert result.metrics["products"] == 3


def test_related_truth_given_as_a_matrix_is_left_as_it_was() -> None:
    # Row 0 marks 2 and 1, unsorted; row 2 holds a stored zero only.
    truth = sparse.csr_array(
        (np.array([1, 1, 0]), np.array([2, 1, 3]), np.array([0, 2, 2, 3, 3])),
        shape=(4, 4),
    )

    result = evaluate_related(fitted_popularity(), truth, ks=(1,))

    # Only product a has partners (b and c); its top one, b, is among them.
    assert result.metrics["products"] == 1
    assert result.metrics["HR@1"] == 1.0
    np.testing.assert_array_equal(truth.indices, [2, 1, 3])
    np.testing.assert_array_equal(truth.data, [1, 1, 0])
