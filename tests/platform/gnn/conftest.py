"""Fixtures of the graph-model tests: generated baskets with planted pairs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.synthetic import GroundTruth, SyntheticConfig, generate


@pytest.fixture(scope="package")
def planted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[BasketMatrix, GroundTruth]:
    """4,000 generated orders over 300 products with 30 planted complement pairs."""
    path = tmp_path_factory.mktemp("gnn") / "orders.csv"
    summary = generate(
        SyntheticConfig(
            num_orders=4_000, num_products=300, num_complement_pairs=30, seed=5
        ),
        path,
    )
    truth = GroundTruth.from_json(Path(summary.truth).read_text())
    lines = pd.read_csv(path, dtype={"order_id": str, "sku": str})
    lines = lines.sort_values(["placed_at", "order_id"], kind="stable")
    orders = lines.groupby("order_id", sort=False)["sku"].apply(list)

    return BasketMatrix.from_baskets(orders.items()), truth
