"""Simulate orders over the catalogue and the customers, chunk by chunk, without IO."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from basketgraph.exceptions import ConfigurationError
from basketgraph.synthetic.catalogue import (
    Catalogue,
    FloatArray,
    IntArray,
    build_catalogue,
)
from basketgraph.synthetic.config import SyntheticConfig
from basketgraph.synthetic.vocabulary import (
    COUNTRIES,
    COUNTRY_WEIGHTS,
    HOUR_WEIGHTS,
    QUANTITIES,
    QUANTITY_WEIGHTS,
    WEEKDAY_WEIGHTS,
)

ObjectArray = npt.NDArray[np.object_]

#: Orders simulated by :func:`orders_for_lines` to measure the mean lines per order.
_PILOT_ORDERS = 5_000


@dataclass
class Model:
    """The catalogue and the customers, with their CSV fields pre-formatted."""

    catalogue: Catalogue
    customer_country: IntArray  # [num_customers]
    customer_cdf: FloatArray  # [num_customers], cumulative activity
    #: Customer ids; the extra last entry is the empty id, so index -1 is a guest.
    customer_ids: ObjectArray  # [num_customers + 1]
    country_names: ObjectArray  # [num_countries]
    product_head: ObjectArray  # "sku,title," per product
    product_price: ObjectArray  # ",price," per product
    product_tail: ObjectArray  # ",category\n" per product


@dataclass
class History:
    """Recently bought products per customer, as ring buffers, for rebuying."""

    items: IntArray  # [num_customers, history_length], product index or -1
    count: IntArray  # [num_customers], products remembered so far


@dataclass
class Orders:
    """One chunk of orders, in the order they were placed."""

    stamp: npt.NDArray[np.datetime64]  # [num_orders]
    month: IntArray  # [num_orders], 0 to 11
    customer: IntArray  # [num_orders], or -1 for a guest
    country: IntArray  # [num_orders]
    size: IntArray  # [num_orders], products drawn for the basket


@dataclass
class Lines:
    """The lines of one chunk of orders, grouped by order."""

    order: IntArray  # [num_lines], index into the chunk's orders
    product: IntArray  # [num_lines]
    quantity: IntArray  # [num_lines]


def _quote(value: str) -> str:
    """Quote one CSV field as RFC 4180 requires."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'

    return value


def _cumulative(weights: FloatArray) -> FloatArray:
    """Return the cumulative distribution of ``weights``, ending at exactly 1."""
    cdf = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    cdf[-1] = 1.0

    return cdf


_COUNTRY_CDF = _cumulative(COUNTRY_WEIGHTS)
_HOUR_CDF = _cumulative(HOUR_WEIGHTS)
_QUANTITY_CDF = _cumulative(QUANTITY_WEIGHTS)


def _draw(rng: np.random.Generator, cdf: FloatArray, size: int) -> IntArray:
    """Draw ``size`` indices from the distribution with cumulative ``cdf``."""
    index = np.searchsorted(cdf, rng.random(size), side="right")

    return index.astype(np.int64)


def build_model(
    config: SyntheticConfig,
    catalogue_rng: np.random.Generator,
    customer_rng: np.random.Generator,
) -> Model:
    """Build the catalogue and the customers, and pre-format their CSV fields."""
    catalogue = build_catalogue(config, catalogue_rng)
    ids = [f"C{c + 1:05d}" for c in range(config.num_customers)]
    activity = customer_rng.lognormal(
        0.0, config.customer_activity_sigma, config.num_customers
    )
    heads = zip(catalogue.skus, catalogue.titles, strict=True)
    paths = [_quote(catalogue.leaf_paths[int(leaf)]) for leaf in catalogue.leaf]

    return Model(
        catalogue=catalogue,
        customer_country=_draw(customer_rng, _COUNTRY_CDF, config.num_customers),
        customer_cdf=_cumulative(activity),
        customer_ids=np.array([*ids, ""], dtype=object),
        country_names=np.array([_quote(c) for c in COUNTRIES], dtype=object),
        product_head=np.array([f"{s},{_quote(t)}," for s, t in heads], dtype=object),
        product_price=np.array([f",{p:.2f}," for p in catalogue.prices], dtype=object),
        product_tail=np.array([f",{p}\n" for p in paths], dtype=object),
    )


