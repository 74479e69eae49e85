"""Frequent itemsets and association rules with one consequent, by FP-Growth.

The mining itself is pyfim's FP-Growth (Christian Borgelt's C implementation),
measured about 50 times faster than mlxtend's on the same rules, on FIMI retail and
on Groceries (``bench/mining.py``). This module feeds it the basket matrix, keeps the
result within limits, and turns it into arrays.
"""

from __future__ import annotations

import gc
import itertools
import logging
import math
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import fim  # type: ignore[import-not-found]  # pyfim is a C extension without stubs
import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.exceptions import ConfigurationError, InputError, MiningLimitError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.mining.pairs import compute_conviction

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]

#: pyfim filters confidence in floating point on its own; it is asked for this
#: little less, and the exact ``count / antecedent count >= min_confidence`` test is
#: applied afterwards, so that a rule right on the threshold is never lost.
_CONFIDENCE_SLACK = 1e-9


@dataclass(frozen=True)
class RuleSet:
    """Association rules ``antecedent → consequent``, one consequent item each.

    Rule ``i`` has the antecedent ``antecedent_items[antecedent_indptr[i] :
    antecedent_indptr[i + 1]]`` (column indices, ascending) and the consequent
    ``consequent[i]``. Rules are sorted by antecedent length, then antecedent, then
    consequent. With ``N`` baskets and ``n_x`` the baskets holding ``x``:
    ``support = n_AC / N``, ``confidence = n_AC / n_A``, ``lift = confidence /
    (n_C / N)``, ``leverage = support - (n_A / N)(n_C / N)``, ``conviction = (1 -
    n_C / N) / (1 - confidence)`` (``inf`` where confidence is 1).

    Attributes:
        antecedent_indptr (numpy.ndarray): ``[num_rules + 1]`` offsets into
            ``antecedent_items``.
        antecedent_items (numpy.ndarray): ``[sum of antecedent lengths]``.
        consequent (numpy.ndarray): ``[num_rules]`` column of the consequent.
        count (numpy.ndarray): ``[num_rules]`` baskets holding the whole rule.
        support (numpy.ndarray): ``[num_rules]`` of antecedent and consequent together.
        confidence (numpy.ndarray): ``[num_rules]``.
        lift (numpy.ndarray): ``[num_rules]``.
        leverage (numpy.ndarray): ``[num_rules]``.
        conviction (numpy.ndarray): ``[num_rules]``.
        antecedent_support (numpy.ndarray): ``[num_rules]``.
        consequent_support (numpy.ndarray): ``[num_rules]``.
        num_baskets (int): ``N``, every basket including empty ones.
        product_ids (numpy.ndarray): ``[num_products]`` skus of the columns.
    """

    antecedent_indptr: IndexArray
    antecedent_items: IndexArray
    consequent: IndexArray
    count: IndexArray
    support: FloatArray
    confidence: FloatArray
    lift: FloatArray
    leverage: FloatArray
    conviction: FloatArray
    antecedent_support: FloatArray
    consequent_support: FloatArray
    num_baskets: int
    product_ids: npt.NDArray[np.object_]

    def __len__(self) -> int:
        """Return the number of rules."""
        return len(self.consequent)

    def antecedent(self, rule: int) -> tuple[int, ...]:
        """Return the antecedent columns of one rule, ascending."""
        start, end = self.antecedent_indptr[rule], self.antecedent_indptr[rule + 1]

        return tuple(int(column) for column in self.antecedent_items[start:end])

    @property
    def antecedents(self) -> tuple[tuple[int, ...], ...]:
        """Every rule's antecedent columns, in rule order."""
        items = self.antecedent_items.tolist()
        bounds = self.antecedent_indptr.tolist()

        return tuple(tuple(items[s:e]) for s, e in itertools.pairwise(bounds))

    def matching(
        self, basket_columns: Collection[int], exclude_owned: bool = True
    ) -> IndexArray:
        """Return the rules whose antecedent lies wholly in a basket.

        This is what Spark's ``FPGrowthModel.transform`` does to complete a basket:
        the consequents of these rules are the products to suggest.

        Args:
            basket_columns (Collection[int]): Columns of the products in the basket.
            exclude_owned (bool): Leave out rules whose consequent is already in
                the basket, as Spark does (default: ``True``).

        Returns:
            numpy.ndarray: Indices of the matching rules, ascending.

        Raises:
            InputError: If a column is not one of the products mined.
        """
        in_basket = self._basket_mask(basket_columns)
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64)
        held = np.add.reduceat(
            in_basket[self.antecedent_items].astype(np.int64),
            self.antecedent_indptr[:-1],
        )
        hits = held == np.diff(self.antecedent_indptr)
        if exclude_owned:
            hits &= ~in_basket[self.consequent]

        return np.flatnonzero(hits).astype(np.int64)

    def to_frame(self) -> pd.DataFrame:
        """Return the rules as a DataFrame, products named by sku.

        Returns:
            pandas.DataFrame: One row per rule; ``antecedent`` holds a tuple of skus,
            ``consequent`` one sku, the other columns the measures of the same names.
        """
        import pandas as pd

        skus = self.product_ids[self.antecedent_items].tolist()
        bounds = self.antecedent_indptr.tolist()

        return pd.DataFrame(
            {
                "antecedent": [tuple(skus[s:e]) for s, e in itertools.pairwise(bounds)],
                "consequent": self.product_ids[self.consequent],
                "support": self.support,
                "confidence": self.confidence,
                "lift": self.lift,
                "leverage": self.leverage,
                "conviction": self.conviction,
                "antecedent_support": self.antecedent_support,
                "consequent_support": self.consequent_support,
                "count": self.count,
            }
        )

    def _basket_mask(self, basket_columns: Collection[int]) -> npt.NDArray[np.bool_]:
        """Return ``[num_products]`` booleans, true for the basket's columns."""
        columns = np.fromiter(basket_columns, dtype=np.int64, count=len(basket_columns))
        num_products = len(self.product_ids)
        outside = columns[(columns < 0) | (columns >= num_products)]
        if len(outside):
            raise InputError(
                f"Basket column {int(outside[0])!r} is not a mined product (columns "
                f"run from 0 to {num_products - 1}); map skus with "
                "BasketMatrix.product_index() and drop unknown ones."
            )
        mask = np.zeros(num_products, dtype=np.bool_)
        mask[columns] = True

        return mask


