"""The hybrid: weights chosen on validation, reuse of a trained network, kinds."""

from __future__ import annotations

import numpy as np

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import GCNRecommender, HybridRecommender

QUICK = {"channels": 8, "max_epochs": 3, "steps_per_epoch": 5, "batch_size": 64}


def test_weights_are_chosen_on_validation_and_recorded(
    random_baskets: BasketMatrix,
) -> None:
    hybrid = HybridRecommender(**QUICK).fit(random_baskets)

    assert hybrid.weights is not None and len(hybrid.weights) == 4
    best = max(hybrid.weight_search, key=lambda w: w["ndcg@10"])
    assert (
        best["co_purchase"],
        best["learned"],
        best["text"],
        best["popularity"],
    ) == hybrid.weights


def test_a_network_fitted_on_the_same_data_is_reused(
    random_baskets: BasketMatrix, planted: BasketMatrix
) -> None:
    gcn = GCNRecommender(**QUICK).fit(random_baskets)
    other = GCNRecommender(**QUICK).fit(planted)

    reusing = HybridRecommender(**QUICK)
    reusing.use_fitted(other)  # other data: not used
    reusing.use_fitted(gcn)
    reusing.fit(random_baskets)
    training = HybridRecommender(**{**QUICK, "seed": 1})
    training.use_fitted(gcn)  # another configuration: not used
    training.fit(random_baskets)

    assert reusing.learned is gcn
    assert training.learned is not gcn
    np.testing.assert_array_equal(reusing.learned.vectors, gcn.vectors)


def test_complements_and_substitutes_exclude_each_others_pairs(
    planted: BasketMatrix,
) -> None:
    hybrid = HybridRecommender(**QUICK).fit(planted)
    a, b = 0, 1  # always bought together

    complements = hybrid.complement_scores([a])[0]
    substitutes = hybrid.substitute_scores([a])[0]

    assert (
        np.argmax(np.where(np.arange(len(complements)) == a, -np.inf, complements)) == b
    )
    # Without text embeddings nothing is alike, so nothing is a substitute.
    assert np.isneginf(substitutes).all()
