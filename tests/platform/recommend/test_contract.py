"""The contract that every recommender keeps, run against each one in turn."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from basketgraph.exceptions import InputError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import UNSCORED, NotFittedError, PopularityRecommender
from basketgraph.recommend import _baskets as baskets_module

if TYPE_CHECKING:
    from .conftest import MakeRecommender


def test_fit_returns_self(make: MakeRecommender, tiny: BasketMatrix) -> None:
    recommender = make()

    assert recommender.fit(tiny) is recommender
    assert recommender.num_products == tiny.num_products


def test_scores_have_one_float_per_product(
    make: MakeRecommender, random_baskets: BasketMatrix
) -> None:
    recommender = make().fit(random_baskets)

    for scores in (
        recommender.score_basket([0, 1]),
        recommender.score_product(2),
        recommender.score_basket([]),
    ):
        assert scores.shape == (40,)
        assert scores.dtype == np.float64
        assert not np.isnan(scores).any()
    batch = recommender.score_baskets([[0], [1, 2], []])
    assert batch.shape == (3, 40)
    assert batch.dtype == np.float64
    assert recommender.score_baskets([]).shape == (0, 40)


def test_score_baskets_equals_score_basket_row_by_row(
    make: MakeRecommender,
    random_baskets: BasketMatrix,
    query_baskets: list[list[int]],
) -> None:
    recommender = make().fit(random_baskets)
    batch = recommender.score_baskets(query_baskets)

    for row, basket in enumerate(query_baskets):
        np.testing.assert_array_equal(batch[row], recommender.score_basket(basket))


def test_scoring_in_small_blocks_changes_nothing(
    make: MakeRecommender,
    random_baskets: BasketMatrix,
    query_baskets: list[list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recommender = make().fit(random_baskets)
    whole = recommender.score_baskets(query_baskets)
    # 100 cells of 40 products: blocks of two baskets.
    monkeypatch.setattr(baskets_module, "CHUNK_CELLS", 100)

    np.testing.assert_array_equal(recommender.score_baskets(query_baskets), whole)


def test_score_product_is_the_score_of_a_one_product_basket(
    make: MakeRecommender, random_baskets: BasketMatrix
) -> None:
    recommender = make().fit(random_baskets)

    for product in (0, 7, 39):
        np.testing.assert_array_equal(
            recommender.score_product(product), recommender.score_basket([product])
        )


def test_two_fits_give_the_same_scores(
    make: MakeRecommender,
    random_baskets: BasketMatrix,
    query_baskets: list[list[int]],
) -> None:
    first = make().fit(random_baskets).score_baskets(query_baskets)
    second = make().fit(random_baskets).score_baskets(query_baskets)

    np.testing.assert_array_equal(first, second)


def test_an_unfitted_recommender_says_to_fit(make: MakeRecommender) -> None:
    recommender = make()

    for call in (
        lambda: recommender.score_basket([0]),
        lambda: recommender.score_baskets([[0]]),
        lambda: recommender.score_product(0),
        lambda: recommender.explain([0], 1),
    ):
        with pytest.raises(NotFittedError, match=r"call fit\(baskets\)"):
            call()


@pytest.mark.parametrize("column", [-1, 5, 2.0, "A"])
def test_an_unknown_column_is_named(
    make: MakeRecommender, tiny: BasketMatrix, column: object
) -> None:
    recommender = make().fit(tiny)
    bad = [0, column]

    with pytest.raises(InputError, match=rf"Basket 0 holds {column!r}, which"):
        recommender.score_basket(bad)
    with pytest.raises(InputError, match=rf"Basket 1 holds {column!r}, which"):
        recommender.score_baskets([[1], bad])
    with pytest.raises(InputError, match="not a product column"):
        recommender.explain(bad, 1)
    with pytest.raises(InputError, match="not a product column"):
        recommender.explain([0], column)


def test_explain_gives_plain_json(make: MakeRecommender, planted: BasketMatrix) -> None:
    recommender = make().fit(planted)

    for basket in ([0], [0, 2], [10], []):
        for candidate in range(planted.num_products):
            explanation = recommender.explain(basket, candidate)
            assert isinstance(explanation, dict)
            assert explanation["candidate"] == candidate
            assert json.loads(json.dumps(explanation, allow_nan=False)) == explanation


def test_the_planted_partner_ranks_first(
    make: MakeRecommender, planted: BasketMatrix
) -> None:
    recommender = make().fit(planted)
    a, b, n0 = 0, 1, 2

    for basket, partner in (([a], b), ([b], a), ([a, n0], b), ([b, n0], a)):
        scores = recommender.score_basket(basket)
        if isinstance(recommender, PopularityRecommender):
            # It ignores the basket, so it cannot find partners: a and b tie.
            np.testing.assert_array_equal(scores, recommender.score_basket([]))
            continue
        scores[basket] = -np.inf
        assert np.argmax(scores) == partner
        assert np.sum(scores == scores[partner]) == 1


def test_a_basket_of_unsold_products_is_answered_by_popularity_only(
    make: MakeRecommender, planted: BasketMatrix
) -> None:
    recommender = make().fit(planted)
    unsold = [10, 11]
    assert planted.matrix[:, unsold].sum() == 0

    scores = recommender.score_basket(unsold)

    if isinstance(recommender, PopularityRecommender):
        assert np.isfinite(scores).all()
        assert scores[0] == 20.0
    elif recommender.uses_side:
        # Features relate products that were never bought: that is their point.
        assert np.isfinite(scores).all()
    else:
        assert (scores == UNSCORED).all()


def test_score_held_out_equals_scoring_each_held_out_basket(
    make: MakeRecommender, random_baskets: BasketMatrix, query_baskets: list[list[int]]
) -> None:
    recommender = make().fit(random_baskets)
    baskets = [b for b in query_baskets if b]
    contexts = [b[:t] + b[t + 1 :] for b in baskets for t in range(len(b))]

    shared = recommender.score_held_out(baskets)

    np.testing.assert_allclose(
        shared, recommender.score_baskets(contexts), rtol=1e-12, atol=1e-12
    )
