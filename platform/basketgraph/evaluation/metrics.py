"""Ranking metrics over the whole catalogue, and bootstrap confidence intervals.

Everything here is pure numpy and does no IO. A recommender's output is a
``[num_queries, num_products]`` score matrix (higher is better, ``-inf`` for a
product it cannot score, see :mod:`basketgraph.recommend.base`). The functions
turn it into ranks or top-K lists against the *full* catalogue (never sampled
negatives, which inflate every metric), then into per-query metric values that
:func:`bootstrap_ci` and :func:`summarise` average.

Conventions shared by every function:

* **Exclusions.** The products of the query's own basket are removed from the
  ranking before anything is counted, as if they were not in the catalogue.
  They are given as one collection of columns per query, as a sparse
  ``[num_queries, num_products]`` matrix whose non-zero entries mark them, or as
  a dense boolean matrix of that shape. A 2-D array that is not boolean is read
  as one row of columns per query.
* **Pessimistic ties.** A target is ranked *after* every other product with an
  equal score. Any kinder rule rewards a scorer for saying nothing: with random
  or mid-point tie-breaking, a constant scorer would land its target in the
  middle of the catalogue and earn hits on a small catalogue, and a scorer that
  gives many products the same score would gain from the ties. Pessimistically,
  a constant scorer ranks every target last.
* **Not found.** A target scored ``-inf`` (unscored) or ``NaN`` gets rank
  ``inf``: it contributes zero to every metric. ``NaN`` scores of other products
  count as unscored and never push a target down.
* **Empty input.** Per-query functions return empty arrays for zero queries;
  averages over zero queries (:func:`bootstrap_ci`, :func:`summarise`) are
  ``nan``, never ``0``, which would read as a real, terrible score. No warning
  is emitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: A sparse ``[num_queries, num_products]`` mask; its non-zero entries mark columns.
#: (Any scipy sparse format works at run time; these are the ones typed.)
SparseMask: TypeAlias = (
    sparse.csr_array[Any, Any]
    | sparse.csc_array[Any]
    | sparse.coo_array[Any, Any]
    | sparse.csr_matrix[Any]
    | sparse.csc_matrix[Any]
    | sparse.coo_matrix[Any]
)

#: Columns per query: one collection of columns per query (lists, sets, arrays, or
#: a 2-D integer array read row by row), a sparse mask, or a dense boolean
#: ``[num_queries, num_products]`` mask.
Columns: TypeAlias = (
    Sequence[Iterable[int]] | npt.NDArray[np.integer[Any]] | SparseMask | BoolArray
)

#: Most score entries held in one working chunk (32 MiB of float64): large score
#: matrices are processed a block of rows at a time to bound the memory used.
_CHUNK_ELEMENTS = 1 << 22

_NAN = float("nan")


@dataclass(frozen=True)
class _RaggedColumns:
    """Columns of each query in CSR form.

    Query ``q`` owns ``indices[indptr[q]:indptr[q + 1]]``.
    """

    indptr: IndexArray
    indices: IndexArray

    def lengths(self) -> IndexArray:
        """Return ``[num_queries]`` how many columns each query owns."""
        return np.diff(self.indptr)

    def mask(self, rows: IndexArray, num_products: int) -> BoolArray:
        """Return ``[len(rows), num_products]``, true at the columns of each row."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        owner = np.repeat(np.arange(rows.size), lengths)
        # Position of each entry inside its own row's run of columns.
        within = np.arange(owner.size) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        mask = np.zeros((rows.size, num_products), dtype=np.bool_)
        mask[owner, self.indices[np.repeat(starts, lengths) + within]] = True

        return mask


def _check_mask_shape(
    shape: tuple[int, ...], num_queries: int, num_products: int | None, what: str
) -> None:
    """Raise unless a mask of ``shape`` has one row per query (and product)."""
    rows_fit = len(shape) == 2 and shape[0] == num_queries
    if not rows_fit or num_products not in (None, shape[1]):
        raise ValueError(
            f"The {what} mask has shape {shape!r}, but the scores call for "
            f"({num_queries}, {num_products}); pass one row per query."
        )