def mine_rules(
    baskets: BasketMatrix,
    min_support: float,
    min_confidence: float,
    max_len: int = 3,
    max_rules: int = 1_000_000,
    max_itemsets: int = 5_000_000,
    time_limit: float | None = None,
) -> RuleSet:
    """Mine association rules with a single-item consequent by FP-Growth.

    Only rules ``A → c`` with one consequent item are made: completing a basket
    asks "which one product to add", and every rule with a larger consequent
    follows from these. A rule is kept when its itemset ``A | {c}`` is frequent
    (``count / N >= min_support``, as in mlxtend) and ``count / n_A >=
    min_confidence``. Confidence is divided from counts, so a rule exactly on the
    threshold (18 of 180 baskets at 0.1) is kept; mlxtend divides two rounded
    supports and can lose it.

    Real retail baskets can give millions of rules, so before anything is built
    the number of frequent itemsets and of rules is bounded from the item counts
    alone; only when a bound passes a limit are they counted exactly (in C,
    without building them), and a limit that is really passed raises
    :class:`MiningLimitError`.

    Args:
        baskets (BasketMatrix): The baskets; empty ones count in ``N``.
        min_support (float): Least support of a rule's itemset, in ``(0, 1]``.
        min_confidence (float): Least confidence of a rule, in ``[0, 1]``.
        max_len (int): Most items in a rule, consequent included, at least 2
            (default: 3, so antecedents of one or two items).
        max_rules (int): Most rules to build (default: 1,000,000).
        max_itemsets (int): Most frequent itemsets (of up to ``max_len`` items)
            that FP-Growth may keep while making the rules (default: 5,000,000).
        time_limit (float, optional): Seconds after which mining stops with
            :class:`MiningLimitError` (default: none). It is checked between
            phases: a phase already running in C is not interrupted.

    Returns:
        RuleSet: The rules, in a canonical order.

    Raises:
        ConfigurationError: If a parameter is out of its range.
        MiningLimitError: If ``max_itemsets``, ``max_rules`` or ``time_limit``
            would be exceeded; the message says which and what to change.
    """
    _check_parameters(min_support, min_confidence, max_len, max_rules, max_itemsets)
    _check_time_limit(time_limit)
    run = _Run(
        min_support=min_support,
        min_count=support_count(min_support, baskets.num_orders),
        min_confidence=min_confidence,
        max_len=max_len,
        max_rules=max_rules,
        max_itemsets=max_itemsets,
        time_limit=time_limit,
        started=time.perf_counter(),
    )
    # TODO(mining): run pyfim in a worker process, so that time_limit can stop a
    # phase midway instead of only between phases.
    with _gc_paused():
        rules = _mine(baskets, run)
    logger.debug(
        "Mined %s rules from %s baskets in %.3f s",
        len(rules),
        baskets.num_orders,
        time.perf_counter() - run.started,
    )

    return rules


