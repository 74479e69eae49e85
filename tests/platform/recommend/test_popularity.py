"""Popularity: basket counts, the same for every basket."""

from __future__ import annotations

import numpy as np

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import PopularityRecommender


def test_scores_are_basket_counts(tiny: BasketMatrix) -> None:
    recommender = PopularityRecommender().fit(tiny)

    np.testing.assert_array_equal(recommender.score_basket([0, 3]), [4, 4, 2, 2, 1])
    np.testing.assert_array_equal(
        recommender.score_baskets([[], [4]]), [[4, 4, 2, 2, 1]] * 2
    )


def test_rows_are_copies(tiny: BasketMatrix) -> None:
    recommender = PopularityRecommender().fit(tiny)
    scores = recommender.score_basket([0])
    scores[:] = -1.0

    assert recommender.score_basket([0])[0] == 4.0


def test_explain_gives_the_count(tiny: BasketMatrix) -> None:
    recommender = PopularityRecommender().fit(tiny)

    assert recommender.explain([0], 2) == {"candidate": 2, "baskets": 2}
