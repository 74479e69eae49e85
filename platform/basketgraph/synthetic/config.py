"""Settings of the synthetic generator, checked as soon as they are made."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from basketgraph.exceptions import ConfigurationError


@dataclass(frozen=True)
class SyntheticConfig:
    """Everything that shapes a synthetic data set; with the seed, it fixes the bytes.

    Defaults give a small shop (20,000 orders, about 100,000 lines) over two years.
    """

    #: Number of orders to generate; the number of lines is about
    #: ``mean_basket_size`` times this (see :func:`orders_for_lines`).
    num_orders: int = 20_000
    #: Number of products in the catalogue.
    num_products: int = 1_000
    #: Number of registered customers (guest orders come on top).
    num_customers: int = 3_000
    #: Number of planted complement pairs.
    num_complement_pairs: int = 50
    #: Number of planted substitute groups (2 to 4 products each).
    num_substitute_groups: int = 30
    #: First day orders may be placed on.
    start: date = date(2024, 1, 1)
    #: Last day orders may be placed on (inclusive).
    end: date = date(2025, 12, 31)
    #: Seed of every random draw.
    seed: int = 7
    #: Number of top-level categories.
    num_top_categories: int = 6
    #: Number of subcategories under each top-level category.
    num_sub_categories: int = 4
    #: Number of leaf categories under each subcategory.
    num_leaf_categories: int = 3
    #: Exponent ``s`` of the Zipf-Mandelbrot popularity ``1 / (rank + offset) ** s``.
    zipf_exponent: float = 1.1
    #: Rank offset of the popularity law; it flattens the very top, so that the best
    #: seller has a few percent of the lines rather than a fifth.
    zipf_offset: float = 5.0
    #: Mean number of products drawn per basket, before complements are added and
    #: repeats are merged; the file ends up with about as many lines per order.
    mean_basket_size: float = 5.0
    #: Shape of the negative binomial basket size; smaller means more spread.
    basket_dispersion: float = 2.0
    #: Chance that a basket holding ``A`` of a complement pair also gets ``B``.
    complement_probability: float = 0.6
    #: Chance that a basket holding ``B`` of a complement pair also gets ``A``.
    complement_reverse_probability: float = 0.25
    #: Complement pairs are drawn among this top share of products by popularity, so
    #: that they have enough support to be mined.
    complement_pool_share: float = 0.3
    #: Share of orders placed by guests, without a customer id.
    guest_share: float = 0.1
    #: Sigma of the log-normal activity of customers; larger means a few customers
    #: place many more of the orders.
    customer_activity_sigma: float = 1.5
    #: Chance that a line of a returning customer rebuys a recent product of theirs.
    rebuy_probability: float = 0.3
    #: Number of recent products remembered per customer for rebuying.
    history_length: int = 8
    #: Share of products that sell mostly around one month of the year.
    seasonal_share: float = 0.15
    #: Strength of product seasonality: the peak month sells ``exp(2 * strength)``
    #: times the month opposite it.
    seasonal_strength: float = 1.2
    #: Relative amplitude of the yearly wave in order volume (peak in December).
    yearly_amplitude: float = 0.25
    #: Yearly growth of order volume (0.1 means 10% more orders a year later).
    annual_growth: float = 0.1
    #: Orders simulated per vectorised chunk, rounded up to a whole day so that
    #: times sort across chunks. It bounds memory, and it is part of what the seed
    #: means: another chunk size gives different (equally valid) data.
    chunk_orders: int = 20_000

    def __post_init__(self) -> None:
        """Check that the settings can work.

        Raises:
            ConfigurationError: If a count, share or date range cannot work.
        """
        _check_counts(self)
        _check_shares(self)
        if self.start > self.end:
            raise ConfigurationError(
                f"The start date {self.start!r} is after the end date {self.end!r}; "
                "swap them or widen the range."
            )

    def to_parameters(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values (dates as ISO 8601 strings).

        Returns:
            dict[str, Any]: One entry per field, in field order.
        """
        parameters = dataclasses.asdict(self)
        parameters["start"] = self.start.isoformat()
        parameters["end"] = self.end.isoformat()

        return parameters


def _check_counts(config: SyntheticConfig) -> None:
    """Raise unless every count of ``config`` is usable."""
    at_least = {
        "num_orders": 1,
        "num_products": 2,
        "num_customers": 1,
        "num_complement_pairs": 0,
        "num_substitute_groups": 0,
        "num_top_categories": 1,
        "num_sub_categories": 1,
        "num_leaf_categories": 1,
        "history_length": 1,
        "chunk_orders": 1,
    }
    for name, low in at_least.items():
        value = getattr(config, name)
        if not isinstance(value, int) or value < low:
            raise ConfigurationError(
                f"{name} is {value!r}, but it must be an integer of at least {low}."
            )

    planted = 2 * config.num_complement_pairs + 4 * config.num_substitute_groups
    if planted > config.num_products:
        raise ConfigurationError(
            f"{config.num_complement_pairs!r} complement pairs and "
            f"{config.num_substitute_groups!r} substitute groups may need {planted} "
            f"products, but num_products is {config.num_products!r}; plant fewer or "
            "raise num_products."
        )


def _check_shares(config: SyntheticConfig) -> None:
    """Raise unless every probability, share and shape of ``config`` is usable."""
    shares = (
        "complement_probability",
        "complement_reverse_probability",
        "complement_pool_share",
        "guest_share",
        "rebuy_probability",
        "seasonal_share",
    )
    rules: list[tuple[str, Callable[[float], bool], str]] = [
        *((name, lambda v: 0.0 <= v <= 1.0, "a value from 0 to 1") for name in shares),
        ("zipf_exponent", lambda v: v > 0, "a positive number"),
        ("basket_dispersion", lambda v: v > 0, "a positive number"),
        ("zipf_offset", lambda v: v >= 0, "0 or more"),
        ("customer_activity_sigma", lambda v: v >= 0, "0 or more"),
        ("seasonal_strength", lambda v: v >= 0, "0 or more"),
        ("mean_basket_size", lambda v: v >= 1, "1 or more"),
        ("yearly_amplitude", lambda v: 0 <= v < 1, "0 or more, below 1"),
        ("annual_growth", lambda v: v > -1, "more than -1"),
    ]
    for name, usable, expected in rules:
        value = getattr(config, name)
        if not usable(value):
            raise ConfigurationError(f"{name} is {value!r}; use {expected}.")
