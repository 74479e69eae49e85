"""Fixtures of the mining tests: small hand-made baskets and the real basket files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from basketgraph.mining.baskets import BasketMatrix

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
FOODMART = SHARED_DATA / "spmf_foodmart" / "foodmart.dat"
GROCERIES = SHARED_DATA / "arules_groceries" / "groceries_baskets.csv"

#: Mines with mlxtend: (baskets, min_support, min_confidence, max_len) → rules.
MlxtendRules = Callable[[BasketMatrix, float, float, int], pd.DataFrame]


def read_baskets(path: Path, separator: str) -> BasketMatrix:
    """Read one basket per line, or skip the test when the file is absent."""
    if not path.exists():
        pytest.skip(
            f"{path} is absent: the comparisons on real data need the shared data "
            "folder beside the repository (see ../shared/data/README.md)."
        )
    with path.open(encoding="utf-8") as lines:
        return BasketMatrix.from_baskets(
            (str(number), [item for item in line.strip().split(separator) if item])
            for number, line in enumerate(lines)
        )


@pytest.fixture(scope="session")
def foodmart() -> BasketMatrix:
    """SPMF Foodmart: 4,141 baskets of 1,559 items."""
    return read_baskets(FOODMART, " ")


@pytest.fixture(scope="session")
def groceries() -> BasketMatrix:
    """The Groceries data of arules: 9,835 baskets of 169 items."""
    return read_baskets(GROCERIES, ",")


@pytest.fixture(scope="session")
def mlxtend_rules() -> MlxtendRules:
    """Return a function that mines rules with mlxtend's FP-Growth, as a reference.

    Items are column indices; only rules with one consequent are kept, as
    ``(antecedent frozenset, consequent column)`` in the ``key`` column.
    """
    frequent_patterns = pytest.importorskip("mlxtend.frequent_patterns")

    def mine(
        baskets: BasketMatrix, min_support: float, min_confidence: float, max_len: int
    ) -> pd.DataFrame:
        onehot = pd.DataFrame(baskets.matrix.toarray().astype(bool))
        itemsets = frequent_patterns.fpgrowth(
            onehot, min_support=min_support, max_len=max_len
        )
        rules = frequent_patterns.association_rules(
            itemsets,
            num_itemsets=baskets.num_orders,
            metric="confidence",
            min_threshold=min_confidence,
        )
        rules = rules[rules["consequents"].map(len) == 1].copy()
        rules["key"] = [
            (frozenset(int(i) for i in a), int(next(iter(c))))
            for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
        ]

        return rules.reset_index(drop=True)

    return mine
