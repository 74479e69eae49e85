"""Rules: the best matching rule by hand, support tie-breaks, brute-force check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import UNSCORED, RulesRecommender

A, B, C, D, E = range(5)


def fit_tiny(tiny: BasketMatrix, **params: Any) -> RulesRecommender:
    # Support 2 of 7 baskets, confidence 0.5: A→B .75, A→C .5, B→A .75, B→D .5,
    # C→A 1, D→B 1.
    recommender = RulesRecommender(min_support=0.25, min_confidence=0.5, **params)

    return recommender.fit(tiny)


def test_the_most_confident_matching_rule_scores(tiny: BasketMatrix) -> None:
    recommender = fit_tiny(tiny, max_len=2)
    scores = recommender.score_basket([A, D])

    # B: D→B (1.0) beats A→B (0.75). C: A→C. A needs B or C, D needs B. Both
    # rules hold in 2 baskets of the most supported rule's 3, and confidences are
    # far apart, so the tie-break adds the most it may (1e-6) times 2/3.
    np.testing.assert_allclose(
        scores,
        [UNSCORED, 1.0 + 1e-6 * 2 / 3, 0.5 + 1e-6 * 2 / 3, UNSCORED, UNSCORED],
        rtol=1e-15,
    )
    assert recommender.explain([A, D], B)["rule"] == {
        "antecedent": [D],
        "consequent": B,
        "confidence": 1.0,
        "lift": 1.75,
        "support": 2 / 7,
        "count": 2,
    }


def test_lift_can_choose_another_rule(tiny: BasketMatrix) -> None:
    recommender = fit_tiny(tiny, max_len=2, measure="lift")

    # lift(A→B) = .75 / (4/7) = 1.3125, lift(D→B) = 1 / (4/7) = 1.75,
    # lift(A→C) = .5 / (2/7) = 1.75.
    np.testing.assert_allclose(
        recommender.score_basket([A, D]),
        [UNSCORED, 1.75, 1.75, UNSCORED, UNSCORED],
        atol=1e-6,
    )
    np.testing.assert_allclose(recommender.score_product(B)[A], 21 / 16, atol=1e-6)


def test_rules_whose_consequent_is_in_the_basket_still_score(
    tiny: BasketMatrix,
) -> None:
    recommender = fit_tiny(tiny, max_len=2)

    # Unlike Spark's transform: the caller leaves basket products out.
    assert recommender.score_basket([A, B])[B] == pytest.approx(0.75, abs=2e-6)


def test_products_no_rule_predicts_are_unscored(tiny: BasketMatrix) -> None:
    recommender = fit_tiny(tiny, max_len=2)

    assert (recommender.score_product(E) == UNSCORED).all()
    assert (recommender.score_basket([]) == UNSCORED).all()
    assert recommender.explain([E], A) == {
        "candidate": A,
        "measure": "confidence",
        "score": None,
        "rule": None,
    }


@pytest.fixture
def ties() -> BasketMatrix:
    """Rules of equal confidence 1 and different support.

    P→Y holds in 2 baskets, R→Y in 3 and Q→Z in 2; columns P=0, Q=1, R=2, Y=3,
    Z=4.
    """
    return BasketMatrix.from_baskets(
        [(f"p{i}", ["P", "Y"]) for i in range(2)]
        + [(f"r{i}", ["R", "Y"]) for i in range(3)]
        + [(f"q{i}", ["Q", "Z"]) for i in range(2)]
    )


def test_support_breaks_ties(ties: BasketMatrix) -> None:
    recommender = RulesRecommender(min_support=0.25, min_confidence=0.5).fit(ties)
    p, q, r, y, z = range(5)
    scores = recommender.score_basket([p, q, r])

    # Y's best rule is R→Y (3 baskets), which outranks Q→Z (2), though both
    # have confidence 1.
    assert scores[y] > scores[z]
    assert scores[z] == pytest.approx(1.0, abs=1e-6)
    assert recommender.explain([p, q, r], y)["rule"]["antecedent"] == [r]
    assert recommender.explain([p], y)["rule"]["antecedent"] == [p]


def test_antecedents_must_be_wholly_in_the_basket() -> None:
    baskets = BasketMatrix.from_baskets(
        [("o1", ["A", "B", "C"]), ("o2", ["A", "B", "C"]), ("o3", ["A"]), ("o4", ["B"])]
    )
    recommender = RulesRecommender(min_support=0.5, min_confidence=1.0, max_len=3).fit(
        baskets
    )

    # Only {A, B} → C and the rules from C are confident: A alone or B alone
    # predicts C in 2 of 3 baskets.
    assert recommender.score_basket([A])[C] == UNSCORED
    assert recommender.score_basket([A, B])[C] == pytest.approx(1.0, abs=1e-6)
    assert recommender.explain([A, B], C)["rule"]["antecedent"] == [A, B]


def best_rules(recommender: RulesRecommender, basket: list[int]) -> dict[int, int]:
    """Return each predicted product's best rule, found rule by rule."""
    rules = recommender.rules
    measure = getattr(rules, recommender.measure)
    best: dict[int, tuple[float, int, int]] = {}
    for rule in rules.matching(basket, exclude_owned=False):
        # Measure (rounded, as RuleSet's lift may differ in its last bits), then
        # support, then the earlier rule.
        key = (round(float(measure[rule]), 12), int(rules.count[rule]), -int(rule))
        consequent = int(rules.consequent[rule])
        if consequent not in best or key > best[consequent]:
            best[consequent] = key

    return {consequent: -key[2] for consequent, key in best.items()}


@pytest.mark.parametrize("measure", ["confidence", "lift"])
def test_scores_match_rule_by_rule_matching(
    random_baskets: BasketMatrix, query_baskets: list[list[int]], measure: str
) -> None:
    recommender = RulesRecommender(
        min_support=0.01, min_confidence=0.05, max_len=3, measure=measure
    ).fit(random_baskets)
    rules = recommender.rules
    assert len(rules) > 50
    assert max(map(len, rules.antecedents)) == 2

    for basket in query_baskets:
        best = best_rules(recommender, basket)
        scores = recommender.score_basket(basket)
        assert set(np.flatnonzero(scores > UNSCORED)) == set(best)
        for candidate, rule in best.items():
            measure_of_rule = getattr(rules, measure)[rule]
            assert scores[candidate] == pytest.approx(measure_of_rule, abs=2e-6)
            explained = recommender.explain(basket, candidate)["rule"]
            assert explained["antecedent"] == list(rules.antecedent(rule))
            assert explained["count"] == rules.count[rule]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_support": 0.0}, "min_support is 0.0; use a fraction"),
        ({"min_confidence": 1.5}, "min_confidence is 1.5; use a fraction"),
        ({"max_len": 1}, "max_len is 1; use a whole number >= 2."),
        ({"measure": "leverage"}, "Cannot score rules by 'leverage'; use one of"),
    ],
)
def test_bad_parameters_are_refused(params: dict[str, Any], message: str) -> None:
    arguments = {"min_support": 0.1, "min_confidence": 0.5, **params}

    with pytest.raises(ConfigurationError, match=message):
        RulesRecommender(**arguments)
