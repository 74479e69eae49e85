"""The sparse basket matrix."""

from __future__ import annotations

import numpy as np

from basketgraph.mining.baskets import BasketMatrix


def test_from_baskets_dedupes_keeps_empty_rows_and_sorts_columns() -> None:
    matrix = BasketMatrix.from_baskets(
        [("o1", ["b", "a", "a"]), ("o2", []), ("o3", ["c", "a"])]
    )

    assert list(matrix.product_ids) == ["a", "b", "c"]
    assert list(matrix.order_ids) == ["o1", "o2", "o3"]
    np.testing.assert_array_equal(
        matrix.matrix.toarray(), [[1, 1, 0], [0, 0, 0], [1, 0, 1]]
    )
    assert matrix.baskets() == [["a", "b"], [], ["a", "c"]]
    assert (matrix.num_orders, matrix.num_products) == (3, 3)
    assert matrix.product_index() == {"a": 0, "b": 1, "c": 2}


def test_from_csr_is_independent_of_the_column_order_it_was_read_in() -> None:
    ids = np.array(["o1", "o2"], dtype=object)
    one = BasketMatrix.from_csr(
        np.array([0, 2, 3]),
        np.array([0, 1, 1]),
        ids,
        np.array(["z", "y"], dtype=object),
    )
    other = BasketMatrix.from_csr(
        np.array([0, 2, 3]),
        np.array([1, 0, 0]),
        ids,
        np.array(["y", "z"], dtype=object),
    )

    assert list(one.product_ids) == list(other.product_ids) == ["y", "z"]
    np.testing.assert_array_equal(one.matrix.toarray(), other.matrix.toarray())
    assert one.baskets() == [["y", "z"], ["y"]]


def test_repeated_columns_in_csr_input_count_once() -> None:
    matrix = BasketMatrix.from_csr(
        np.array([0, 3]),
        np.array([0, 0, 1]),
        np.array(["o1"], dtype=object),
        np.array(["a", "b"], dtype=object),
    )

    np.testing.assert_array_equal(matrix.matrix.toarray(), [[1, 1]])
