"""EASE: the closed form against the objective, the penalty chosen on validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import UNSCORED, EASERecommender
from basketgraph.recommend.ease import L2_GRID, ease_weights


def test_the_closed_form_minimises_the_objective(random_baskets: BasketMatrix) -> None:
    x = sparse.csr_array(random_baskets.matrix, dtype=np.float64).toarray()
    l2 = 5.0
    weights = ease_weights(sparse.csr_array(x), l2)

    def loss(b: np.ndarray) -> float:
        return float(((x - x @ b) ** 2).sum() + l2 * (b**2).sum())

    assert np.all(np.diag(weights) == 0.0)
    best = loss(weights)
    rng = np.random.default_rng(3)
    for _ in range(20):  # any step that keeps the diagonal at 0 costs more
        step = rng.normal(scale=1e-3, size=weights.shape)
        np.fill_diagonal(step, 0.0)
        assert loss(weights + step) > best
    # The stationarity condition off the diagonal: (XᵀX + λI) B = XᵀX - diag(μ).
    gram = x.T @ x
    residual = (gram + l2 * np.eye(len(gram))) @ weights - gram
    off = ~np.eye(len(gram), dtype=bool)
    np.testing.assert_allclose(residual[off], 0.0, atol=1e-9)


def test_products_bought_together_score_each_other_first(
    planted: BasketMatrix,
) -> None:
    recommender = EASERecommender(l2=1.0).fit(planted)

    scores = recommender.score_product(0)  # a

    assert int(np.argmax(scores)) == 1  # b
    assert scores[1] > 0.5
    explained = recommender.explain([0, 2], 1)
    assert explained["contributions"][0]["product"] == 0
    assert explained["score"] == pytest.approx(scores[1] + recommender.weights[2, 1])


def test_products_never_bought_are_unscored(planted: BasketMatrix) -> None:
    recommender = EASERecommender(l2=1.0).fit(planted)

    scores = recommender.score_basket([0])

    assert scores[10] == scores[11] == UNSCORED  # u1 and u2
    assert np.isfinite(scores[:10]).all()


def test_the_penalty_is_chosen_on_the_latest_baskets_only(
    random_baskets: BasketMatrix,
) -> None:
    recommender = EASERecommender(validation_baskets=80).fit(random_baskets)

    assert [s["l2"] for s in recommender.l2_search] == list(L2_GRID)
    best = max(recommender.l2_search, key=lambda s: s["ndcg@10"])
    assert recommender.chosen_l2 == best["l2"]
    assert all(0.0 <= s["ndcg@10"] <= 1.0 for s in recommender.l2_search)
    # The final weights are fitted on every basket with the chosen penalty.
    np.testing.assert_allclose(
        recommender.weights,
        ease_weights(sparse.csr_array(random_baskets.matrix), best["l2"]),
    )


def test_a_given_penalty_skips_the_search(random_baskets: BasketMatrix) -> None:
    recommender = EASERecommender(l2=300.0).fit(random_baskets)

    assert recommender.chosen_l2 == 300.0 and recommender.l2_search == []


@pytest.mark.parametrize(
    "params",
    [{"l2": 0.0}, {"l2": -1.0}, {"validation_share": 1.0}, {"validation_baskets": 0}],
)
def test_out_of_range_values_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        EASERecommender(**params)  # type: ignore[arg-type]
