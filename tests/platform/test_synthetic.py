"""Tests for the synthetic purchase-data generator."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from basketgraph.exceptions import ConfigurationError, InputError
from basketgraph.synthetic import (
    CSV_COLUMNS,
    GenerationSummary,
    GroundTruth,
    SyntheticConfig,
    generate,
    orders_for_lines,
)

# Several chunks, so that the chunk seams are exercised too.
SMALL = SyntheticConfig(num_orders=3_000, chunk_orders=700)
TINY = SyntheticConfig(
    num_orders=400, num_products=300, num_customers=300, chunk_orders=150
)


@dataclass(frozen=True)
class Generated:
    summary: GenerationSummary
    header: list[str]
    rows: list[dict[str, str]]
    truth: GroundTruth
    baskets: dict[str, set[str]]


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    output = tmp_path_factory.mktemp("synthetic") / "orders.csv"
    summary = generate(SMALL, output)
    header, rows = read_rows(output.read_text(encoding="utf-8"))
    truth = GroundTruth.from_json(summary.truth.read_text(encoding="utf-8"))
    baskets: dict[str, set[str]] = {}
    for row in rows:
        baskets.setdefault(row["order_id"], set()).add(row["sku"])

    return Generated(summary, header, rows, truth, baskets)


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = generate(TINY, tmp_path / "a.csv")
    again = generate(TINY, tmp_path / "b.csv")
    other = generate(replace(TINY, seed=8), tmp_path / "c.csv")

    assert first.output.read_bytes() == again.output.read_bytes()
    assert first.truth.read_bytes() == again.truth.read_bytes()
    assert first.output.read_bytes() != other.output.read_bytes()
    assert first.truth.read_bytes() != other.truth.read_bytes()


def test_gzip_output_is_readable_and_deterministic(tmp_path: Path) -> None:
    plain = generate(TINY, tmp_path / "orders.csv")
    zipped = generate(TINY, tmp_path / "orders.csv.gz")
    again = generate(TINY, tmp_path / "again" / "orders.csv.gz")

    assert gzip.decompress(zipped.output.read_bytes()) == plain.output.read_bytes()
    assert zipped.output.read_bytes() == again.output.read_bytes()
    assert zipped.truth == tmp_path / "orders.csv.gz.truth.json"
    assert not list(tmp_path.glob("**/*.partial"))


def test_truth_path_can_be_chosen(tmp_path: Path) -> None:
    summary = generate(TINY, tmp_path / "orders.csv", tmp_path / "truth.json")

    assert summary.truth == tmp_path / "truth.json"
    assert summary.truth.exists()
    assert not (tmp_path / "orders.csv.truth.json").exists()


def test_header_and_field_formats(generated: Generated) -> None:
    assert generated.header == list(CSV_COLUMNS)
    assert len(generated.rows) == generated.summary.lines
    for row in generated.rows:
        assert re.fullmatch(r"G\d{7}", row["order_id"])
        assert re.fullmatch(r"(C\d{5})?", row["customer_id"])
        assert re.fullmatch(r"P\d{5}", row["sku"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", row["placed_at"])
        placed_at = datetime.fromisoformat(row["placed_at"])
        assert SMALL.start <= placed_at.date() <= SMALL.end
        assert row["quantity"].isdigit() and int(row["quantity"]) > 0
        assert re.fullmatch(r"\d+\.\d\d", row["unit_price"])
        assert float(row["unit_price"]) > 0
        assert row["title"] and row["country"]


def test_titles_need_and_get_csv_quoting(generated: Generated) -> None:
    titles = {row["title"] for row in generated.rows}

    assert any("," in title for title in titles)
    assert any('"' in title for title in titles)


def test_orders_are_contiguous_and_chronological(generated: Generated) -> None:
    order_ids = [row["order_id"] for row in generated.rows]
    runs = [oid for i, oid in enumerate(order_ids) if i == 0 or oid != order_ids[i - 1]]
    stamps = [row["placed_at"] for row in generated.rows]

    assert len(runs) == len(set(runs)) == SMALL.num_orders
    assert runs == sorted(runs)
    assert stamps == sorted(stamps)


def test_orders_have_one_customer_and_time(generated: Generated) -> None:
    heads = {(r["order_id"], r["placed_at"], r["customer_id"]) for r in generated.rows}

    assert len(heads) == SMALL.num_orders


def test_price_per_product_and_country_per_customer_are_fixed(
    generated: Generated,
) -> None:
    prices: dict[str, set[str]] = {}
    countries: dict[str, set[str]] = {}
    for row in generated.rows:
        prices.setdefault(row["sku"], set()).add(row["unit_price"])
        if row["customer_id"]:
            countries.setdefault(row["customer_id"], set()).add(row["country"])

    assert all(len(p) == 1 for p in prices.values())
    assert all(len(c) == 1 for c in countries.values())
    home = Counter(next(iter(c)) for c in countries.values()).most_common(1)[0][1]
    assert home / len(countries) > 0.5


def test_popularity_follows_a_power_law(generated: Generated) -> None:
    counts = sorted(Counter(row["sku"] for row in generated.rows).values())[::-1]
    top = counts[: SMALL.num_products // 10]

    assert sum(top) / len(generated.rows) > 0.4
    assert counts[0] / len(generated.rows) < 0.15


def test_mean_basket_size(generated: Generated) -> None:
    mean = len(generated.rows) / len(generated.baskets)
    sizes = Counter(len(basket) for basket in generated.baskets.values())

    assert 4 <= mean <= 8
    assert sizes[1] > 0 and max(sizes) >= 15


def test_quantities_are_mostly_small(generated: Generated) -> None:
    quantities = Counter(int(row["quantity"]) for row in generated.rows)
    small = sum(quantities[q] for q in (1, 2, 3))

    assert small / len(generated.rows) > 0.8
    assert max(quantities) > 3


def test_planted_complements_co_occur(generated: Generated) -> None:
    baskets = list(generated.baskets.values())
    count = Counter(sku for basket in baskets for sku in basket)
    lifts = []
    for a, b in generated.truth.complement_pairs:
        if count[a] >= 5 and count[b] >= 5:
            both = sum(1 for basket in baskets if a in basket and b in basket)
            lifts.append(both * len(baskets) / (count[a] * count[b]))

    assert len(lifts) >= 0.8 * len(generated.truth.complement_pairs)
    assert sum(lift > 3 for lift in lifts) >= 0.9 * len(lifts)


def test_substitutes_never_share_a_basket(generated: Generated) -> None:
    sold = Counter(row["sku"] for row in generated.rows)
    for group in generated.truth.substitute_groups:
        members = set(group)
        assert all(len(members & basket) <= 1 for basket in generated.baskets.values())
        assert sum(sold[sku] for sku in group) > 0


def test_substitute_titles_share_most_words(generated: Generated) -> None:
    titles = {row["sku"]: row["title"] for row in generated.rows}
    for group in generated.truth.substitute_groups:
        words = [set(titles[sku].split()) for sku in group if sku in titles]
        for other in words[1:]:
            assert len(words[0] & other) / len(words[0] | other) >= 0.5

        assert len({titles[sku] for sku in group if sku in titles}) == len(words)


def test_returning_customers_rebuy(generated: Generated) -> None:
    customer_of = {r["order_id"]: r["customer_id"] for r in generated.rows}
    orders = Counter(c for c in customer_of.values() if c)
    bought = Counter(
        (customer_of[order_id], sku)
        for order_id, basket in generated.baskets.items()
        if customer_of[order_id]
        for sku in basket
    )

    assert sum(n >= 2 for n in orders.values()) >= 0.3 * len(orders)
    assert sum(n >= 2 for n in bought.values()) >= 500


def test_guest_orders_are_about_a_tenth(generated: Generated) -> None:
    guests = {r["order_id"] for r in generated.rows if not r["customer_id"]}

    assert 0.07 <= len(guests) / SMALL.num_orders <= 0.13


def test_weekends_sell_more_per_day(generated: Generated) -> None:
    placed = {
        r["order_id"]: date.fromisoformat(r["placed_at"][:10]) for r in generated.rows
    }
    weekend = sum(day.weekday() >= 5 for day in placed.values())
    weekday = len(placed) - weekend

    assert weekend / 2 > 1.1 * weekday / 5


def test_seasonal_products_sell_around_their_peak(generated: Generated) -> None:
    near = total = 0
    for row in generated.rows:
        peak = generated.truth.seasonal_products.get(row["sku"])
        if peak is not None:
            distance = abs(int(row["placed_at"][5:7]) - peak) % 12
            near += min(distance, 12 - distance) <= 1
            total += 1

    assert total > 500
    assert near / total > 0.4  # a quarter of the months, so 0.25 without seasons


def test_categories_have_three_levels_and_match_truth(generated: Generated) -> None:
    truth = generated.truth
    for row in generated.rows:
        levels = row["category"].split(" > ")
        assert len(levels) == 3 and all(levels)
        assert truth.product_category[row["sku"]] == row["category"]

    leaves = set(truth.product_category.values())
    assert len(leaves) == 6 * 4 * 3
    assert len({leaf.split(" > ")[0] for leaf in leaves}) == 6


def test_truth_describes_the_planted_structure(generated: Generated) -> None:
    truth = generated.truth
    category = truth.product_category
    planted = [sku for pair in truth.complement_pairs for sku in pair]
    planted += [sku for group in truth.substitute_groups for sku in group]

    assert len(truth.complement_pairs) == SMALL.num_complement_pairs
    assert len(truth.substitute_groups) == SMALL.num_substitute_groups
    assert len(planted) == len(set(planted))
    assert len(category) == SMALL.num_products
    assert all(category[a] != category[b] for a, b in truth.complement_pairs)
    for group in truth.substitute_groups:
        assert 2 <= len(group) <= 4
        assert len({category[sku] for sku in group}) == 1

    assert truth.parameters["seed"] == SMALL.seed
    assert truth.parameters["start"] == SMALL.start.isoformat()


def test_truth_round_trips(generated: Generated) -> None:
    truth = generated.truth
    again = GroundTruth.from_json(truth.to_json())

    assert again == truth
    assert all(isinstance(pair, tuple) for pair in again.complement_pairs)


def test_truth_rejects_broken_json() -> None:
    with pytest.raises(InputError, match="not valid"):
        GroundTruth.from_json('{"complement_pairs": []}')

    with pytest.raises(InputError):
        GroundTruth.from_json("not json")


def test_progress_reports_lines_written(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = generate(TINY, tmp_path / "orders.csv", progress=seen.append)

    # Chunks end with a whole day, so there may be a few more of them than this.
    assert len(seen) >= -(-TINY.num_orders // TINY.chunk_orders)
    assert seen == sorted(seen) and seen[-1] == summary.lines
    assert summary.orders == TINY.num_orders
    assert 0 < summary.products <= TINY.num_products
    assert 0 < summary.customers <= TINY.num_customers
    assert summary.seconds > 0


def test_orders_for_lines_hits_the_target(tmp_path: Path) -> None:
    orders = orders_for_lines(10_000, SMALL)
    summary = generate(replace(SMALL, num_orders=orders), tmp_path / "orders.csv")

    assert abs(summary.lines - 10_000) / 10_000 < 0.05
    with pytest.raises(ConfigurationError, match="0"):
        orders_for_lines(0, SMALL)


def test_larger_trees_reuse_the_vocabulary(tmp_path: Path) -> None:
    config = replace(
        TINY,
        num_products=1_000,
        num_top_categories=10,
        num_sub_categories=6,
        num_leaf_categories=5,
    )
    summary = generate(config, tmp_path / "orders.csv")
    truth = GroundTruth.from_json(summary.truth.read_text(encoding="utf-8"))
    leaves = set(truth.product_category.values())

    assert all(len(leaf.split(" > ")) == 3 for leaf in leaves)
    assert len(leaves) == 10 * 6 * 5  # every leaf named apart, and none left empty


@pytest.mark.parametrize(
    ("changes", "quoted"),
    [
        ({"num_orders": 0}, "num_orders is 0"),
        ({"num_orders": 1.5}, "num_orders is 1.5"),
        ({"guest_share": 1.5}, "guest_share is 1.5"),
        ({"zipf_exponent": -1.0}, "zipf_exponent is -1.0"),
        ({"mean_basket_size": 0.5}, "mean_basket_size is 0.5"),
        ({"annual_growth": -2.0}, "annual_growth is -2.0"),
        ({"start": date(2025, 1, 1), "end": date(2024, 1, 1)}, "2025, 1, 1"),
        ({"num_products": 50}, "num_products is 50"),
    ],
)
def test_impossible_settings_are_rejected(changes: dict[str, Any], quoted: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(quoted)):
        SyntheticConfig(**changes)


def test_unplantable_catalogue_is_rejected_before_writing(tmp_path: Path) -> None:
    config = replace(
        TINY, num_top_categories=1, num_sub_categories=1, num_leaf_categories=1
    )

    with pytest.raises(ConfigurationError, match="complement pairs"):
        generate(config, tmp_path / "orders.csv")

    assert not list(tmp_path.iterdir())
