"""Generate realistic synthetic purchase data in the generic CSV format.

The generator builds a catalogue (a three-level category tree, products with readable
titles and log-normal prices, power-law popularity, some seasonal products), a customer
population with skewed activity and fixed countries, and then simulates orders chunk by
chunk with numpy, streaming each chunk to the output file. Into that data it plants
structure whose truth it writes beside the CSV, so that mining can be checked against
it:

* complement pairs ``(A, B)`` in different leaf categories: when ``A`` is in a basket,
  ``B`` is added with :attr:`SyntheticConfig.complement_probability`, and when ``B`` is,
  ``A`` is added with the lower :attr:`SyntheticConfig.complement_reverse_probability`;
* substitute groups of 2 to 4 products in one leaf category whose titles differ in one
  word (a colour, a scent, a size), of which a basket never holds more than one.

The output has one row per order line, in the column order of :data:`CSV_COLUMNS`; all
lines of an order are contiguous, and orders appear in the order they were placed.
The same configuration (seed included) always gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from basketgraph.exceptions import ConfigurationError, InputError

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]

#: Columns of the generic CSV format, in file order.
CSV_COLUMNS = (
    "order_id",
    "placed_at",
    "customer_id",
    "sku",
    "title",
    "quantity",
    "unit_price",
    "country",
    "category",
)

# TODO(synthetic): move the vocabulary and the catalogue building into a module of
# their own; this one is past the 800-line mark because it was written as one file.

# One top-level category per block: "name | modifiers | variants", then one indented
# line per subcategory, "name: leaf product nouns". Modifiers (materials, styles) and
# variants (colours, scents, sizes) build the titles; substitutes differ in the variant.
_TAXONOMY = """
Home & Kitchen | Ceramic, Stainless Steel, Glass, Bamboo, Cast Iron, Enamel, Stoneware,
    Non-Stick | Black, White, Grey, Navy, Red, Sage, Cream, Teal
  Tableware: Coffee Mug, Dinner Plate, Cereal Bowl, Wine Glass
  Cookware: Frying Pan, Saucepan, Stock Pot, Wok
  Kitchen Storage: Food Container, Spice Jar, Bread Bin, Lunch Box
  Kitchen Tools: Chopping Board, Whisk, Peeler, Colander
  Coffee & Tea: Teapot, Cafetiere, Coffee Grinder, Tea Infuser
Garden & Outdoors | Weatherproof, Galvanised, Wooden, Recycled, Folding, Heavy-Duty,
    Rattan, Solar | Green, Black, Grey, Terracotta, Natural, Blue, Olive, Stone
  Gardening Tools: Trowel, Pruning Shears, Garden Rake, Watering Can
  Plant Care: Plant Pot, Plant Feed, Seed Tray, Compost Bin
  Outdoor Living: Garden Chair, Parasol, Hammock, Fire Pit
  Barbecue: Charcoal Grill, Grill Brush, Skewer Set, BBQ Apron
  Bird Care: Bird Feeder, Bird Bath, Nest Box, Bird Table
Sports & Fitness | Lightweight, Pro, Compact, Reflective, Padded, Insulated, Waterproof,
    Ergonomic | Black, Blue, Red, Lime, Orange, Purple, Grey, Pink
  Yoga: Yoga Mat, Yoga Block, Yoga Strap, Meditation Cushion
  Strength Training: Dumbbell, Kettlebell, Resistance Band, Weight Bench
  Running: Running Belt, Water Bottle, Armband, Head Torch
  Cycling: Bike Light, Bike Lock, Cycling Helmet, Saddle Bag
  Camping: Tent, Sleeping Bag, Camping Stove, Lantern
Toys & Games | Wooden, Classic, Deluxe, Travel, Magnetic, Glow-in-the-Dark, Junior,
    Family | Dinosaur, Space, Pirate, Unicorn, Jungle, Ocean, Farm, Castle
  Puzzles: Jigsaw Puzzle, Puzzle Cube, Floor Puzzle, Puzzle Mat
  Board Games: Strategy Game, Card Game, Dice Set, Chess Set
  Building Toys: Building Blocks, Marble Run, Construction Kit, Train Set
  Outdoor Play: Kite, Frisbee, Skipping Rope, Water Pistol
  Arts & Crafts: Crayon Set, Modelling Clay, Sticker Book, Paint Set