def order_days(
    config: SyntheticConfig, rng: np.random.Generator, num_orders: int
) -> tuple[np.datetime64, IntArray]:
    """Spread the orders over the days, with weekly and yearly waves and growth.

    Returns:
        tuple[np.datetime64, IntArray]: The first day, and the cumulative number of
        orders placed up to and including each day.
    """
    start = np.datetime64(config.start, "D")
    days = np.arange((config.end - config.start).days + 1)
    stamps = start + days.astype("m8[D]")
    day_of_year = (stamps - stamps.astype("M8[Y]")).astype(np.int64)
    yearly = 1 + config.yearly_amplitude * np.cos(2 * np.pi * (day_of_year - 350) / 365)
    growth = (1 + config.annual_growth) ** (days / 365.25)
    weights = WEEKDAY_WEIGHTS[(days + config.start.weekday()) % 7] * yearly * growth
    counts = rng.multinomial(num_orders, weights / weights.sum())

    return start, np.cumsum(counts).astype(np.int64)


def chunk_spans(cumulative: IntArray, chunk_orders: int) -> Iterator[tuple[int, int]]:
    """Yield ``(first, stop)`` ranges of about ``chunk_orders`` orders, by whole days.

    Each chunk sorts its orders by time, so a day split between two chunks would come
    out of order; ending every chunk with a whole day avoids that.
    """
    first = 0
    total = int(cumulative[-1])
    while first < total:
        last_day = np.searchsorted(cumulative, first + chunk_orders - 1, side="right")
        stop = total if last_day >= cumulative.size else int(cumulative[last_day])
        yield first, stop
        first = stop


def new_history(config: SyntheticConfig) -> History:
    """Return an empty purchase history for every customer."""
    shape = (config.num_customers, config.history_length)

    return History(
        items=np.full(shape, -1, dtype=np.int64),
        count=np.zeros(config.num_customers, dtype=np.int64),
    )


def _draw_orders(
    config: SyntheticConfig,
    model: Model,
    rng: np.random.Generator,
    calendar: tuple[np.datetime64, IntArray],
    first: int,
    num_orders: int,
) -> Orders:
    """Draw when, by whom and how large the orders from ``first`` on are."""
    start, cumulative = calendar
    day = np.searchsorted(cumulative, np.arange(first, first + num_orders), "right")
    seconds = _draw(rng, _HOUR_CDF, num_orders) * 3600
    seconds += rng.integers(0, 3600, num_orders)
    # Days are already in order; sort the times within each day.
    seconds = seconds[np.lexsort((seconds, day))]
    stamp = start + day.astype("m8[D]") + seconds.astype("m8[s]")

    guest = rng.random(num_orders) < config.guest_share
    customer = np.where(guest, -1, _draw(rng, model.customer_cdf, num_orders))
    guest_country = _draw(rng, _COUNTRY_CDF, num_orders)
    spread = config.basket_dispersion
    extra = rng.negative_binomial(
        spread, spread / (spread + config.mean_basket_size - 1), num_orders
    )

    return Orders(
        stamp=stamp,
        month=stamp.astype("M8[M]").astype(np.int64) % 12,
        customer=customer.astype(np.int64),
        country=np.where(guest, guest_country, model.customer_country[customer]),
        size=(1 + extra).astype(np.int64),
    )


def _sample_products(
    rng: np.random.Generator, month_cdf: FloatArray, month: IntArray
) -> IntArray:
    """Draw one product per line from the popularity of the line's month."""
    draws = rng.random(month.size)
    product = np.empty(month.size, dtype=np.int64)
    for m in np.unique(month).tolist():
        chosen = month == m
        product[chosen] = np.searchsorted(month_cdf[m], draws[chosen], side="right")

    return product


def _merge_repeats(
    catalogue: Catalogue, order: IntArray, product: IntArray
) -> tuple[IntArray, IntArray]:
    """Keep the first line per order of each product and of each substitute group."""
    num_products = catalogue.group.size
    group = catalogue.group[product]
    key = np.where(group >= 0, num_products + group, product)
    code = order * (num_products + len(catalogue.substitute_groups)) + key
    _, first = np.unique(code, return_index=True)
    keep = np.sort(first)

    return order[keep], product[keep]


def _add_complements(
    config: SyntheticConfig,
    catalogue: Catalogue,
    rng: np.random.Generator,
    order: IntArray,
    product: IntArray,
) -> tuple[IntArray, IntArray]:
    """Add the planted complement of lines at the planted rates; regroup by order."""
    forward = catalogue.partner_forward[product]
    backward = catalogue.partner_backward[product]
    draws = rng.random((2, product.size))
    add_forward = (forward >= 0) & (draws[0] < config.complement_probability)
    add_backward = (backward >= 0) & (draws[1] < config.complement_reverse_probability)
    order = np.concatenate([order, order[add_forward], order[add_backward]])
    product = np.concatenate([product, forward[add_forward], backward[add_backward]])
    order, product = _merge_repeats(catalogue, order, product)
    regroup = np.argsort(order, kind="stable")

    return order[regroup], product[regroup]