def _sequence_pairs(
    columns: Sequence[Iterable[int]] | npt.NDArray[Any],
    num_queries: int,
    what: str,
) -> tuple[IndexArray, IndexArray]:
    """Flatten one collection of columns per query into ``(query, column)`` pairs."""
    if len(columns) != num_queries:
        raise ValueError(
            f"{len(columns)!r} {what} column collections were given for "
            f"{num_queries!r} queries; pass exactly one (possibly empty) per query."
        )

    per_query = [
        np.asarray(row, dtype=np.int64).ravel()
        if isinstance(row, np.ndarray)
        else np.fromiter(row, dtype=np.int64)
        for row in columns
    ]
    lengths = np.array([row.size for row in per_query], dtype=np.int64)
    rows = np.repeat(np.arange(num_queries, dtype=np.int64), lengths)
    cols = np.concatenate(per_query) if per_query else np.zeros(0, np.int64)

    return rows, cols


def _column_pairs(
    columns: Columns | None, num_queries: int, num_products: int | None, what: str
) -> tuple[IndexArray, IndexArray]:
    """Flatten ``columns`` into ``(query, column)`` pairs, in the given order."""
    if columns is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)

    if isinstance(columns, np.ndarray) and columns.dtype == np.bool_:
        _check_mask_shape(columns.shape, num_queries, num_products, what)
        rows, cols = np.nonzero(columns)
        return rows.astype(np.int64), cols.astype(np.int64)

    if isinstance(columns, Sequence | np.ndarray):
        return _sequence_pairs(columns, num_queries, what)

    _check_mask_shape(columns.shape, num_queries, num_products, what)
    # find() skips explicitly stored zeros, so they do not mark anything.
    marked_rows, marked_cols, _ = sparse.find(columns)

    return marked_rows.astype(np.int64), marked_cols.astype(np.int64)


def _to_ragged(
    columns: Columns | None, num_queries: int, num_products: int | None, what: str
) -> _RaggedColumns:
    """Check ``columns`` and put them in CSR form (see :class:`_RaggedColumns`)."""
    rows, cols = _column_pairs(columns, num_queries, num_products, what)
    upper = np.inf if num_products is None else num_products
    outside = (cols < 0) | (cols >= upper)
    if outside.any():
        raise ValueError(
            f"The {what} columns include {int(cols[outside][0])!r}, outside the "
            f"catalogue of {num_products!r} products; use column indices "
            "0 <= column < num_products."
        )

    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=num_queries)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    return _RaggedColumns(indptr=indptr, indices=cols[order])


def _as_scores(scores: npt.ArrayLike) -> FloatArray:
    """Return ``scores`` as a 2-D float64 array, or raise on any other shape."""
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(
            f"Scores must be a [num_queries, num_products] matrix, not an array of "
            f"shape {matrix.shape!r}; reshape a single query's scores to (1, -1)."
        )

    return matrix


def _check_k(k: int) -> None:
    """Raise unless ``k`` is a positive cut-off."""
    if k < 1:
        raise ValueError(f"The cut-off k must be at least 1, not {k!r}.")


