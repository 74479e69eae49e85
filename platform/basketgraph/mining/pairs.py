"""Association statistics of every co-purchased pair of products, from one XᵀX."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]

#: Measures that :meth:`PairStatistics.top_partners` can rank partners by.
MEASURES = (
    "lift",
    "confidence",
    "conviction",
    "leverage",
    "jaccard",
    "support",
    "count",
)


@dataclass(frozen=True)
class PairStatistics:
    """Association measures of every unordered product pair bought together.

    Row ``i`` describes the pair ``{a[i], b[i]}`` (column indices of the basket
    matrix, ``a < b``); rows are sorted by ``(a, b)``. With ``N`` baskets, ``n_x``
    the baskets holding ``x`` and ``n_ab`` those holding both:

    * ``support = n_ab / N``, ``confidence_ab = n_ab / n_a`` (how often ``b`` joins
      a basket holding ``a``), ``lift = N n_ab / (n_a n_b)``,
      ``leverage = support - (n_a / N)(n_b / N)``, ``jaccard = n_ab / (n_a + n_b -
      n_ab)``;
    * ``conviction_ab = (1 - n_b / N) / (1 - confidence_ab)``, which is ``inf``
      where ``confidence_ab`` is 1 (``b`` is in every basket that holds ``a``), as in
      mlxtend.

    Attributes:
        a (numpy.ndarray): ``[num_pairs]`` the first product's column.
        b (numpy.ndarray): ``[num_pairs]`` the second product's column.
        count (numpy.ndarray): ``[num_pairs]`` baskets holding both.
        support (numpy.ndarray): ``[num_pairs]``.
        confidence_ab (numpy.ndarray): ``[num_pairs]`` confidence of ``a → b``.
        confidence_ba (numpy.ndarray): ``[num_pairs]`` confidence of ``b → a``.
        lift (numpy.ndarray): ``[num_pairs]``, symmetric.
        leverage (numpy.ndarray): ``[num_pairs]``, symmetric.
        conviction_ab (numpy.ndarray): ``[num_pairs]`` conviction of ``a → b``.
        conviction_ba (numpy.ndarray): ``[num_pairs]`` conviction of ``b → a``.
        jaccard (numpy.ndarray): ``[num_pairs]``, symmetric.
        item_count (numpy.ndarray): ``[num_products]`` baskets holding each product.
        num_baskets (int): ``N``, every basket including empty ones.
        product_ids (numpy.ndarray): ``[num_products]`` skus of the columns.
    """

    a: IndexArray
    b: IndexArray
    count: IndexArray
    support: FloatArray
    confidence_ab: FloatArray
    confidence_ba: FloatArray
    lift: FloatArray
    leverage: FloatArray
    conviction_ab: FloatArray
    conviction_ba: FloatArray
    jaccard: FloatArray
    item_count: IndexArray
    num_baskets: int
    product_ids: npt.NDArray[np.object_]

    def __len__(self) -> int:
        """Return the number of pairs."""
        return len(self.a)

    def top_partners(
        self, k: int, by: str = "lift", min_count: int = 1
    ) -> PartnerTable:
        """Return each product's ``k`` best partners, as directed rows.

        Every pair gives two rows, ``a → b`` and ``b → a``, each with its measures
        oriented from the product to the partner. Within a product, partners are
        ranked by ``by`` (highest first); ties go to the partner bought together
        more often (``count``), then to the smaller sku, so the result is the same
        on every run. Products without a partner have no row.

        Args:
            k (int): Partners kept per product, at least 1.
            by (str): The measure to rank by, one of :data:`MEASURES`
                (default: ``"lift"``).
            min_count (int): Leave out pairs bought together in fewer baskets
                (default: 1).

        Returns:
            PartnerTable: Rows sorted by product, then rank.

        Raises:
            ConfigurationError: If ``k`` or ``min_count`` is below 1 or ``by`` is
                not a known measure.
        """
        _check_positive("k", k)
        _check_positive("min_count", min_count)
        if by not in MEASURES:
            raise ConfigurationError(
                f"Cannot rank partners by {by!r}; use one of {', '.join(MEASURES)}."
            )
        pair, forward = _directed_rows(self, min_count)
        product = np.where(forward, self.a[pair], self.b[pair])
        # Both sorts are stable: rows equal in measure and count keep the partner
        # order that _directed_rows gives them.
        order = np.lexsort((-self.count[pair], -_oriented(self, by, pair, forward)))
        order = order[np.argsort(product[order], kind="stable")]
        rank = _rank_within(product[order])
        chosen = order[rank < k]

        return _partner_table(self, pair[chosen], forward[chosen], rank[rank < k])

    def to_frame(self) -> pd.DataFrame:
        """Return the pairs as a DataFrame, products named by sku.

        Returns:
            pandas.DataFrame: One row per pair; columns ``a`` and ``b`` hold skus,
            the others the measures of the same names.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "a": self.product_ids[self.a],
                "b": self.product_ids[self.b],
                "count": self.count,
                "support": self.support,
                "confidence_ab": self.confidence_ab,
                "confidence_ba": self.confidence_ba,
                "lift": self.lift,
                "leverage": self.leverage,
                "conviction_ab": self.conviction_ab,
                "conviction_ba": self.conviction_ba,
                "jaccard": self.jaccard,
            }
        )