Office & Stationery | Recycled, Premium, A5, A4, Leather, Eco, Slim, Refillable | Black,
    Blue, Red, Green, Kraft, White, Navy, Pastel
  Writing: Ballpoint Pen, Fountain Pen, Pencil Case, Highlighter Set
  Paper & Notebooks: Notebook, Sketchbook, Sticky Notes, Envelope Pack
  Desk Accessories: Desk Organiser, Desk Lamp, Monitor Stand, Mouse Mat
  Filing: Ring Binder, Document Wallet, Filing Box, Label Maker
  Printing: Ink Cartridge, Printer Paper, Toner Cartridge, Photo Paper
Beauty & Personal Care | Organic, Vegan, Sensitive, Hydrating, Travel-Size, Natural,
    Salon, Gentle | Lavender, Rose, Citrus, Coconut, Mint, Vanilla, Aloe, Sandalwood
  Skincare: Face Cream, Cleanser, Face Serum, Sheet Mask
  Hair Care: Shampoo, Conditioner, Hair Brush, Hair Oil
  Bath & Body: Bath Bomb, Shower Gel, Body Lotion, Hand Soap
  Fragrance: Perfume, Body Mist, Scented Candle, Reed Diffuser
  Shaving: Razor, Shaving Foam, Beard Oil, Aftershave
Pet Supplies | Grain-Free, Durable, Orthopaedic, Natural, Chew-Proof, Washable,
    Reflective, Senior | Small, Medium, Large, Extra Large, Puppy, Adult, Mini, Giant
  Dog Supplies: Dog Lead, Dog Bed, Chew Toy, Dog Bowl
  Cat Supplies: Cat Litter, Scratching Post, Cat Toy, Cat Carrier
  Pet Food: Dry Dog Food, Wet Cat Food, Dog Treats, Bird Seed
  Aquarium: Fish Tank, Aquarium Filter, Fish Food, Aquarium Gravel
  Small Animals: Hamster Cage, Rabbit Hutch, Hay Bale, Exercise Wheel
Electronics | Wireless, Fast-Charge, Compact, Rugged, Noise-Cancelling, Slim, Magnetic,
    Portable | Black, White, Silver, Graphite, Midnight Blue, Rose Gold, Space Grey, Red
  Audio: Headphones, Bluetooth Speaker, Earbuds, Soundbar
  Charging: USB-C Cable, Power Bank, Wall Charger, Wireless Charger
  Computer Accessories: Keyboard, Mouse, USB Hub, Webcam
  Phone Accessories: Phone Case, Screen Protector, Phone Stand, Car Mount
  Smart Home: Smart Plug, Smart Bulb, Door Sensor, Video Doorbell
