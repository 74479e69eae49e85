"""Association rules: hand-made cases, agreement with mlxtend, and the limits."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import numpy as np
import pytest

from basketgraph.exceptions import BasketgraphError, ConfigurationError, InputError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.mining.rules import (
    MiningLimitError,
    RuleSet,
    mine_rules,
    support_count,
)

if TYPE_CHECKING:
    from .conftest import MlxtendRules

#: The measures compared with mlxtend's columns of the same names.
MEASURES = {
    "support": "support",
    "confidence": "confidence",
    "lift": "lift",
    "leverage": "leverage",
    "conviction": "conviction",
    "antecedent_support": "antecedent support",
    "consequent_support": "consequent support",
}


def keys_of(rules: RuleSet) -> list[tuple[frozenset[int], int]]:
    return [
        (frozenset(a), int(c))
        for a, c in zip(rules.antecedents, rules.consequent, strict=True)
    ]


def test_rules_of_tiny_baskets(tiny: BasketMatrix) -> None:
    # Support 0.25 of 7 baskets is 2 of them: the pairs AB (3), AC (2) and BD (2).
    rules = mine_rules(tiny, min_support=0.25, min_confidence=0.5, max_len=2)
    frame = rules.to_frame()

    assert frame[["antecedent", "consequent", "count"]].values.tolist() == [
        [("A",), "B", 3],
        [("A",), "C", 2],
        [("B",), "A", 3],
        [("B",), "D", 2],
        [("C",), "A", 2],
        [("D",), "B", 2],
    ]
    np.testing.assert_allclose(rules.confidence, [3 / 4, 1 / 2, 3 / 4, 1 / 2, 1, 1])
    np.testing.assert_allclose(rules.support, np.array([3, 2, 3, 2, 2, 2]) / 7)
    np.testing.assert_allclose(
        rules.lift, [21 / 16, 7 / 4, 21 / 16, 7 / 4, 7 / 4, 7 / 4]
    )
    np.testing.assert_allclose(
        rules.conviction, [12 / 7, 10 / 7, 12 / 7, 10 / 7, np.inf, np.inf]
    )
    assert rules.num_baskets == 7


def test_three_item_rules_of_tiny_baskets(tiny: BasketMatrix) -> None:
    # ABC, ABD each lie in one basket of 7: support 1/7 keeps them.
    rules = mine_rules(tiny, min_support=1 / 7, min_confidence=1.0, max_len=3)
    keys = set(keys_of(rules))

    assert (frozenset({0, 1}), 2) not in keys  # AB → C: 1 of 3
    assert (frozenset({1, 2}), 0) in keys  # BC → A: 1 of 1
    assert (frozenset({2}), 0) in keys  # C → A: 2 of 2
    assert all(c == 1.0 for c in rules.confidence)


def test_matching_completes_a_basket(tiny: BasketMatrix) -> None:
    rules = mine_rules(tiny, min_support=0.25, min_confidence=0.5, max_len=2)

    assert rules.matching({0}).tolist() == [0, 1]  # A → B, A → C
    assert rules.matching({0, 1}).tolist() == [1, 3]  # A → C, B → D
    assert rules.matching({0, 1}, exclude_owned=False).tolist() == [0, 1, 2, 3]
    assert rules.matching({4}).tolist() == []
    assert rules.matching(set()).tolist() == []
    with pytest.raises(InputError, match="99"):
        rules.matching({0, 99})


def test_matching_needs_the_whole_antecedent(groceries: BasketMatrix) -> None:
    rules = mine_rules(groceries, min_support=0.003, min_confidence=0.2, max_len=3)
    basket = {int(rules.antecedent(len(rules) - 1)[0])}
    hits = rules.matching(basket, exclude_owned=False)

    assert len(hits) > 0
    assert all(set(rules.antecedent(int(i))) <= basket for i in hits)
    expected = [i for i, a in enumerate(rules.antecedents) if set(a) <= basket]
    assert hits.tolist() == expected


def test_no_rules_when_nothing_is_frequent(tiny: BasketMatrix) -> None:
    rules = mine_rules(tiny, min_support=1.0, min_confidence=0.0)

    assert len(rules) == 0
    assert rules.matching({0, 1}).tolist() == []
    assert len(rules.to_frame()) == 0
    assert len(mine_rules(BasketMatrix.from_baskets([("1", [])]), 0.5, 0.5)) == 0


@pytest.mark.parametrize(
    ("data", "min_support", "min_confidence", "max_len"),
    [
        ("groceries", 0.005, 0.1, 3),
        ("groceries", 0.002, 0.3, 4),
        ("foodmart", 0.0003, 0.1, 3),
    ],
)
def test_agrees_with_mlxtend(
    request: pytest.FixtureRequest,
    mlxtend_rules: MlxtendRules,
    data: str,
    min_support: float,
    min_confidence: float,
    max_len: int,
) -> None:
    baskets: BasketMatrix = request.getfixturevalue(data)
    rules = mine_rules(baskets, min_support, min_confidence, max_len=max_len)
    expected = mlxtend_rules(baskets, min_support, min_confidence, max_len)
    ours = {key: i for i, key in enumerate(keys_of(rules))}

    assert 1_000 <= len(rules) <= 10_000
    assert set(ours) == set(expected["key"])
    at = [ours[key] for key in expected["key"]]
    for column, theirs in MEASURES.items():
        np.testing.assert_allclose(
            getattr(rules, column)[at], expected[theirs], rtol=1e-12, err_msg=column
        )
    counts = np.rint(expected["support"].to_numpy() * baskets.num_orders)
    np.testing.assert_array_equal(rules.count[at], counts)


@pytest.mark.parametrize("max_len", [2, 3, 4])
def test_max_len_bounds_the_antecedent(groceries: BasketMatrix, max_len: int) -> None:
    rules = mine_rules(
        groceries, min_support=0.002, min_confidence=0.1, max_len=max_len
    )
    lengths = np.diff(rules.antecedent_indptr)

    assert lengths.min() == 1
    assert lengths.max() == max_len - 1


def test_rules_are_in_canonical_order(groceries: BasketMatrix) -> None:
    rules = mine_rules(groceries, min_support=0.003, min_confidence=0.1)
    keys = [
        (len(a), a, int(c))
        for a, c in zip(rules.antecedents, rules.consequent, strict=True)
    ]

    assert keys == sorted(keys)
    assert all(list(a) == sorted(a) for a in rules.antecedents)


def test_support_count_matches_a_float_comparison() -> None:
    assert support_count(0.005, 9835) == 50  # 49.175 baskets
    assert support_count(0.25, 8) == 2
    assert support_count(1e-9, 100) == 1
    for n in range(1, 200):
        for support in (0.01, 0.1, 0.3, 0.7):
            count = support_count(support, n)
            assert count / n >= support
            assert count == 1 or (count - 1) / n < support


def test_max_rules_stops_mining(groceries: BasketMatrix) -> None:
    with pytest.raises(MiningLimitError, match=r"max_rules=100\b") as caught:
        mine_rules(groceries, min_support=0.001, min_confidence=0.0, max_rules=100)

    assert caught.value.limit == "max_rules"
    assert caught.value.value == 100
    assert "raise min_support" in str(caught.value)
    assert isinstance(caught.value, BasketgraphError)


def test_max_rules_is_exact(groceries: BasketMatrix) -> None:
    # The cheap bound is far above this count, so the exact count decides.
    found = len(mine_rules(groceries, 0.005, 0.1))

    assert len(mine_rules(groceries, 0.005, 0.1, max_rules=found)) == found
    with pytest.raises(MiningLimitError, match=f"gives {found:,} rules"):
        mine_rules(groceries, 0.005, 0.1, max_rules=found - 1)


def test_max_itemsets_stops_mining(groceries: BasketMatrix) -> None:
    with pytest.raises(MiningLimitError, match="max_itemsets=1,000") as caught:
        mine_rules(groceries, 0.001, 0.5, max_itemsets=1_000)

    assert caught.value.limit == "max_itemsets"
    assert "frequent itemsets" in str(caught.value)


def test_time_limit_stops_mining(groceries: BasketMatrix) -> None:
    with pytest.raises(MiningLimitError, match="time_limit") as caught:
        mine_rules(groceries, 0.001, 0.5, time_limit=1e-9)

    assert caught.value.limit == "time_limit"


def test_limit_error_survives_pickling() -> None:
    error = MiningLimitError("Too many rules.", "max_rules", 10)
    copy = pickle.loads(pickle.dumps(error))

    assert (str(copy), copy.limit, copy.value) == ("Too many rules.", "max_rules", 10)


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"min_support": 0.0}, "min_support"),
        ({"min_support": 1.5}, "min_support"),
        ({"min_confidence": -0.1}, "min_confidence"),
        ({"max_len": 1}, "max_len"),
        ({"max_rules": 0}, "max_rules"),
        ({"max_itemsets": 0}, "max_itemsets"),
        ({"time_limit": 0.0}, "time_limit"),
    ],
)
def test_rejects_bad_parameters(
    tiny: BasketMatrix, arguments: dict[str, float], name: str
) -> None:
    parameters: dict[str, float] = {"min_support": 0.1, "min_confidence": 0.1}
    parameters.update(arguments)

    with pytest.raises(ConfigurationError, match=f"^{name} is"):
        mine_rules(tiny, **parameters)  # type: ignore[arg-type]


def test_canonical_order_is_the_same_without_a_packed_key(
    groceries: BasketMatrix,
) -> None:
    from basketgraph.mining.rules import _canonical_order

    rules = mine_rules(groceries, min_support=0.002, min_confidence=0.1, max_len=4)
    lengths = np.diff(rules.antecedent_indptr)
    padded = np.full((len(rules), 3), -1, dtype=np.int64)
    for i, antecedent in enumerate(rules.antecedents):
        padded[i, : len(antecedent)] = antecedent
    shuffled = np.random.default_rng(0).permutation(len(rules))
    arguments = (lengths[shuffled], padded[shuffled], rules.consequent[shuffled])

    packed = _canonical_order(*arguments, num_products=groceries.num_products)
    # So many products that the key would overflow: lexsort over the columns.
    by_columns = _canonical_order(*arguments, num_products=2**40)

    np.testing.assert_array_equal(shuffled[packed], np.arange(len(rules)))
    np.testing.assert_array_equal(packed, by_columns)