@dataclass(frozen=True)
class PartnerTable:
    """Directed product → partner rows, as :meth:`PairStatistics.top_partners` gives.

    These are the ``(:Product)-[:BOUGHT_WITH]->(:Product)`` relationships that
    mining writes to the graph.

    Attributes:
        product (numpy.ndarray): ``[num_rows]`` column of the product.
        partner (numpy.ndarray): ``[num_rows]`` column of its partner.
        rank (numpy.ndarray): ``[num_rows]`` 0 for the best partner of a product.
        count (numpy.ndarray): ``[num_rows]`` baskets holding both.
        support (numpy.ndarray): ``[num_rows]``.
        confidence (numpy.ndarray): ``[num_rows]`` of ``product → partner``.
        lift (numpy.ndarray): ``[num_rows]``.
        leverage (numpy.ndarray): ``[num_rows]``.
        conviction (numpy.ndarray): ``[num_rows]`` of ``product → partner``.
        jaccard (numpy.ndarray): ``[num_rows]``.
        product_ids (numpy.ndarray): ``[num_products]`` skus of the columns.
    """

    product: IndexArray
    partner: IndexArray
    rank: IndexArray
    count: IndexArray
    support: FloatArray
    confidence: FloatArray
    lift: FloatArray
    leverage: FloatArray
    conviction: FloatArray
    jaccard: FloatArray
    product_ids: npt.NDArray[np.object_]

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.product)

    def measure(self, name: str) -> FloatArray | IndexArray:
        """Return one column by name: a measure of :data:`MEASURES`, or ``rank``.

        Raises:
            ConfigurationError: If no column has that name.
        """
        if name not in (*MEASURES, "rank"):
            raise ConfigurationError(
                f"PartnerTable has no column {name!r}; use rank or one of "
                f"{', '.join(MEASURES)}."
            )
        column: FloatArray | IndexArray = getattr(self, name)

        return column

    def to_frame(self) -> pd.DataFrame:
        """Return the rows as a DataFrame, products named by sku.

        Returns:
            pandas.DataFrame: Columns ``product`` and ``partner`` hold skus, the
            others the fields of the same names.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "product": self.product_ids[self.product],
                "partner": self.product_ids[self.partner],
                "rank": self.rank,
                "count": self.count,
                "support": self.support,
                "confidence": self.confidence,
                "lift": self.lift,
                "leverage": self.leverage,
                "conviction": self.conviction,
                "jaccard": self.jaccard,
            }
        )


def pair_statistics(baskets: BasketMatrix, min_count: int = 1) -> PairStatistics:
    """Compute the association measures of every pair of products bought together.

    Co-occurrence counts come from one sparse product ``XᵀX`` of the basket matrix,
    so memory grows with the number of co-purchased pairs, not with the square of
    the number of products.

    Args:
        baskets (BasketMatrix): The baskets; empty ones count in ``N``.
        min_count (int): Keep only pairs bought together in at least this many
            baskets (default: 1).

    Returns:
        PairStatistics: One row per pair, sorted by ``(a, b)``.

    Raises:
        ConfigurationError: If ``min_count`` is below 1.
    """
    _check_positive("min_count", min_count)
    a, b, count, item_count = count_pairs(baskets.matrix)
    keep = count >= min_count
    a, b, count = a[keep], b[keep], count[keep]
    n = float(baskets.num_orders)
    n_a = item_count[a].astype(np.float64)
    n_b = item_count[b].astype(np.float64)
    n_ab = count.astype(np.float64)
    confidence_ab = n_ab / n_a
    confidence_ba = n_ab / n_b

    return PairStatistics(
        a=a,
        b=b,
        count=count,
        support=n_ab / n,
        confidence_ab=confidence_ab,
        confidence_ba=confidence_ba,
        lift=n_ab * n / (n_a * n_b),
        leverage=n_ab / n - (n_a / n) * (n_b / n),
        conviction_ab=compute_conviction(n_ab, n_a, n_b, n),
        conviction_ba=compute_conviction(n_ab, n_b, n_a, n),
        jaccard=n_ab / (n_a + n_b - n_ab),
        item_count=item_count,
        num_baskets=baskets.num_orders,
        product_ids=baskets.product_ids,
    )


def count_pairs(
    matrix: sparse.csr_array,
) -> tuple[IndexArray, IndexArray, IndexArray, IndexArray]:
    """Count the baskets holding each pair of products, and each product.

    Args:
        matrix (scipy.sparse.csr_array): ``[num_orders, num_products]`` 0/1.

    Returns:
        tuple: ``(a, b, count, item_count)``: the pairs with ``a < b`` that share at
        least one basket, sorted by ``(a, b)``, their counts, and ``[num_products]``
        counts of single products.
    """
    # int8 would overflow past 127 baskets; the product keeps the input's dtype.
    x = matrix.astype(np.int64)
    co_purchase = sparse.triu(x.T @ x, k=1, format="coo")
    a = co_purchase.row.astype(np.int64)
    b = co_purchase.col.astype(np.int64)
    order = np.lexsort((b, a))
    item_count = np.asarray(x.sum(axis=0), dtype=np.int64).reshape(-1)

    return a[order], b[order], co_purchase.data[order].astype(np.int64), item_count


def compute_conviction(
    n_ab: FloatArray, n_from: FloatArray, n_to: FloatArray, n: float
) -> FloatArray:
    """Compute the conviction of ``from → to`` from basket counts.

    Args:
        n_ab (numpy.ndarray): Baskets holding both sides.
        n_from (numpy.ndarray): Baskets holding the antecedent.
        n_to (numpy.ndarray): Baskets holding the consequent.
        n (float): All baskets.

    Returns:
        numpy.ndarray: ``(1 - n_to / n) / (1 - n_ab / n_from)``, and ``inf`` where
        the confidence ``n_ab / n_from`` is 1.
    """
    confidence = n_ab / n_from
    sure = confidence >= 1.0
    denominator = np.where(sure, 1.0, 1.0 - confidence)

    return np.where(sure, np.inf, (1.0 - n_to / n) / denominator)


def _directed_rows(
    pairs: PairStatistics, min_count: int
) -> tuple[IndexArray, npt.NDArray[np.bool_]]:
    """Return both directions of the pairs bought together ``min_count`` times.

    Returns:
        tuple: ``(pair, forward)``: each row's pair, and whether it runs ``a → b``
        (else ``b → a``). Rows are sorted by product, then partner.
    """
    kept = np.flatnonzero(pairs.count >= min_count)
    pair = np.concatenate([kept, kept])
    forward = np.repeat(np.array([False, True]), len(kept))
    # The b → a half comes first, and each half is sorted by (a, b); sorted stably
    # by product, each product's partners then ascend: those below it from the
    # first half, then those above it from the second.
    by_product = np.argsort(
        np.concatenate([pairs.b[kept], pairs.a[kept]]), kind="stable"
    )

    return pair[by_product], forward[by_product]


def _oriented(
    pairs: PairStatistics, by: str, pair: IndexArray, forward: npt.NDArray[np.bool_]
) -> FloatArray:
    """Return a measure of the given rows, from product to partner."""
    if by in ("confidence", "conviction"):
        ab: FloatArray = getattr(pairs, f"{by}_ab")
        ba: FloatArray = getattr(pairs, f"{by}_ba")
        return np.where(forward, ab[pair], ba[pair])
    column: npt.NDArray[np.generic] = getattr(pairs, by)

    return column[pair].astype(np.float64)


def _partner_table(
    pairs: PairStatistics,
    pair: IndexArray,
    forward: npt.NDArray[np.bool_],
    rank: IndexArray,
) -> PartnerTable:
    """Return the given directed rows with their measures."""
    return PartnerTable(
        product=np.where(forward, pairs.a[pair], pairs.b[pair]),
        partner=np.where(forward, pairs.b[pair], pairs.a[pair]),
        rank=rank.astype(np.int64),
        count=pairs.count[pair],
        support=pairs.support[pair],
        confidence=_oriented(pairs, "confidence", pair, forward),
        lift=pairs.lift[pair],
        leverage=pairs.leverage[pair],
        conviction=_oriented(pairs, "conviction", pair, forward),
        jaccard=pairs.jaccard[pair],
        product_ids=pairs.product_ids,
    )


def _rank_within(groups: IndexArray) -> IndexArray:
    """Return each row's position within its run of equal, sorted ``groups``."""
    positions = np.arange(len(groups), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_lengths = np.diff(np.r_[starts, len(groups)])

    return positions - np.repeat(starts, run_lengths)


def _check_positive(name: str, value: int) -> None:
    """Raise :class:`ConfigurationError` unless ``value`` is an int of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigurationError(f"{name} is {value!r}; use a whole number >= 1.")