def _mine(baskets: BasketMatrix, run: _Run) -> RuleSet:
    """Mine the rules of one run; see :func:`mine_rules`.

    The lists handed to pyfim and taken back die when this returns, before the
    garbage collector is resumed, so that it never has to scan them.
    """
    transactions = _transactions(baskets.matrix)
    _check_size(baskets.matrix, transactions, run)
    run.check_time("counting")
    raw = _run_fpgrowth(transactions, run, report="ab") if transactions else []
    run.check_time("FP-Growth")

    return _build_rules(raw, baskets, run.min_confidence, run.max_len)


def support_count(min_support: float, num_baskets: int) -> int:
    """Return the least basket count whose support reaches ``min_support``.

    Args:
        min_support (float): A relative support.
        num_baskets (int): ``N``.

    Returns:
        int: The smallest ``c >= 1`` with ``c / N >= min_support`` in floating
        point, the test that mlxtend applies.
    """
    count = max(1, math.ceil(min_support * num_baskets))
    while count > 1 and (count - 1) / num_baskets >= min_support:
        count -= 1
    while count / max(num_baskets, 1) < min_support:
        count += 1

    return count


@dataclass(frozen=True)
class _Run:
    """The parameters and limits of one mining run, and when it started."""

    min_support: float
    min_count: int
    min_confidence: float
    max_len: int
    max_rules: int
    max_itemsets: int
    time_limit: float | None
    started: float

    def check_time(self, phase: str) -> None:
        """Raise :class:`MiningLimitError` if the time limit has passed."""
        elapsed = time.perf_counter() - self.started
        if self.time_limit is None or elapsed <= self.time_limit:
            return
        raise MiningLimitError(
            f"Mining ran {elapsed:.2f} s by the end of {phase}, past "
            f"time_limit={self.time_limit!r} s; raise min_support (now "
            f"{self.min_support!r}), lower max_len (now {self.max_len!r}), or raise "
            "time_limit.",
            "time_limit",
            self.time_limit,
        )

    def check_count(self, limit: str, found: int) -> None:
        """Raise :class:`MiningLimitError` if ``found`` passes the named limit."""
        value: int = getattr(self, limit)
        if found <= value:
            return
        what = "rules" if limit == "max_rules" else "frequent itemsets"
        raise MiningLimitError(
            f"Mining at min_support={self.min_support!r} with max_len={self.max_len!r} "
            f"gives {found:,} {what}, over {limit}={value:,}; raise min_support, "
            f"lower max_len, or raise {limit}.",
            limit,
            value,
        )


def _check_size(
    matrix: sparse.csr_array, transactions: list[list[int]], run: _Run
) -> None:
    """Raise :class:`MiningLimitError` if itemsets or rules would pass a limit.

    Cheap bounds come first; the exact counts (pyfim's pattern spectra, which
    enumerate in C but build nothing) run only when a bound passes its limit.
    """
    itemsets_bound, rules_bound = _bound_counts(matrix, run.min_count, run.max_len)
    logger.debug("At most %.0f itemsets and %.0f rules", itemsets_bound, rules_bound)
    if itemsets_bound > run.max_itemsets:
        spectrum = fim.fpgrowth(
            transactions, target="s", supp=-run.min_count, zmax=run.max_len, report="#"
        )
        run.check_count("max_itemsets", _spectrum_total(spectrum))
        run.check_time("counting itemsets")
    if rules_bound > run.max_rules:
        spectrum = _run_fpgrowth(transactions, run, report="#")
        run.check_count("max_rules", _spectrum_total(spectrum))


