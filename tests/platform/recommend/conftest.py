"""Fixtures of the recommender tests: hand-made baskets, planted pairs, random data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import Recommender, make_recommender

#: Every recommender the contract covers, by registry name, with its parameters
#: for the small data sets here.
RECOMMENDER_PARAMS: dict[str, dict[str, Any]] = {
    "popularity": {},
    "cooccurrence": {},
    "rules": {"min_support": 0.05, "min_confidence": 0.1},
    "rules-lift": {"min_support": 0.05, "min_confidence": 0.1, "measure": "lift"},
    "itemknn": {"k": 50},
    "itemknn-k2-shrink": {"k": 2, "shrink": 2.0},
    "cosine": {},
    "ease": {"l2": 10.0},
    "ease-validated": {"validation_baskets": 50},
    # Small and short: the contract is about the interface, not the learning.
    "gcn": {"channels": 8, "max_epochs": 10, "steps_per_epoch": 10, "batch_size": 64},
    "gat": {"channels": 8, "max_epochs": 10, "steps_per_epoch": 10, "batch_size": 64},
    # Its free vectors start random and learn only from the loss: at the default
    # rate ten short epochs leave the planted pair unlearned.
    "lightgcn": {
        "channels": 8,
        "lr": 0.05,
        "max_epochs": 10,
        "steps_per_epoch": 10,
        "batch_size": 64,
    },
    "hybrid": {
        "channels": 8,
        "max_epochs": 10,
        "steps_per_epoch": 10,
        "batch_size": 64,
    },
}

MakeRecommender = Callable[[], Recommender]

#: The planted data: a and b are always bought together, with noise n0..n7 around
#: them; u1 and u2 are in the catalogue but never bought.
NOISE = [f"n{i}" for i in range(8)]


def baskets_from_csr(
    baskets: Sequence[Sequence[str]], catalogue: Sequence[str]
) -> BasketMatrix:
    """Build a basket matrix whose catalogue may hold products never bought."""
    column = {sku: i for i, sku in enumerate(catalogue)}
    lengths = [len(basket) for basket in baskets]

    return BasketMatrix.from_csr(
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        np.array([column[sku] for basket in baskets for sku in basket], np.int64),
        np.array([f"o{i}" for i in range(len(baskets))], dtype=object),
        np.array(list(catalogue), dtype=object),
    )


@pytest.fixture(params=sorted(RECOMMENDER_PARAMS))
def make(request: pytest.FixtureRequest) -> MakeRecommender:
    """Return a factory of one unfitted recommender, for each one in turn."""
    label: str = request.param
    name = label.split("-")[0]

    return lambda: make_recommender(name, **RECOMMENDER_PARAMS[label])


@pytest.fixture
def planted() -> BasketMatrix:
    """44 baskets in which a and b always go together, and two unsold products.

    Twenty baskets hold a, b and one noise product (n0..n3 three times each,
    n4..n7 twice); 24 hold two noise products ``n_i, n_(i+3 mod 8)``. So a and b
    are each bought 20 times, always together, and with any noise product at most
    3 times.
    """
    with_pair = [["a", "b", NOISE[i % 8]] for i in range(20)]
    noise_only = [[NOISE[i % 8], NOISE[(i + 3) % 8]] for i in range(24)]

    return baskets_from_csr(with_pair + noise_only, ["a", "b", *NOISE, "u1", "u2"])


@pytest.fixture
def random_baskets() -> BasketMatrix:
    """300 random baskets of 1 to 6 of 40 products, popular ones more often."""
    rng = np.random.default_rng(7)
    weights = 1.0 / np.arange(1, 41)
    weights /= weights.sum()
    catalogue = [f"p{i:02d}" for i in range(40)]
    baskets = [
        [catalogue[i] for i in rng.choice(40, size=size, replace=False, p=weights)]
        for size in rng.integers(1, 7, size=300)
    ]

    return baskets_from_csr(baskets, catalogue)


@pytest.fixture
def query_baskets() -> list[list[int]]:
    """Baskets to score over 40 columns: random ones, an empty one, repeats."""
    rng = np.random.default_rng(11)
    baskets = [
        rng.choice(40, size=size, replace=False).tolist()
        for size in rng.integers(1, 5, size=60)
    ]

    return [*baskets, [], [3, 3, 5], [39, 0]]
