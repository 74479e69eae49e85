"""The shared helpers: baskets as an indicator matrix, column checks, blocks."""

from __future__ import annotations

import numpy as np
import pytest

from basketgraph.exceptions import InputError
from basketgraph.recommend._baskets import (
    basket_columns,
    basket_indicator,
    check_product,
    score_in_chunks,
)
from basketgraph.recommend.base import UNSCORED


def test_indicator_counts_a_product_once_and_sorts_columns() -> None:
    indicator = basket_indicator([[3, 1, 3], [], [0]], num_products=4)

    assert indicator.shape == (3, 4)
    assert indicator.dtype == np.float64
    np.testing.assert_array_equal(
        indicator.toarray(), [[0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]]
    )
    assert indicator.indices.tolist() == [1, 3, 0]


def test_indicator_of_no_baskets_is_empty() -> None:
    assert basket_indicator([], num_products=4).shape == (0, 4)


def test_numpy_integers_are_columns() -> None:
    # A list of numpy int64, as iterating over an index array gives.
    basket = list(np.array([2, 0, 2]))

    assert basket_columns(basket, 3).tolist() == [0, 2]
    assert check_product(basket[0], 3) == 2


def test_a_bad_column_names_its_basket() -> None:
    with pytest.raises(InputError, match=r"Basket 2 holds 9, which is not a product"):
        basket_indicator([[0], [], [1, 9]], num_products=4)
    with pytest.raises(InputError, match=r"Basket 0 holds True"):
        basket_indicator([[True]], num_products=4)


@pytest.mark.parametrize("product", [-1, 4, 1.0, True, "A"])
def test_a_bad_product_is_refused(product: object) -> None:
    with pytest.raises(
        InputError, match=rf"Product {product!r} is not a product column"
    ):
        check_product(product, 4)  # type: ignore[arg-type]  # on purpose


def test_blocks_leave_missing_entries_unscored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("basketgraph.recommend._baskets.CHUNK_CELLS", 4)
    indicator = basket_indicator([[0], [1], [2], []], num_products=3)

    scores = score_in_chunks(indicator, lambda block: block * 2.0)

    np.testing.assert_array_equal(
        scores,
        [
            [2.0, UNSCORED, UNSCORED],
            [UNSCORED, 2.0, UNSCORED],
            [UNSCORED, UNSCORED, 2.0],
            [UNSCORED] * 3,
        ],
    )
