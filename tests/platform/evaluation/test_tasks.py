"""Building the evaluation tasks' queries from split baskets."""

from __future__ import annotations

import numpy as np

from basketgraph.evaluation.tasks import align, completion_queries, related_truth
from basketgraph.mining.baskets import BasketMatrix


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