def _bound_counts(
    matrix: sparse.csr_array, min_count: int, max_len: int
) -> tuple[float, float]:
    """Bound the numbers of frequent itemsets and of rules from item counts.

    Each frequent ``k``-itemset lies in at least ``min_count`` baskets, and a basket
    with ``m`` frequent items holds ``C(m, k)`` such sets, so there are at most
    ``sum_b C(m_b, k) / min_count`` of them (and at most ``C(f, k)`` for ``f``
    frequent items). An itemset of ``k`` items gives at most ``k`` rules.

    Returns:
        tuple[float, float]: Upper bounds on itemsets (all sizes up to
        ``max_len``) and on rules.
    """
    item_count = np.bincount(matrix.indices, minlength=matrix.shape[1])
    frequent = (item_count >= min_count).astype(np.float64)
    per_basket = np.asarray(matrix @ frequent, dtype=np.float64)
    num_frequent = float(frequent.sum())
    itemsets, rules = num_frequent, 0.0
    for size in range(2, max_len + 1):
        by_baskets = float(_choose(per_basket, size).sum()) / min_count
        bound = min(by_baskets, float(_choose(np.array([num_frequent]), size)[0]))
        itemsets += bound
        rules += size * bound

    return itemsets, rules


def _choose(n: FloatArray, k: int) -> FloatArray:
    """Return the binomial coefficients ``C(n, k)`` of whole numbers ``n >= 0``."""
    result = np.ones_like(n)
    for i in range(k):
        result *= np.maximum(n - i, 0.0) / (i + 1)

    return result


def _spectrum_total(spectrum: dict[Any, float]) -> int:
    """Return the number of patterns counted in a pyfim pattern spectrum."""
    return int(sum(spectrum.values()))


