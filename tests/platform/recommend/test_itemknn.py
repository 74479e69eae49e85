"""Item k-NN: cosine similarities by hand, top-k pruning, shrinkage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import UNSCORED, ItemKNNRecommender

A, B, C, D, E = range(5)
#: sqrt(n_A n_C) = sqrt(4 * 2) and the like: A and B are bought 4 times, C and D 2.
ROOT8 = math.sqrt(8.0)


def test_cosine_of_tiny_baskets(tiny: BasketMatrix) -> None:
    recommender = ItemKNNRecommender().fit(tiny)

    # sim(A,B) = 3/4, sim(A,C) = 2/√8, sim(A,D) = 1/√8, sim(B,C) = 1/√8,
    # sim(B,D) = 2/√8, sim(C,D) = 0; E has no neighbour.
    np.testing.assert_allclose(
        recommender.score_product(A), [UNSCORED, 0.75, 2 / ROOT8, 1 / ROOT8, UNSCORED]
    )
    np.testing.assert_allclose(
        recommender.score_basket([A, D]),
        [1 / ROOT8, 0.75 + 2 / ROOT8, 2 / ROOT8, 1 / ROOT8, UNSCORED],
    )


def test_each_product_keeps_its_k_best_neighbours(tiny: BasketMatrix) -> None:
    recommender = ItemKNNRecommender(k=1).fit(tiny)

    # Best neighbours: A → B, B → A, C → A, D → B. So C reaches only A, and A
    # reaches C through no one, though C's neighbours include A.
    np.testing.assert_allclose(
        recommender.score_product(C), [2 / ROOT8, *[UNSCORED] * 4]
    )
    np.testing.assert_allclose(
        recommender.score_basket([A, D]), [UNSCORED, 0.75 + 2 / ROOT8, *[UNSCORED] * 3]
    )


def test_equal_neighbours_go_to_the_smaller_column() -> None:
    baskets = BasketMatrix.from_baskets([("o1", ["X", "Y"]), ("o2", ["X", "Z"])])
    recommender = ItemKNNRecommender(k=1).fit(baskets)

    np.testing.assert_allclose(
        recommender.score_product(0), [UNSCORED, 1 / math.sqrt(2), UNSCORED]
    )


def test_shrink_damps_similarity(tiny: BasketMatrix) -> None:
    recommender = ItemKNNRecommender(shrink=1.0).fit(tiny)

    # 3 / (√4 √4 + 1), 2 / (√8 + 1), 1 / (√8 + 1)
    np.testing.assert_allclose(
        recommender.score_product(A),
        [UNSCORED, 0.6, 2 / (ROOT8 + 1), 1 / (ROOT8 + 1), UNSCORED],
    )


def test_scores_match_dense_cosine(
    random_baskets: BasketMatrix, query_baskets: list[list[int]]
) -> None:
    x = random_baskets.matrix.toarray().astype(np.float64)
    norm = np.sqrt(x.sum(axis=0))
    similarity = (x.T @ x) / (np.outer(norm, norm) + 0.5)
    np.fill_diagonal(similarity, 0.0)
    k = 5
    for row in similarity:
        # Keep the k largest, ties to the smaller column, as the recommender does.
        ranked = np.lexsort((np.arange(len(row)), -row))
        row[ranked[k:]] = 0.0
    recommender = ItemKNNRecommender(k=k, shrink=0.5).fit(random_baskets)

    for basket in query_baskets:
        expected = similarity[sorted(set(basket))].sum(axis=0)
        expected[expected == 0] = UNSCORED
        np.testing.assert_allclose(
            recommender.score_basket(basket), expected, rtol=1e-12
        )


def test_explain_lists_contributing_neighbours(tiny: BasketMatrix) -> None:
    recommender = ItemKNNRecommender().fit(tiny)
    explanation = recommender.explain([A, D, E], B)

    assert explanation["neighbours"] == [
        {"product": A, "similarity": 0.75},
        {"product": D, "similarity": pytest.approx(2 / ROOT8)},
    ]
    assert explanation["score"] == recommender.score_basket([A, D, E])[B]
    assert recommender.explain([E], A)["score"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k": 0}, "k is 0; use a whole number >= 1."),
        ({"k": 2.5}, "k is 2.5"),
        ({"shrink": -1.0}, "shrink is -1.0; use a number >= 0."),
        ({"shrink": float("nan")}, "shrink is nan"),
    ],
)
def test_bad_parameters_are_refused(params: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ItemKNNRecommender(**params)  # type: ignore[arg-type]  # on purpose