"""


def _words(text: str) -> list[str]:
    """Split a comma-separated word list; long lists read better as one string."""
    return text.split(", ")


_BRANDS = _words(
    "Northwind, Acme, Brightwell, Oakhaven, Kestrel, Luma, Fenwick, Marlow, Tidewater, "
    "Corvid, Halden, Quillon, Redfern, Everly, Nordby, Sable & Co"
)

# Pack sizes and series names make some titles need RFC 4180 quoting (a comma, a
# double quote), as real catalogue exports do.
_SUFFIXES = (", Pack of 2", ", Pack of 3", ", Set of 4", " (Large)", " (Small)")
_SERIES = ('"Classic"', '"Heritage"', '"Studio"', '"Essentials"')

_UNCOUNTABLE = frozenset(
    _words("Food, Litter, Paper, Gravel, Clay, Seed, Feed, Foam, Gel, Oil, Aftershave")
)
_IRREGULAR_PLURALS = {"Mouse": "Mice"}

_COUNTRIES = _words(
    "United Kingdom, Germany, France, Netherlands, Ireland, Spain, Belgium, Sweden, "
    "Norway"
)
_COUNTRY_WEIGHTS = np.array([0.71, 0.07, 0.06, 0.04, 0.04, 0.03, 0.02, 0.02, 0.01])

# Relative order volume Monday to Sunday, and by hour of the day (UTC).
_WEEKDAY_WEIGHTS = np.array([1.0, 0.97, 0.95, 0.98, 1.05, 1.2, 1.25])
_HOUR_WEIGHTS = np.concatenate(
    [
        [2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 11],  # midnight to 11:00
        [12, 11, 10, 10, 10, 11, 12, 14, 15, 13, 9, 5],  # noon to 23:00
    ]
).astype(np.float64)
# Quantities per line: mostly 1 to 3, now and then a bulk buy.
_QUANTITIES = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 24])
_QUANTITY_WEIGHTS = np.array(
    [0.62, 0.2, 0.08, 0.03, 0.02, 0.015, 0.01, 0.01, 0.01, 0.005]
)
_QUANTITY_TEXT = np.array([str(q) for q in range(_QUANTITIES.max() + 1)], dtype=object)

#: Share of titles that get a pack-size suffix, and of those that get a series name.
_SUFFIX_SHARE = 0.15
_SERIES_SHARE = 0.05
#: Orders simulated by :func:`orders_for_lines` to measure the mean lines per order.
_PILOT_ORDERS = 5_000
#: Level of gzip compression: level 6 is about twice as fast as 9 and barely larger.
_GZIP_LEVEL = 6


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


@dataclass(frozen=True)
class GroundTruth:
    """What the generator planted, for checking that mining recovers it."""

    #: Complement pairs ``(A, B)`` as skus: ``B`` follows ``A`` at the higher rate.
    complement_pairs: list[tuple[str, str]]
    #: Substitute groups as lists of skus; a basket holds at most one of each group.
    substitute_groups: list[list[str]]
    #: Category path (``Level1 > Level2 > Leaf``) of every product in the catalogue,
    #: including products that happened to sell nothing.
    product_category: dict[str, str]
    #: Peak month (1 to 12) of every seasonal product.
    seasonal_products: dict[str, int] = field(default_factory=dict)
    #: The settings that produced the data, seed included.
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the truth as an indented JSON document.

        Returns:
            str: JSON text that :meth:`from_json` reads back.
        """
        document = {
            "seed": self.parameters.get("seed"),
            "parameters": self.parameters,
            "complement_pairs": [list(pair) for pair in self.complement_pairs],
            "substitute_groups": self.substitute_groups,
            "product_category": self.product_category,
            "seasonal_products": self.seasonal_products,
        }

        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Read a truth written by :meth:`to_json`.

        Args:
            text (str): The JSON document.

        Returns:
            GroundTruth: The truth it describes.

        Raises:
            InputError: If the text is not JSON or lacks a required key.
        """
        try:
            document = json.loads(text)
            return cls(
                complement_pairs=[(a, b) for a, b in document["complement_pairs"]],
                substitute_groups=[list(g) for g in document["substitute_groups"]],
                product_category=dict(document["product_category"]),
                seasonal_products=dict(document.get("seasonal_products", {})),
                parameters=dict(document.get("parameters", {})),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(
                f"The ground truth is not valid ({e!r}); regenerate it with "
                "basketgraph.synthetic.generate."
            ) from e


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote."""

    #: Orders written.
    orders: int
    #: Order lines written (rows of the CSV, header excluded).
    lines: int
    #: Distinct products that appear in the file.
    products: int
    #: Distinct registered customers that appear in the file.
    customers: int
    #: The CSV file written.
    output: Path
    #: The ground-truth JSON file written.
    truth: Path
    #: Wall-clock seconds the generation took.
    seconds: float


@dataclass
class _Catalogue:
    """Products, their categories and the planted structure, by product index."""

    skus: list[str]
    titles: list[str]
    prices: FloatArray  # [num_products]
    leaf: IntArray  # [num_products], index into leaf_paths
    leaf_paths: list[str]  # [num_leaves]
    peak_month: IntArray  # [num_products], 0 to 11, or -1 when not seasonal
    month_cdf: FloatArray  # [12, num_products], cumulative popularity per month
    group: IntArray  # [num_products], substitute group, or -1
    partner_forward: IntArray  # [num_products], B for each A, or -1
    partner_backward: IntArray  # [num_products], A for each B, or -1
    complement_pairs: list[tuple[int, int]]
    substitute_groups: list[list[int]]


@dataclass
class _Model:
    """The catalogue and the customers, with their CSV fields pre-formatted."""

    catalogue: _Catalogue
    customer_country: IntArray  # [num_customers]
    customer_cdf: FloatArray  # [num_customers], cumulative activity
    #: Customer ids; the extra last entry is the empty id, so index -1 is a guest.
    customer_ids: ObjectArray  # [num_customers + 1]
    country_names: ObjectArray  # [num_countries]
    product_head: ObjectArray  # "sku,title," per product
    product_price: ObjectArray  # ",price," per product
    product_tail: ObjectArray  # ",category\n" per product