def _run_fpgrowth(transactions: list[list[int]], run: _Run, report: str) -> Any:
    """Run pyfim's FP-Growth for rules with a single-item consequent.

    ``mode="o"`` makes the support of a rule that of antecedent and consequent
    (pyfim would use the antecedent's alone); ``zmin=2`` leaves out rules with an
    empty antecedent.

    Returns pyfim's untyped answer: a list of ``(consequent, antecedent, values)``
    tuples, or for ``report="#"`` a pattern spectrum (a dict).
    """
    return fim.fpgrowth(
        transactions,
        target="r",
        supp=-run.min_count,
        conf=100.0 * run.min_confidence * (1.0 - _CONFIDENCE_SLACK),
        zmin=2,
        zmax=run.max_len,
        report=report,
        mode="o",
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, and restore it afterwards.

    Handing baskets to pyfim and taking its rules back builds millions of small
    lists and tuples, none of them cyclic; each burst of allocations would start a
    collection that scans them all. Pausing it made that step 4x faster on FIMI
    retail (0.14 s to 0.03 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _transactions(matrix: sparse.csr_array) -> list[list[int]]:
    """Return the non-empty baskets as lists of columns, as pyfim reads them.

    Empty baskets are left out: pyfim is given absolute counts, so ``N`` does not
    depend on them.
    """
    columns = matrix.indices.tolist()
    bounds = matrix.indptr.tolist()

    return [columns[s:e] for s, e in itertools.pairwise(bounds) if e > s]


def _build_rules(
    raw: Sequence[tuple[int, tuple[int, ...], int, int]],
    baskets: BasketMatrix,
    min_confidence: float,
    max_len: int,
) -> RuleSet:
    """Turn pyfim's rules into a :class:`RuleSet`, keeping the confident ones.

    pyfim gives ``(consequent, antecedent, count, antecedent count)`` tuples in an
    order of its own; the rules are sorted into the canonical order here.
    """
    heads, bodies, counts, body_counts = zip(*raw, strict=True) if raw else ([],) * 4
    lengths = np.fromiter(map(len, bodies), dtype=np.int64, count=len(raw))
    items = np.fromiter(
        itertools.chain.from_iterable(bodies), dtype=np.int64, count=int(lengths.sum())
    )
    consequent = np.asarray(heads, dtype=np.int64)
    antecedents = _pad_antecedents(lengths, items, max_len - 1, baskets.num_products)
    count = np.asarray(counts, dtype=np.int64)
    antecedent_count = np.asarray(body_counts, dtype=np.int64)
    keep = count / antecedent_count >= min_confidence
    order = _canonical_order(lengths, antecedents, consequent, baskets.num_products)
    order = order[keep[order]]
    padded = antecedents[order]
    item_count = np.bincount(baskets.matrix.indices, minlength=baskets.num_products)

    return _rule_set(
        np.concatenate([[0], np.cumsum(lengths[order])]).astype(np.int64),
        padded[padded >= 0].astype(np.int64),
        consequent[order],
        count[order],
        antecedent_count[order],
        item_count[consequent[order]].astype(np.int64),
        baskets,
    )


def _pad_antecedents(
    lengths: IndexArray, items: IndexArray, width: int, num_products: int
) -> IndexArray:
    """Return ``[num_rules, width]`` antecedents, ascending, padded with -1 after."""
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    # One sort of row-major keys orders the items within each row.
    items = np.sort(rows * num_products + items) % num_products
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    padded = np.full((len(lengths), width), -1, dtype=np.int64)
    padded[rows, np.arange(len(items)) - starts[rows]] = items

    return padded


def _canonical_order(
    lengths: IndexArray, padded: IndexArray, consequent: IndexArray, num_products: int
) -> IndexArray:
    """Return the order that sorts rules by antecedent length, items, consequent."""
    base = num_products + 1
    width = padded.shape[1]
    if (width + 1) * float(base) ** (width + 1) >= 2.0**62:
        return np.lexsort((consequent, *padded.T[::-1], lengths)).astype(np.int64)
    # The same order from one integer key, its digits in base num_products + 1:
    # several times faster than lexsort over the columns.
    key = lengths.copy()
    for column in padded.T:
        key = key * base + (column + 1)

    return np.argsort(key * base + consequent).astype(np.int64)


def _rule_set(
    indptr: IndexArray,
    items: IndexArray,
    consequent: IndexArray,
    count: IndexArray,
    antecedent_count: IndexArray,
    consequent_count: IndexArray,
    baskets: BasketMatrix,
) -> RuleSet:
    """Compute every measure of the rules from their basket counts."""
    n = float(baskets.num_orders)
    n_ac = count.astype(np.float64)
    n_a = antecedent_count.astype(np.float64)
    n_c = consequent_count.astype(np.float64)
    confidence = n_ac / n_a

    return RuleSet(
        antecedent_indptr=indptr,
        antecedent_items=items,
        consequent=consequent,
        count=count,
        support=n_ac / n,
        confidence=confidence,
        lift=confidence / (n_c / n),
        leverage=n_ac / n - (n_a / n) * (n_c / n),
        conviction=compute_conviction(n_ac, n_a, n_c, n),
        antecedent_support=n_a / n,
        consequent_support=n_c / n,
        num_baskets=baskets.num_orders,
        product_ids=baskets.product_ids,
    )


def _check_parameters(
    min_support: float,
    min_confidence: float,
    max_len: int,
    max_rules: int,
    max_itemsets: int,
) -> None:
    """Raise :class:`ConfigurationError` for a parameter out of its range."""
    if not 0.0 < min_support <= 1.0:
        raise ConfigurationError(
            f"min_support is {min_support!r}; use a fraction of baskets in (0, 1], "
            "such as 0.01 for 1 %."
        )
    if not 0.0 <= min_confidence <= 1.0:
        raise ConfigurationError(
            f"min_confidence is {min_confidence!r}; use a fraction in [0, 1]."
        )
    for name, value, least in (
        ("max_len", max_len, 2),
        ("max_rules", max_rules, 1),
        ("max_itemsets", max_itemsets, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigurationError(
                f"{name} is {value!r}; use a whole number >= {least}."
            )


def _check_time_limit(time_limit: float | None) -> None:
    """Raise :class:`ConfigurationError` unless the limit is none or positive."""
    if time_limit is not None and not time_limit > 0:
        raise ConfigurationError(
            f"time_limit is {time_limit!r}; use a positive number of seconds, or "
            "None for no limit."
        )
