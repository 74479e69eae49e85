"""Co-occurrence: sums of co-purchase counts, by hand and against dense XᵀX."""

from __future__ import annotations

import numpy as np

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import UNSCORED, CooccurrenceRecommender

A, B, C, D, E = range(5)


def test_scores_of_tiny_baskets(tiny: BasketMatrix) -> None:
    recommender = CooccurrenceRecommender().fit(tiny)

    # Basket {A, D}: A 0+1 (DA), B 3+2, C 2+0, D 1+0 (AD); E never goes with them.
    np.testing.assert_array_equal(
        recommender.score_basket([A, D]), [1.0, 5.0, 2.0, 1.0, UNSCORED]
    )
    # A is not evidence for itself; E was only ever bought alone.
    np.testing.assert_array_equal(
        recommender.score_product(A), [UNSCORED, 3.0, 2.0, 1.0, UNSCORED]
    )
    assert (recommender.score_product(E) == UNSCORED).all()


def test_a_repeated_product_counts_once(tiny: BasketMatrix) -> None:
    recommender = CooccurrenceRecommender().fit(tiny)

    np.testing.assert_array_equal(
        recommender.score_basket([A, D, A]), recommender.score_basket([A, D])
    )


def test_scores_match_dense_counts(
    random_baskets: BasketMatrix, query_baskets: list[list[int]]
) -> None:
    x = random_baskets.matrix.toarray().astype(np.int64)
    counts = x.T @ x
    np.fill_diagonal(counts, 0)
    recommender = CooccurrenceRecommender().fit(random_baskets)

    for basket in query_baskets:
        expected = counts[sorted(set(basket))].sum(axis=0).astype(np.float64)
        expected[expected == 0] = UNSCORED
        np.testing.assert_array_equal(recommender.score_basket(basket), expected)


def test_explain_lists_each_basket_product(tiny: BasketMatrix) -> None:
    recommender = CooccurrenceRecommender().fit(tiny)

    assert recommender.explain([D, A, D], B) == {
        "candidate": B,
        "co_purchases": [{"product": A, "count": 3}, {"product": D, "count": 2}],
        "total": 5,
    }
    assert recommender.explain([A], E) == {
        "candidate": E,
        "co_purchases": [{"product": A, "count": 0}],
        "total": 0,
    }