def _chunks(num_rows: int, num_products: int) -> Iterator[slice]:
    """Yield row slices small enough to hold ``num_products`` scores each."""
    step = max(1, _CHUNK_ELEMENTS // max(num_products, 1))
    for start in range(0, num_rows, step):
        yield slice(start, min(start + step, num_rows))


def _masked(scores: FloatArray, excluded: BoolArray) -> FloatArray:
    """Return a copy of ``scores`` with excluded and ``NaN`` entries set to ``-inf``."""
    return np.where(excluded | np.isnan(scores), -np.inf, scores)


def _rank_pairs(
    scores: FloatArray,
    queries: IndexArray,
    products: IndexArray,
    exclusion: _RaggedColumns,
) -> FloatArray:
    """Return the pessimistic rank of each ``products[i]`` for ``queries[i]``."""
    num_products = scores.shape[1]
    ranks = np.empty(queries.size, dtype=np.float64)
    for part in _chunks(queries.size, num_products):
        rows, cols = queries[part], products[part]
        excluded = exclusion.mask(rows, num_products)
        hidden = excluded[np.arange(rows.size), cols]
        if hidden.any():
            raise ValueError(
                f"Query {int(rows[hidden][0])!r} excludes its own target product "
                f"{int(cols[hidden][0])!r}; a held-out product must not be among "
                "the products removed from its ranking."
            )

        target = scores[rows, cols]
        masked = _masked(scores[rows], excluded)
        # Every kept product scoring at least the target, the target included:
        # ties count against the target.
        at_least = np.count_nonzero(masked >= target[:, None], axis=1)
        # NaN > -inf is false, so NaN targets are not found either.
        ranks[part] = np.where(target > -np.inf, at_least, np.inf)

    return ranks


def rank_of(
    scores: npt.ArrayLike, targets: npt.ArrayLike, exclude: Columns | None = None
) -> FloatArray:
    """Rank each query's target among the whole catalogue, 1 being the best.

    Ties are pessimistic: the target comes after every other product with the
    same score, so a constant scorer ranks every target last (see the module
    docstring for why it must not be rewarded).

    Args:
        scores (numpy.typing.ArrayLike): ``[num_queries, num_products]`` scores.
        targets (numpy.typing.ArrayLike): ``[num_queries]`` the column of each
            query's held-out product.
        exclude (Columns, optional): Columns removed from each query's ranking,
            usually the rest of its basket. (default: :obj:`None`)

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 ranks in ``1..num_products``
        minus the exclusions, or ``inf`` where the target is scored ``-inf`` or
        ``NaN``.

    Raises:
        ValueError: If the shapes disagree, a column is outside the catalogue,
            or a query excludes its own target.
    """
    matrix = _as_scores(scores)
    num_queries, num_products = matrix.shape
    wanted = np.asarray(targets, dtype=np.int64)
    if wanted.shape != (num_queries,):
        raise ValueError(
            f"Targets have shape {wanted.shape!r}, but the scores have "
            f"{num_queries!r} queries; pass one target column per query."
        )

    outside = (wanted < 0) | (wanted >= num_products)
    if outside.any():
        raise ValueError(
            f"Target {int(wanted[outside][0])!r} is outside the catalogue of "
            f"{num_products!r} products; use column indices 0 <= t < num_products."
        )

    exclusion = _to_ragged(exclude, num_queries, num_products, "exclude")

    return _rank_pairs(matrix, np.arange(num_queries), wanted, exclusion)


def ranks_of_relevant(
    scores: npt.ArrayLike, relevant: Columns, exclude: Columns | None = None
) -> list[FloatArray]:
    """Rank every relevant product of each query, for queries with several.

    Each relevant product is ranked among *all* kept products, the other
    relevant ones included: a relevant product scored above another pushes it
    down one place, exactly as it would in the list a user sees. Ties are
    pessimistic, as in :func:`rank_of`, so two relevant products with the same
    score share the worse rank. The best rank of a query gives its reciprocal
    rank: ``reciprocal_rank(min(ranks))``.

    Args:
        scores (numpy.typing.ArrayLike): ``[num_queries, num_products]`` scores.
        relevant (Columns): The relevant columns of each query.
        exclude (Columns, optional): Columns removed from each query's ranking.
            (default: :obj:`None`)

    Returns:
        list[numpy.ndarray]: One float64 array per query with the rank of each
        of its relevant columns, in the order given (``inf`` if not found).

    Raises:
        ValueError: If the shapes disagree, a column is outside the catalogue,
            or a relevant product is also excluded.
    """
    matrix = _as_scores(scores)
    num_queries, num_products = matrix.shape
    wanted = _to_ragged(relevant, num_queries, num_products, "relevant")
    exclusion = _to_ragged(exclude, num_queries, num_products, "exclude")
    queries = np.repeat(np.arange(num_queries), wanted.lengths())
    ranks = _rank_pairs(matrix, queries, wanted.indices, exclusion)

    return np.split(ranks, wanted.indptr[1:-1])


def _top_columns(masked: FloatArray, width: int) -> IndexArray:
    """Return each row's best ``width`` columns, best first, ``-1`` for ``-inf``."""
    # The width-th best score of each row: the top list is every column above
    # it, then the lowest columns tied with it until the list is full.
    cutoff = -np.partition(-masked, width - 1, axis=1)[:, width - 1 : width]
    above = masked > cutoff
    tied = masked == cutoff
    room = width - np.count_nonzero(above, axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
    # Exactly `width` columns per row are chosen, in increasing column order.
    columns = np.nonzero(chosen)[1].reshape(-1, width).astype(np.int64)
    values = np.take_along_axis(masked, columns, axis=1)
    # Stable sort: equal scores stay in column order.
    order = np.argsort(-values, axis=1, kind="stable")
    columns = np.take_along_axis(columns, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)

    return np.where(values > -np.inf, columns, -1)


def top_k(scores: npt.ArrayLike, k: int, exclude: Columns | None = None) -> IndexArray:
    """Return each query's ``k`` best columns, best first.

    Equal scores are ordered by column index, so the lists are deterministic.
    Excluded, ``-inf`` and ``NaN`` products are never listed; a list that runs
    out of scored products (or a catalogue smaller than ``k``) is padded with
    ``-1`` at the end.

    Args:
        scores (numpy.typing.ArrayLike): ``[num_queries, num_products]`` scores.
        k (int): Length of each list.
        exclude (Columns, optional): Columns never listed for each query.
            (default: :obj:`None`)

    Returns:
        numpy.ndarray: ``[num_queries, k]`` int64 columns, ``-1`` as padding.

    Raises:
        ValueError: If ``k < 1``, the shapes disagree or a column is outside the
            catalogue.
    """
    matrix = _as_scores(scores)
    _check_k(k)
    num_queries, num_products = matrix.shape
    exclusion = _to_ragged(exclude, num_queries, num_products, "exclude")
    top = np.full((num_queries, k), -1, dtype=np.int64)
    width = min(k, num_products)
    if width == 0:
        return top

    for part in _chunks(num_queries, num_products):
        rows = np.arange(part.start, part.stop)
        masked = _masked(matrix[part], exclusion.mask(rows, num_products))
        top[part, :width] = _top_columns(masked, width)

    return top


def answerable(scores: npt.ArrayLike, exclude: Columns | None = None) -> BoolArray:
    """Tell which queries the scorer can answer at all.

    A query is answerable when at least one kept product has a score above
    ``-inf`` (``NaN`` does not count). Reports give the share of answerable
    queries beside the metrics, which count unanswerable ones as misses.

    Args:
        scores (numpy.typing.ArrayLike): ``[num_queries, num_products]`` scores.
        exclude (Columns, optional): Columns that do not count, usually the
            query's basket. (default: :obj:`None`)

    Returns:
        numpy.ndarray: ``[num_queries]`` bool.

    Raises:
        ValueError: If the shapes disagree or a column is outside the catalogue.
    """
    matrix = _as_scores(scores)
    num_queries, num_products = matrix.shape
    exclusion = _to_ragged(exclude, num_queries, num_products, "exclude")
    found = np.zeros(num_queries, dtype=np.bool_)
    for part in _chunks(num_queries, num_products):
        rows = np.arange(part.start, part.stop)
        masked = _masked(matrix[part], exclusion.mask(rows, num_products))
        found[part] = (masked > -np.inf).any(axis=1)

    return found


def _as_ranks(ranks: npt.ArrayLike) -> FloatArray:
    """Return ``ranks`` as a 1-D float64 array, or raise if one is not a rank."""
    values = np.asarray(ranks, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"Ranks must be 1-D, not of shape {values.shape!r}.")

    invalid = ~(values >= 1)  # NaN fails the comparison too
    if invalid.any():
        raise ValueError(
            f"Rank {float(values[invalid][0])!r} is not a rank; ranks are 1-based, "
            "with inf for a target that was not found (see rank_of)."
        )

    return values


def hit_rate(ranks: npt.ArrayLike, k: int) -> FloatArray:
    """Return per query 1.0 if its target ranks in the top ``k``, else 0.0.

    Args:
        ranks (numpy.typing.ArrayLike): ``[num_queries]`` ranks from
            :func:`rank_of`.
        k (int): The cut-off.

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 hits.

    Raises:
        ValueError: If ``k < 1`` or a rank is below 1 or ``NaN``.
    """
    values = _as_ranks(ranks)
    _check_k(k)

    return (values <= k).astype(np.float64)


def ndcg(ranks: npt.ArrayLike, k: int) -> FloatArray:
    """Return per query the NDCG@k of its one relevant target.

    With a single relevant product the ideal DCG is 1, so NDCG@k is
    ``1 / log2(rank + 1)`` for ``rank <= k`` and 0 otherwise.

    Args:
        ranks (numpy.typing.ArrayLike): ``[num_queries]`` ranks from
            :func:`rank_of`.
        k (int): The cut-off.

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 gains in ``[0, 1]``.

    Raises:
        ValueError: If ``k < 1`` or a rank is below 1 or ``NaN``.
    """
    values = _as_ranks(ranks)
    _check_k(k)

    # log2(inf) is inf without a warning, so unfound targets need no special case.
    gains: FloatArray = np.where(values <= k, 1.0 / np.log2(values + 1.0), 0.0)

    return gains


def reciprocal_rank(ranks: npt.ArrayLike) -> FloatArray:
    """Return per query ``1 / rank``, 0 for a target not found; MRR is the mean.

    Args:
        ranks (numpy.typing.ArrayLike): ``[num_queries]`` ranks from
            :func:`rank_of`.

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 in ``[0, 1]``.

    Raises:
        ValueError: If a rank is below 1 or ``NaN``.
    """
    return np.divide(1.0, _as_ranks(ranks))


def _relevant_hits(
    top_lists: npt.ArrayLike, relevant: Columns, k: int | None
) -> tuple[BoolArray, IndexArray]:
    """Return ``[num_queries, k]`` hits of the lists and each query's count."""
    top = np.asarray(top_lists, dtype=np.int64)
    if top.ndim != 2:
        raise ValueError(f"Top lists must be 2-D, not of shape {top.shape!r}.")

    width = top.shape[1] if k is None else k
    _check_k(width)
    if width > top.shape[1]:
        raise ValueError(
            f"The top lists hold {top.shape[1]!r} columns, fewer than k={k!r}; "
            "ask top_k for lists at least as long as the largest cut-off."
        )

    top = top[:, :width]
    num_queries = top.shape[0]
    wanted = _to_ragged(relevant, num_queries, None, "relevant")
    rows = np.repeat(np.arange(num_queries, dtype=np.int64), wanted.lengths())
    cols = wanted.indices
    # One integer key per (query, column) pair; unique() drops repeated columns.
    base = int(max(top.max(initial=-1), cols.max(initial=-1))) + 1
    keys = np.unique(rows * base + cols)
    counts = np.bincount(keys // max(base, 1), minlength=num_queries)
    if (counts == 0).any():
        raise ValueError(
            f"Query {int(np.argmin(counts))!r} has no relevant products; recall "
            "over an empty set is undefined, so leave such queries out."
        )

    queries = np.arange(num_queries, dtype=np.int64)[:, None]
    hits = (top >= 0) & np.isin(queries * base + top, keys)

    return hits, counts.astype(np.int64)


def recall_at_k(
    top_lists: npt.ArrayLike, relevant: Columns, k: int | None = None
) -> FloatArray:
    """Return per query the share of its relevant products in its top list.

    ``recall = |top-k ∩ relevant| / |relevant|``. Lists from :func:`top_k` never
    repeat a column; repeated relevant columns count once.

    Args:
        top_lists (numpy.typing.ArrayLike): ``[num_queries, K]`` columns from
            :func:`top_k`, ``-1`` as padding.
        relevant (Columns): The relevant columns of each query, at least one.
        k (int, optional): Use only the first ``k`` columns of each list.
            (default: :obj:`None`, all ``K``)

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 in ``[0, 1]``.

    Raises:
        ValueError: If a query has no relevant product, ``k`` is below 1 or
            above ``K``, or the shapes disagree.
    """
    hits, counts = _relevant_hits(top_lists, relevant, k)

    shares: FloatArray = hits.sum(axis=1) / counts.astype(np.float64)

    return shares


def ndcg_at_k_multi(
    top_lists: npt.ArrayLike, relevant: Columns, k: int | None = None
) -> FloatArray:
    """Return per query the NDCG@k of a top list against several relevant products.

    Every relevant product has gain 1; position ``i`` (0-based) is discounted by
    ``1 / log2(i + 2)``. The ideal DCG puts ``min(|relevant|, k)`` hits first,
    so a query with fewer relevant products than ``k`` can still reach 1.

    Args:
        top_lists (numpy.typing.ArrayLike): ``[num_queries, K]`` columns from
            :func:`top_k`, ``-1`` as padding.
        relevant (Columns): The relevant columns of each query, at least one.
        k (int, optional): Use only the first ``k`` columns of each list.
            (default: :obj:`None`, all ``K``)

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 in ``[0, 1]``.

    Raises:
        ValueError: If a query has no relevant product, ``k`` is below 1 or
            above ``K``, or the shapes disagree.
    """
    hits, counts = _relevant_hits(top_lists, relevant, k)
    width = hits.shape[1]
    discount = 1.0 / np.log2(np.arange(width, dtype=np.float64) + 2.0)
    dcg = hits @ discount
    # ideal[n]: the DCG of n hits at the top of the list.
    ideal = np.concatenate([[0.0], np.cumsum(discount)])

    return np.asarray(dcg / ideal[np.minimum(counts, width)], dtype=np.float64)


def hit_rate_multi(
    top_lists: npt.ArrayLike, relevant: Columns, k: int | None = None
) -> FloatArray:
    """Return per query 1.0 if any relevant product is in its top list, else 0.0.

    Args:
        top_lists (numpy.typing.ArrayLike): ``[num_queries, K]`` columns from
            :func:`top_k`, ``-1`` as padding.
        relevant (Columns): The relevant columns of each query, at least one.
        k (int, optional): Use only the first ``k`` columns of each list.
            (default: :obj:`None`, all ``K``)

    Returns:
        numpy.ndarray: ``[num_queries]`` float64 hits.

    Raises:
        ValueError: If a query has no relevant product, ``k`` is below 1 or
            above ``K``, or the shapes disagree.
    """
    hits, _ = _relevant_hits(top_lists, relevant, k)

    return np.asarray(hits.any(axis=1), dtype=np.float64)


def catalogue_coverage(top_lists: npt.ArrayLike, num_products: int) -> float:
    """Return the share of the catalogue that appears in at least one top list.

    Args:
        top_lists (numpy.typing.ArrayLike): ``[num_queries, k]`` columns from
            :func:`top_k`; ``-1`` padding is ignored.
        num_products (int): Size of the catalogue.

    Returns:
        float: In ``[0, 1]``; ``nan`` for an empty catalogue.

    Raises:
        ValueError: If a listed column is outside the catalogue.
    """
    top = np.asarray(top_lists, dtype=np.int64)
    listed = np.unique(top[top >= 0])
    if listed.size and listed[-1] >= num_products:
        raise ValueError(
            f"Column {int(listed[-1])!r} is listed, but the catalogue holds only "
            f"{num_products!r} products; pass the catalogue size the scores had."
        )

    if num_products <= 0:
        return _NAN

    return listed.size / num_products


def _group_totals(
    values: FloatArray, groups: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray]:
    """Return the sum and the size of each group (each value alone without groups)."""
    if groups is None:
        return values, np.ones_like(values)

    labels = np.asarray(groups)
    if labels.shape != values.shape:
        raise ValueError(
            f"Groups have shape {labels.shape!r} but values {values.shape!r}; "
            "pass one group label per value."
        )

    _, inverse = np.unique(labels, return_inverse=True)
    sums = np.bincount(inverse, weights=values).astype(np.float64)
    sizes = np.bincount(inverse).astype(np.float64)

    return sums, sizes


def _resampled_means(
    sums: FloatArray, sizes: FloatArray, n_boot: int, seed: int
) -> FloatArray:
    """Return ``[n_boot]`` means of samples of whole groups drawn with replacement."""
    rng = np.random.default_rng(seed)
    num_groups = sums.size
    means = np.empty(n_boot, dtype=np.float64)
    step = max(1, _CHUNK_ELEMENTS // num_groups)
    for start in range(0, n_boot, step):
        stop = min(start + step, n_boot)
        picks = rng.integers(0, num_groups, size=(stop - start, num_groups))
        # The pooled mean of the drawn groups' values, not a mean of group means.
        means[start:stop] = sums[picks].sum(axis=1) / sizes[picks].sum(axis=1)

    return means


def bootstrap_ci(
    values: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Estimate the mean of per-query values with a percentile bootstrap interval.

    Without ``groups`` every value is resampled on its own. With ``groups``,
    whole groups are resampled: all queries held out of one basket share that
    basket's other products, so their values are correlated, and resampling them
    one by one would pretend there is more independent evidence than there is
    and give too narrow an interval. Each replicate is the pooled mean of the
    values of the drawn groups. The result depends only on the inputs and
    ``seed``.

    Args:
        values (numpy.typing.ArrayLike): ``[n]`` per-query metric values.
        groups (numpy.typing.ArrayLike, optional): ``[n]`` label of the group
            (e.g. basket) of each value. (default: :obj:`None`)
        n_boot (int, optional): Bootstrap replicates. (default: ``1000``)
        alpha (float, optional): One minus the interval's coverage.
            (default: ``0.05``, a 95% interval)
        seed (int, optional): Seed of the resampling. (default: ``0``)

    Returns:
        tuple[float, float, float]: ``(mean, low, high)``; all ``nan`` when
        ``values`` is empty.

    Raises:
        ValueError: If ``values`` is not 1-D or holds ``NaN``, ``groups`` does
            not match it, ``n_boot < 1`` or ``alpha`` is outside ``(0, 1)``.
    """
    sample = np.asarray(values, dtype=np.float64)
    if sample.ndim != 1 or np.isnan(sample).any():
        raise ValueError(
            f"Values must be a 1-D array without NaN (got shape {sample.shape!r}); "
            "drop undefined per-query values before averaging."
        )

    if n_boot < 1 or not 0.0 < alpha < 1.0:
        raise ValueError(
            f"Need n_boot >= 1 and 0 < alpha < 1, not n_boot={n_boot!r}, "
            f"alpha={alpha!r}."
        )

    sums, sizes = _group_totals(sample, groups)
    if sample.size == 0:
        return _NAN, _NAN, _NAN

    means = _resampled_means(sums, sizes, n_boot, seed)
    low, high = np.quantile(means, [alpha / 2.0, 1.0 - alpha / 2.0])

    return float(sample.mean()), float(low), float(high)


def summarise(
    ranks: npt.ArrayLike,
    ks: Sequence[int] = (5, 10, 20),
    groups: npt.ArrayLike | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    """Average the single-target metrics of many queries, with bootstrap intervals.

    For each ``k`` in ``ks`` the keys are ``HR@k``, ``Recall@k`` and ``NDCG@k``,
    then ``MRR``; each comes with ``<key>_low`` and ``<key>_high`` (see
    :func:`bootstrap_ci`), and ``queries`` counts the queries. In basket
    completion with one held-out product per query there is one relevant
    product, so recall@k equals the hit rate@k: ``Recall@k`` repeats ``HR@k``
    under the name other papers use.

    Args:
        ranks (numpy.typing.ArrayLike): ``[num_queries]`` ranks from
            :func:`rank_of`.
        ks (Sequence[int], optional): Cut-offs. (default: ``(5, 10, 20)``)
        groups (numpy.typing.ArrayLike, optional): ``[num_queries]`` group of
            each query, resampled together. (default: :obj:`None`)
        n_boot (int, optional): Bootstrap replicates. (default: ``1000``)
        alpha (float, optional): One minus the intervals' coverage.
            (default: ``0.05``)
        seed (int, optional): Seed of the resampling. (default: ``0``)

    Returns:
        dict[str, float]: The metrics; every value but ``queries`` is ``nan``
        when there are no queries.

    Raises:
        ValueError: If a rank or ``k`` is invalid, or ``groups`` does not match.
    """
    values = _as_ranks(ranks)
    per_query: dict[str, FloatArray] = {}
    for k in ks:
        per_query[f"HR@{k}"] = hit_rate(values, k)
        per_query[f"Recall@{k}"] = per_query[f"HR@{k}"]
        per_query[f"NDCG@{k}"] = ndcg(values, k)

    per_query["MRR"] = reciprocal_rank(values)
    summary = {"queries": float(values.size)}
    for name, metric in per_query.items():
        mean, low, high = bootstrap_ci(metric, groups, n_boot, alpha, seed)
        summary[name] = mean
        summary[f"{name}_low"] = low
        summary[f"{name}_high"] = high

    return summary
