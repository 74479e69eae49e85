"""Baskets exported from Neo4j agree with the file they were loaded from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from neo4j import Driver

from basketgraph.graphdb.export import BasketFilter, export_baskets
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.neo4j


def load(driver: Driver, path: Path, dataset: str) -> None:
    ingest_file(driver, path, "csv", dataset, rejects_path=path.with_suffix(".rej"))


def as_sets(
    matrix_baskets: list[list[str]], order_ids: list[str]
) -> dict[str, set[str]]:
    return {o: set(b) for o, b in zip(order_ids, matrix_baskets, strict=True)}


def test_export_round_trips_a_synthetic_data_set(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    generate(SyntheticConfig(num_orders=1_500, num_products=250, seed=4), path)
    load(driver, path, dataset)
    frame = pd.read_csv(path, dtype=str)
    expected = frame.groupby("order_id")["sku"].agg(set).to_dict()

    baskets = export_baskets(driver, dataset)

    assert baskets.num_orders == len(expected)
    assert list(baskets.product_ids) == sorted(frame["sku"].unique())
    assert as_sets(baskets.baskets(), list(baskets.order_ids)) == expected
    assert int(baskets.matrix.sum()) == sum(len(s) for s in expected.values())
    # Orders come out in the order they were placed.
    placed = frame.drop_duplicates("order_id").set_index("order_id")["placed_at"]
    assert list(placed[list(baskets.order_ids)]) == sorted(placed)


FILE = """order_id,placed_at,sku,country,category,merchandise,is_return
o1,2024-01-10T10:00:00,mug,UK,Home > Kitchen,true,false
o1,2024-01-10T10:00:00,tea,UK,Food > Drinks,true,false
o1,2024-01-10T10:00:00,post,UK,,false,false
o2,2024-02-10T10:00:00,mug,France,Home > Kitchen,true,false
o2,2024-02-10T10:00:00,plate,France,Home > Dining,true,false
o3,2024-03-10T10:00:00,tea,UK,Food > Drinks,true,true
o4,2024-03-11T10:00:00,post,UK,,false,false
"""


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (BasketFilter(), {"o1": {"mug", "tea"}, "o2": {"mug", "plate"}}),
        (
            BasketFilter(merchandise_only=False),
            {"o1": {"mug", "tea", "post"}, "o2": {"mug", "plate"}, "o4": {"post"}},
        ),
        (
            BasketFilter(include_returns=True),
            {"o1": {"mug", "tea"}, "o2": {"mug", "plate"}, "o3": {"tea"}},
        ),
        (BasketFilter(country="France"), {"o2": {"mug", "plate"}}),
        (
            BasketFilter(start=datetime(2024, 2, 1, tzinfo=UTC)),
            {"o2": {"mug", "plate"}},
        ),
        (BasketFilter(end=datetime(2024, 2, 1, tzinfo=UTC)), {"o1": {"mug", "tea"}}),
        (BasketFilter(category="Home"), {"o1": {"mug"}, "o2": {"mug", "plate"}}),
        (BasketFilter(category="Home > Dining"), {"o2": {"plate"}}),
        (BasketFilter(country="Spain"), {}),
    ],
)
def test_filters_select_orders_and_products(
    driver: Driver,
    dataset: str,
    tmp_path: Path,
    where: BasketFilter,
    expected: dict[str, set[str]],
) -> None:
    path = tmp_path / "small.csv"
    path.write_text(FILE)
    load(driver, path, dataset)

    baskets = export_baskets(driver, dataset, where)

    assert as_sets(baskets.baskets(), list(baskets.order_ids)) == expected