@dataclass
class _History:
    """Recently bought products per customer, as ring buffers, for rebuying."""

    items: IntArray  # [num_customers, history_length], product index or -1
    count: IntArray  # [num_customers], products remembered so far


@dataclass
class _Orders:
    """One chunk of orders, in the order they were placed."""

    stamp: npt.NDArray[np.datetime64]  # [num_orders]
    month: IntArray  # [num_orders], 0 to 11
    customer: IntArray  # [num_orders], or -1 for a guest
    country: IntArray  # [num_orders]
    size: IntArray  # [num_orders], products drawn for the basket


@dataclass
class _Lines:
    """The lines of one chunk of orders, grouped by order."""

    order: IntArray  # [num_lines], index into the chunk's orders
    product: IntArray  # [num_lines]
    quantity: IntArray  # [num_lines]


def _quote(value: str) -> str:
    """Quote one CSV field as RFC 4180 requires."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'

    return value


def _pluralise(noun: str) -> str:
    """Return the plural of an English product noun such as ``Coffee Mug``."""
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        last = _IRREGULAR_PLURALS[last]
    elif last in _UNCOUNTABLE or last.endswith("s"):
        pass
    elif last.endswith(("ch", "sh", "x")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"

    return f"{head} {last}" if head else last


def _parse_taxonomy() -> list[tuple[str, list[str], list[str], list[tuple[str, ...]]]]:
    """Parse :data:`_TAXONOMY` into ``(top, modifiers, variants, subcategories)``."""
    blocks: list[tuple[str, list[str], list[str], list[tuple[str, ...]]]] = []
    header = ""
    for line in _TAXONOMY.strip("\n").splitlines():
        if line.startswith("    "):  # continuation of a top-level header
            header += " " + line.strip()
        elif line.startswith("  "):
            if header:
                top, modifiers, variants = (p.strip() for p in header.split("|"))
                blocks.append((top, modifiers.split(", "), variants.split(", "), []))
                header = ""

            sub, nouns = line.strip().split(": ")
            blocks[-1][3].append((sub, *nouns.split(", ")))
        else:
            header = line

    return blocks


def _numbered(names: list[str] | tuple[str, ...], index: int) -> str:
    """Return name ``index``, numbering repeats once the vocabulary runs out."""
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _build_leaves(config: SyntheticConfig) -> list[tuple[str, str, int]]:
    """Build the category tree as ``(path, product noun, top index)`` per leaf."""
    taxonomy = _parse_taxonomy()
    leaves = []
    for t in range(config.num_top_categories):
        subs = taxonomy[t % len(taxonomy)][3]
        top = _numbered([b[0] for b in taxonomy], t)
        for s in range(config.num_sub_categories):
            nouns = subs[s % len(subs)][1:]
            sub = _numbered([c[0] for c in subs], s)
            for n in range(config.num_leaf_categories):
                noun = nouns[n % len(nouns)]
                leaf = _numbered([_pluralise(x) for x in nouns], n)
                leaves.append((f"{top} > {sub} > {leaf}", noun, t % len(taxonomy)))

    return leaves


def _assign_leaves(
    rng: np.random.Generator, num_products: int, num_leaves: int
) -> IntArray:
    """Put every product in a leaf; leaves differ in size.

    No leaf stays empty while there are at least as many products as leaves.
    """
    first = rng.permutation(num_leaves)[:num_products]
    weights = rng.lognormal(0.0, 0.6, num_leaves)
    rest = rng.choice(
        num_leaves, size=num_products - first.size, p=weights / weights.sum()
    )
    leaf = np.concatenate([first, rest]).astype(np.int64)

    return leaf[rng.permutation(num_products)]


def _month_cdf(
    config: SyntheticConfig, rng: np.random.Generator, popularity: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Return the cumulative popularity per month ``[12, P]`` and each peak month."""
    num_products = popularity.size
    seasonal = rng.random(num_products) < config.seasonal_share
    peak = np.where(seasonal, rng.integers(0, 12, num_products), -1).astype(np.int64)
    months = np.arange(12)[:, None]
    wave = np.cos(2 * np.pi * (months - peak[None, :]) / 12)  # [12, P]
    boost = np.where(seasonal[None, :], np.exp(config.seasonal_strength * wave), 1.0)
    cdf = np.cumsum(popularity[None, :] * boost, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0  # so that a draw from [0, 1) can never fall past the last product

    return cdf, peak


def _plant_complements(
    config: SyntheticConfig,
    rng: np.random.Generator,
    popularity: FloatArray,
    leaf: IntArray,
) -> list[tuple[int, int]]:
    """Pair popular products from different leaves as complements."""
    pool_size = max(
        int(config.complement_pool_share * popularity.size),
        4 * config.num_complement_pairs,
    )
    by_popularity = np.argsort(-popularity, kind="stable")
    pool = [int(p) for p in rng.permutation(by_popularity[:pool_size])]
    pairs: list[tuple[int, int]] = []
    while len(pairs) < config.num_complement_pairs and len(pool) >= 2:
        a = pool.pop()
        b = next((p for p in reversed(pool) if leaf[p] != leaf[a]), None)
        if b is None:
            continue

        pool.remove(b)
        pairs.append((a, b))

    if len(pairs) < config.num_complement_pairs:
        raise ConfigurationError(
            f"Only {len(pairs)} of {config.num_complement_pairs!r} complement pairs "
            "fit in different leaf categories; use more categories or fewer pairs."
        )

    return pairs


def _plant_substitutes(
    config: SyntheticConfig, rng: np.random.Generator, leaf: IntArray, taken: set[int]
) -> list[list[int]]:
    """Group 2 to 4 free products of one leaf at a time as substitutes."""
    free: dict[int, list[int]] = {}
    for product in rng.permutation(leaf.size).tolist():
        if product not in taken:
            free.setdefault(int(leaf[product]), []).append(product)

    groups: list[list[int]] = []
    for _ in range(config.num_substitute_groups):
        size = int(rng.integers(2, 5))
        leaves = sorted(k for k, v in free.items() if len(v) >= 2)
        if not leaves:
            raise ConfigurationError(
                f"No leaf category has two free products left for substitute group "
                f"{len(groups) + 1} of {config.num_substitute_groups!r}; raise "
                "num_products or plant fewer groups."
            )

        members = free[leaves[int(rng.integers(len(leaves)))]]
        groups.append(sorted(members[:size]))
        del members[:size]

    return groups


def _make_titles(
    rng: np.random.Generator,
    leaves: list[tuple[str, str, int]],
    leaf: IntArray,
    groups: list[list[int]],
) -> list[str]:
    """Build a readable, unique title per product; substitutes differ in one word."""
    taxonomy = _parse_taxonomy()
    words = [_leaf_words(taxonomy, noun, top) for _, noun, top in leaves]
    draws = rng.random((leaf.size, 5))  # brand, variant, modifier, series, suffix
    for group in groups:
        # Members share the first member's words and take consecutive variants.
        draws[group] = draws[group[0]]
        variants = len(words[int(leaf[group[0]])][1])
        step = np.arange(len(group)) / variants
        draws[group, 1] = (draws[group[0], 1] + step) % 1.0

    in_group = {product for group in groups for product in group}
    titles: list[str] = []
    seen: set[str] = set()
    for product in range(leaf.size):
        noun_words = words[int(leaf[product])]
        title = _compose_title(noun_words, draws[product])
        for _ in range(20):
            if title not in seen or product in in_group:
                break

            title = _compose_title(noun_words, rng.random(5))

        if title in seen:
            title = f"{title} Mk {product + 1}"

        seen.add(title)
        titles.append(title)

    return titles


def _leaf_words(
    taxonomy: list[tuple[str, list[str], list[str], list[tuple[str, ...]]]],
    noun: str,
    top: int,
) -> tuple[str, list[str], list[str]]:
    """Return the noun, its variants and the modifiers that fit it."""
    _, modifiers, variants, _ = taxonomy[top]
    fitting = [m for m in modifiers if m not in noun] or modifiers

    return noun, variants, fitting


def _compose_title(words: tuple[str, list[str], list[str]], draw: FloatArray) -> str:
    """Compose a title such as ``Acme Blue Ceramic Coffee Mug`` from five draws."""
    noun, variants, modifiers = words
    brand = _BRANDS[int(draw[0] * len(_BRANDS))]
    variant = variants[int(draw[1] * len(variants))]
    modifier = modifiers[int(draw[2] * len(modifiers))]
    series = ""
    if draw[3] < _SERIES_SHARE:
        series = " " + _SERIES[int(draw[3] / _SERIES_SHARE * len(_SERIES))]

    suffix = ""
    if draw[4] < _SUFFIX_SHARE:
        suffix = _SUFFIXES[int(draw[4] / _SUFFIX_SHARE * len(_SUFFIXES))]

    return f"{brand}{series} {variant} {modifier} {noun}{suffix}"


def _make_prices(
    rng: np.random.Generator, leaf: IntArray, groups: list[list[int]], num_leaves: int
) -> FloatArray:
    """Draw a log-normal price per product around a log-normal median per leaf."""
    leaf_median = rng.normal(np.log(14.0), 0.8, num_leaves)
    log_price = leaf_median[leaf] + rng.normal(0.0, 0.35, leaf.size)
    for group in groups:  # substitutes cost about the same
        log_price[group] = log_price[group[0]] + rng.normal(0.0, 0.05, len(group))

    price = np.exp(log_price)
    # Most shops price just below a whole amount (14.99); the rest to the cent.
    charm = rng.random(leaf.size) < 0.7
    price = np.where(charm, np.ceil(price) - 0.01, np.round(price, 2))

    return np.maximum(price, 0.29)


def _build_catalogue(config: SyntheticConfig, rng: np.random.Generator) -> _Catalogue:
    """Build the products, their popularity and the planted structure."""
    leaves = _build_leaves(config)
    num_products = config.num_products
    leaf = _assign_leaves(rng, num_products, len(leaves))
    rank = rng.permutation(num_products)
    popularity = np.asarray(
        (rank + 1 + config.zipf_offset) ** -config.zipf_exponent, dtype=np.float64
    )
    month_cdf, peak = _month_cdf(config, rng, popularity)
    pairs = _plant_complements(config, rng, popularity, leaf)
    groups = _plant_substitutes(config, rng, leaf, {p for pair in pairs for p in pair})

    group = np.full(num_products, -1, dtype=np.int64)
    for index, members in enumerate(groups):
        group[members] = index

    forward = np.full(num_products, -1, dtype=np.int64)
    backward = np.full(num_products, -1, dtype=np.int64)
    for a, b in pairs:
        forward[a], backward[b] = b, a

    return _Catalogue(
        skus=[f"P{p + 1:05d}" for p in range(num_products)],
        titles=_make_titles(rng, leaves, leaf, groups),
        prices=_make_prices(rng, leaf, groups, len(leaves)),
        leaf=leaf,
        leaf_paths=[path for path, _, _ in leaves],
        peak_month=peak,
        month_cdf=month_cdf,
        group=group,
        partner_forward=forward,
        partner_backward=backward,
        complement_pairs=pairs,
        substitute_groups=groups,
    )


def _cumulative(weights: FloatArray) -> FloatArray:
    """Return the cumulative distribution of ``weights``, ending at exactly 1."""
    cdf = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    cdf[-1] = 1.0

    return cdf


_COUNTRY_CDF = _cumulative(_COUNTRY_WEIGHTS)
_HOUR_CDF = _cumulative(_HOUR_WEIGHTS)
_QUANTITY_CDF = _cumulative(_QUANTITY_WEIGHTS)


def _draw(rng: np.random.Generator, cdf: FloatArray, size: int) -> IntArray:
    """Draw ``size`` indices from the distribution with cumulative ``cdf``."""
    index = np.searchsorted(cdf, rng.random(size), side="right")

    return index.astype(np.int64)


def _build_model(
    config: SyntheticConfig,
    catalogue_rng: np.random.Generator,
    customer_rng: np.random.Generator,
) -> _Model:
    """Build the catalogue and the customers, and pre-format their CSV fields."""
    catalogue = _build_catalogue(config, catalogue_rng)
    ids = [f"C{c + 1:05d}" for c in range(config.num_customers)]
    activity = customer_rng.lognormal(
        0.0, config.customer_activity_sigma, config.num_customers
    )
    heads = zip(catalogue.skus, catalogue.titles, strict=True)
    paths = [_quote(catalogue.leaf_paths[int(leaf)]) for leaf in catalogue.leaf]

    return _Model(
        catalogue=catalogue,
        customer_country=_draw(customer_rng, _COUNTRY_CDF, config.num_customers),
        customer_cdf=_cumulative(activity),
        customer_ids=np.array([*ids, ""], dtype=object),
        country_names=np.array([_quote(c) for c in _COUNTRIES], dtype=object),
        product_head=np.array([f"{s},{_quote(t)}," for s, t in heads], dtype=object),
        product_price=np.array([f",{p:.2f}," for p in catalogue.prices], dtype=object),
        product_tail=np.array([f",{p}\n" for p in paths], dtype=object),
    )


def _order_days(
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
    weights = _WEEKDAY_WEIGHTS[(days + config.start.weekday()) % 7] * yearly * growth
    counts = rng.multinomial(num_orders, weights / weights.sum())

    return start, np.cumsum(counts).astype(np.int64)


def _chunk_spans(cumulative: IntArray, chunk_orders: int) -> Iterator[tuple[int, int]]:
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


def _new_history(config: SyntheticConfig) -> _History:
    """Return an empty purchase history for every customer."""
    shape = (config.num_customers, config.history_length)

    return _History(
        items=np.full(shape, -1, dtype=np.int64),
        count=np.zeros(config.num_customers, dtype=np.int64),
    )


def _draw_orders(
    config: SyntheticConfig,
    model: _Model,
    rng: np.random.Generator,
    calendar: tuple[np.datetime64, IntArray],
    first: int,
    num_orders: int,
) -> _Orders:
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

    return _Orders(
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
    catalogue: _Catalogue, order: IntArray, product: IntArray
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
    catalogue: _Catalogue,
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
    model: _Model,
    history: _History,
    rng: np.random.Generator,
    orders: _Orders,
) -> _Lines:
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
    quantity = _QUANTITIES[_draw(rng, _QUANTITY_CDF, order.size)]

    return _Lines(order=order, product=product, quantity=quantity.astype(np.int64))


def _remember_purchases(
    history: _History, customer: IntArray, product: IntArray
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


def _simulate_chunk(
    config: SyntheticConfig,
    model: _Model,
    history: _History,
    rng: np.random.Generator,
    calendar: tuple[np.datetime64, IntArray],
    span: tuple[int, int],
) -> tuple[_Orders, _Lines]:
    """Simulate orders ``span[0]`` to ``span[1]`` and remember what they bought."""
    first, stop = span
    orders = _draw_orders(config, model, rng, calendar, first, stop - first)
    lines = _draw_lines(config, model, history, rng, orders)
    _remember_purchases(history, orders.customer[lines.order], lines.product)

    return orders, lines


def _format_chunk(model: _Model, first: int, orders: _Orders, lines: _Lines) -> str:
    """Format a chunk's lines as CSV rows, orders numbered from ``first``."""
    stamps = np.datetime_as_string(orders.stamp, unit="s").tolist()
    customers = model.customer_ids[orders.customer].tolist()
    heads = np.array(
        [
            f"G{first + i + 1:07d},{stamp},{customer},"
            for i, (stamp, customer) in enumerate(zip(stamps, customers, strict=True))
        ],
        dtype=object,
    )
    columns = (
        heads[lines.order].tolist(),
        model.product_head[lines.product].tolist(),
        _QUANTITY_TEXT[lines.quantity].tolist(),
        model.product_price[lines.product].tolist(),
        model.country_names[orders.country[lines.order]].tolist(),
        model.product_tail[lines.product].tolist(),
    )

    return "".join(
        [a + b + c + d + e + f for a, b, c, d, e, f in zip(*columns, strict=True)]
    )


def _streams(seed: int) -> list[np.random.Generator]:
    """Return generators for catalogue, customers, calendar, orders and pilot run.

    Separate streams keep, for example, the catalogue unchanged when only the number
    of orders changes.
    """
    children = np.random.SeedSequence(seed).spawn(5)

    return [np.random.default_rng(child) for child in children]


@contextmanager
def _open_for_writing(path: Path) -> Iterator[Callable[[bytes], object]]:
    """Yield a writer into ``path``, gzip when it ends in ``.gz``, renamed when done."""
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(partial, "wb") as raw:
            if path.suffix == ".gz":
                # No file name and a zero time stamp, so that the bytes depend on the
                # data alone.
                with gzip.GzipFile(
                    filename="",
                    mode="wb",
                    fileobj=raw,
                    compresslevel=_GZIP_LEVEL,
                    mtime=0,
                ) as zipped:
                    yield zipped.write
            else:
                yield raw.write
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

    os.replace(partial, path)


def _write_orders(
    config: SyntheticConfig,
    model: _Model,
    write: Callable[[bytes], object],
    rngs: tuple[np.random.Generator, np.random.Generator],
    progress: Callable[[int], None] | None,
) -> tuple[int, int, int]:
    """Simulate all orders chunk by chunk and write them.

    Returns:
        tuple[int, int, int]: Lines written, distinct products sold and distinct
        registered customers who ordered.
    """
    calendar_rng, order_rng = rngs
    calendar = _order_days(config, calendar_rng, config.num_orders)
    history = _new_history(config)
    sold = np.zeros(config.num_products, dtype=bool)
    buyers = np.zeros(config.num_customers, dtype=bool)
    written = 0
    write((",".join(CSV_COLUMNS) + "\n").encode("utf-8"))
    for first, stop in _chunk_spans(calendar[1], config.chunk_orders):
        began = time.perf_counter()
        orders, lines = _simulate_chunk(
            config, model, history, order_rng, calendar, (first, stop)
        )
        write(_format_chunk(model, first, orders, lines).encode("utf-8"))
        sold[lines.product] = True
        buyers[orders.customer[orders.customer >= 0]] = True
        written += lines.order.size
        logger.debug(
            "Wrote orders %s to %s (%s lines) in %.3f s",
            first + 1,
            stop,
            lines.order.size,
            time.perf_counter() - began,
        )
        if progress is not None:
            progress(written)

    return written, int(sold.sum()), int(buyers.sum())


def _ground_truth(config: SyntheticConfig, catalogue: _Catalogue) -> GroundTruth:
    """Describe what the catalogue plants, by sku."""
    skus = catalogue.skus
    seasonal = np.flatnonzero(catalogue.peak_month >= 0).tolist()

    return GroundTruth(
        complement_pairs=[(skus[a], skus[b]) for a, b in catalogue.complement_pairs],
        substitute_groups=[[skus[p] for p in g] for g in catalogue.substitute_groups],
        product_category={
            sku: catalogue.leaf_paths[int(leaf)]
            for sku, leaf in zip(skus, catalogue.leaf, strict=True)
        },
        seasonal_products={skus[p]: int(catalogue.peak_month[p]) + 1 for p in seasonal},
        parameters=config.to_parameters(),
    )


def generate(
    config: SyntheticConfig,
    output: Path,
    truth_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerationSummary:
    """Generate a synthetic data set into a generic CSV file and its ground truth.

    Memory stays bounded by :attr:`SyntheticConfig.chunk_orders`, the catalogue and
    the customers, whatever the number of orders.

    Args:
        config (SyntheticConfig): What to generate.
        output (Path): The CSV file to write; gzip-compressed when it ends in
            ``.gz``. Written under a ``.partial`` name and renamed when complete.
        truth_path (Path | None): Where to write the ground truth JSON
            (default: ``output`` with ``.truth.json`` appended).
        progress (Callable[[int], None] | None): Called after each chunk with the
            number of lines written so far (default: ``None``).

    Returns:
        GenerationSummary: Counts, paths and the time taken.
    """
    began = time.perf_counter()
    output = Path(output)
    truth = Path(truth_path or output.with_name(output.name + ".truth.json"))
    catalogue_rng, customer_rng, calendar_rng, order_rng, _ = _streams(config.seed)
    model = _build_model(config, catalogue_rng, customer_rng)
    logger.info(
        "Generating %s orders over %s products into %s (seed %s)",
        config.num_orders,
        config.num_products,
        output,
        config.seed,
    )
    with _open_for_writing(output) as write:
        lines, products, customers = _write_orders(
            config, model, write, (calendar_rng, order_rng), progress
        )

    truth.write_text(_ground_truth(config, model.catalogue).to_json(), "utf-8")
    summary = GenerationSummary(
        orders=config.num_orders,
        lines=lines,
        products=products,
        customers=customers,
        output=output,
        truth=truth,
        seconds=time.perf_counter() - began,
    )
    logger.info("Wrote %s lines to %s in %.1f s", lines, output, summary.seconds)

    return summary


def expected_lines_per_order(config: SyntheticConfig) -> float:
    """Measure the mean lines per order that ``config`` gives, on a pilot run.

    The pilot simulates a few thousand orders in memory with the same catalogue, so
    the figure includes added complements and merged repeats.

    Args:
        config (SyntheticConfig): The settings to measure.

    Returns:
        float: Mean number of lines per order.
    """
    catalogue_rng, customer_rng, _, _, pilot_rng = _streams(config.seed)
    model = _build_model(config, catalogue_rng, customer_rng)
    calendar = _order_days(config, pilot_rng, _PILOT_ORDERS)
    history = _new_history(config)
    total = 0
    for span in _chunk_spans(calendar[1], config.chunk_orders):
        _, lines = _simulate_chunk(config, model, history, pilot_rng, calendar, span)
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
