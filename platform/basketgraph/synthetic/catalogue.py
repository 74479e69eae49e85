"""Build the product catalogue: category tree, titles, prices and planted structure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from basketgraph.exceptions import ConfigurationError
from basketgraph.synthetic.config import SyntheticConfig
from basketgraph.synthetic.vocabulary import (
    BRANDS,
    SERIES,
    SERIES_SHARE,
    SUFFIX_SHARE,
    SUFFIXES,
    parse_taxonomy,
    pluralise,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Catalogue:
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


def _numbered(names: list[str] | tuple[str, ...], index: int) -> str:
    """Return name ``index``, numbering repeats once the vocabulary runs out."""
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _build_leaves(config: SyntheticConfig) -> list[tuple[str, str, int]]:
    """Build the category tree as ``(path, product noun, top index)`` per leaf."""
    taxonomy = parse_taxonomy()
    leaves = []
    for t in range(config.num_top_categories):
        subs = taxonomy[t % len(taxonomy)][3]
        top = _numbered([b[0] for b in taxonomy], t)
        for s in range(config.num_sub_categories):
            nouns = subs[s % len(subs)][1:]
            sub = _numbered([c[0] for c in subs], s)
            for n in range(config.num_leaf_categories):
                noun = nouns[n % len(nouns)]
                leaf = _numbered([pluralise(x) for x in nouns], n)
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
    taxonomy = parse_taxonomy()
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
    brand = BRANDS[int(draw[0] * len(BRANDS))]
    variant = variants[int(draw[1] * len(variants))]
    modifier = modifiers[int(draw[2] * len(modifiers))]
    series = ""
    if draw[3] < SERIES_SHARE:
        series = " " + SERIES[int(draw[3] / SERIES_SHARE * len(SERIES))]

    suffix = ""
    if draw[4] < SUFFIX_SHARE:
        suffix = SUFFIXES[int(draw[4] / SUFFIX_SHARE * len(SUFFIXES))]

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


def build_catalogue(config: SyntheticConfig, rng: np.random.Generator) -> Catalogue:
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

    return Catalogue(
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