def _draw_lines(
    config: SyntheticConfig,
    model: Model,
    history: History,
    rng: np.random.Generator,
    orders: Orders,
) -> Lines:
    """Fill the baskets of a chunk of orders."""
    catalogue = model.catalogue
    order = np.repeat(np.arange(orders.size.size, dtype=np.int64), orders.size)
    product = _sample_products(rng, catalogue.month_cdf, orders.month[order])
    # Returning customers rebuy from their history as it stood before this chunk.
    customer = orders.customer[order]
    slot = rng.integers(0, config.history_length, order.size)
    remembered = history.items[customer, slot]
    rebuy = (customer >= 0) & (remembered >= 0)
    rebuy &= rng.random(order.size) < config.rebuy_probability
    product = np.where(rebuy, remembered, product)

    order, product = _merge_repeats(catalogue, order, product)
    order, product = _add_complements(config, catalogue, rng, order, product)
    quantity = QUANTITIES[_draw(rng, _QUANTITY_CDF, order.size)]

    return Lines(order=order, product=product, quantity=quantity.astype(np.int64))


def _remember_purchases(
    history: History, customer: IntArray, product: IntArray
) -> None:
    """Push the lines' products into their customers' ring buffers, oldest out."""
    known = customer >= 0
    by_customer = np.argsort(customer[known], kind="stable")
    customer = customer[known][by_customer]
    product = product[known][by_customer]
    if customer.size == 0:
        return

    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    counts = np.diff(np.r_[starts, customer.size])
    rank = np.arange(customer.size) - np.repeat(starts, counts)
    # Only the last history_length lines per customer survive; writing only those
    # keeps every (customer, slot) written at most once.
    length = history.items.shape[1]
    last = rank >= np.repeat(counts, counts) - length
    slot = (history.count[customer] + rank) % length
    history.items[customer[last], slot[last]] = product[last]
    history.count[customer[starts]] += counts


def simulate_chunk(
    config: SyntheticConfig,
    model: Model,
    history: History,
    rng: np.random.Generator,
    calendar: tuple[np.datetime64, IntArray],
    span: tuple[int, int],
) -> tuple[Orders, Lines]:
    """Simulate orders ``span[0]`` to ``span[1]`` and remember what they bought."""
    first, stop = span
    orders = _draw_orders(config, model, rng, calendar, first, stop - first)
    lines = _draw_lines(config, model, history, rng, orders)
    _remember_purchases(history, orders.customer[lines.order], lines.product)

    return orders, lines


def spawn_streams(seed: int) -> list[np.random.Generator]:
    """Return generators for catalogue, customers, calendar, orders and pilot run.

    Separate streams keep, for example, the catalogue unchanged when only the number
    of orders changes.
    """
    children = np.random.SeedSequence(seed).spawn(5)

    return [np.random.default_rng(child) for child in children]


def expected_lines_per_order(config: SyntheticConfig) -> float:
    """Measure the mean lines per order that ``config`` gives, on a pilot run.

    The pilot simulates a few thousand orders in memory with the same catalogue, so
    the figure includes added complements and merged repeats.

    Args:
        config (SyntheticConfig): The settings to measure.

    Returns:
        float: Mean number of lines per order.
    """
    catalogue_rng, customer_rng, _, _, pilot_rng = spawn_streams(config.seed)
    model = build_model(config, catalogue_rng, customer_rng)
    calendar = order_days(config, pilot_rng, _PILOT_ORDERS)
    history = new_history(config)
    total = 0
    for span in chunk_spans(calendar[1], config.chunk_orders):
        _, lines = simulate_chunk(config, model, history, pilot_rng, calendar, span)
        total += lines.order.size

    return total / _PILOT_ORDERS


def orders_for_lines(lines: int, config: SyntheticConfig) -> int:
    """Return how many orders give about ``lines`` order lines under ``config``.

    Args:
        lines (int): The number of lines wanted.
        config (SyntheticConfig): The other settings; ``num_orders`` is ignored.

    Returns:
        int: The number of orders to set, at least 1.

    Raises:
        ConfigurationError: If ``lines`` is below 1.
    """
    if lines < 1:
        raise ConfigurationError(
            f"The number of lines {lines!r} is below 1; ask for at least one line."
        )

    return max(1, round(lines / expected_lines_per_order(config)))
