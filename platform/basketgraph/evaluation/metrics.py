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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Columns and SparseMask are part of this module's interface, as they were
# before they moved.
from basketgraph.evaluation._columns import Columns as Columns
from basketgraph.evaluation._columns import RaggedColumns, to_ragged
from basketgraph.evaluation._columns import SparseMask as SparseMask
from basketgraph.evaluation._selection import top_columns

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Most score entries held in one working block (2 MiB of float64): score matrices
#: are processed a block of rows at a time, which bounds the memory used and keeps
#: the several passes over a block within the processor's cache (blocks from
#: 1 to 8 MiB took about as long on a 4,000-product catalogue; 256 KiB took half
#: as long again, and 16 MiB twice as long).
_CHUNK_ELEMENTS = 1 << 18

#: Most bootstrap draws made at once. The draws depend on how they are split, so
#: this must not change, or every published interval would move a little.
_DRAW_ELEMENTS = 1 << 22

_NAN = float("nan")


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


def _check_targets(
    targets: npt.ArrayLike, num_queries: int, num_products: int
) -> IndexArray:
    """Return ``targets`` as columns, or raise unless there is one valid per query."""
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

    return wanted


def _chunks(num_rows: int, num_products: int) -> Iterator[slice]:
    """Yield row slices small enough to hold ``num_products`` scores each."""
    step = max(1, _CHUNK_ELEMENTS // max(num_products, 1))
    for start in range(0, num_rows, step):
        yield slice(start, min(start + step, num_rows))


def _raise_if_excluded(
    rows: IndexArray,
    cols: IndexArray,
    excluded: tuple[IndexArray, IndexArray],
    one_per_row: bool,
) -> None:
    """Raise if a ``(rows[i], cols[i])`` target is among the excluded entries.

    With ``one_per_row``, ``rows`` must be ``0, 1, 2, ...``.
    """
    if one_per_row:
        # Compare each excluded entry with its own row's target.
        clash = excluded[0][excluded[1] == cols[excluded[0]]]
        hidden = np.zeros(rows.size, dtype=np.bool_)
        hidden[clash] = True
    else:
        width = int(max(cols.max(initial=0), excluded[1].max(initial=0))) + 1
        hidden = np.isin(rows * width + cols, excluded[0] * width + excluded[1])
    if hidden.any():
        first = int(np.argmax(hidden))
        raise ValueError(
            f"Query {int(rows[first])!r} excludes its own target product "
            f"{int(cols[first])!r}; a held-out product must not be among "
            "the products removed from its ranking."
        )


def _ranks_in(
    masked: FloatArray,
    cols: IndexArray,
    rows: IndexArray | None = None,
    flags: BoolArray | None = None,
) -> FloatArray:
    """Return the pessimistic rank of each target column in a masked block.

    Args:
        masked (numpy.ndarray): ``[block_rows, num_products]`` masked scores
            (see :class:`_Block`).
        cols (numpy.ndarray): ``[pairs]`` column of each target.
        rows (numpy.ndarray, optional): ``[pairs]`` block row of each target.
            (default: :obj:`None`, one target per row)
        flags (numpy.ndarray, optional): Scratch booleans of the shape of
            ``masked``, for one target per row. (default: :obj:`None`)
    """
    if rows is None:
        target = masked[np.arange(cols.size), cols]
        at_or_above = np.greater_equal(masked, target[:, None], out=flags)
    else:
        target = masked[rows, cols]
        at_or_above = masked[rows] >= target[:, None]
    # Every kept product scoring at least the target, the target included: ties
    # count against the target. NaN and excluded scores are -inf by now.
    at_least = np.count_nonzero(at_or_above, axis=1)
    # -inf (unscored, NaN, excluded) targets are not found.
    ranks: FloatArray = np.where(target > -np.inf, at_least, np.inf)

    return ranks


def _rank_pairs(
    scores: FloatArray,
    queries: IndexArray,
    products: IndexArray,
    exclusion: RaggedColumns,
) -> FloatArray:
    """Return the pessimistic rank of each ``products[i]`` for ``queries[i]``.

    ``queries`` must be ascending, as several targets of one query are.
    """
    ranks = np.empty(queries.size, dtype=np.float64)
    step = max(1, _CHUNK_ELEMENTS // max(scores.shape[1], 1))
    for block in _masked_blocks(scores, exclusion):
        part = block.part
        first, last = np.searchsorted(queries, [part.start, part.stop])
        rows, cols = queries[first:last] - part.start, products[first:last]
        _raise_if_excluded(rows, cols, block.excluded, one_per_row=False)
        # Each target gathers a copy of its row: cut them into blocks, too.
        for start in range(0, rows.size, step):
            stop = min(start + step, rows.size)
            ranks[first + start : first + stop] = _ranks_in(
                block.masked, cols[start:stop], rows[start:stop]
            )

    return ranks


@dataclass(frozen=True)
class _Block:
    """A block of rows of a score matrix, masked, with scratch space.

    Its arrays are reused for the next block: use them before asking for it.
    """

    #: The block's rows of the score matrix.
    part: slice
    #: ``[rows, num_products]`` the scores, excluded and ``NaN`` ones ``-inf``.
    masked: FloatArray
    #: ``(row, column)`` of the excluded entries, rows counted from ``part.start``.
    excluded: tuple[IndexArray, IndexArray]
    #: ``[rows, num_products]`` scratch booleans.
    flags: BoolArray


def _masked_blocks(matrix: FloatArray, exclusion: RaggedColumns) -> Iterator[_Block]:
    """Yield ``matrix`` masked block by block, in memory allocated once.

    Writing into memory used before is several times faster than into new
    memory, which the system maps page by page on first use.
    """
    num_rows, num_products = matrix.shape
    rows = min(num_rows, max(1, _CHUNK_ELEMENTS // max(num_products, 1)))
    scores = np.empty((rows, num_products), dtype=np.float64)
    flags = np.empty((rows, num_products), dtype=np.bool_)
    for part in _chunks(num_rows, num_products):
        size = part.stop - part.start
        excluded = exclusion.block(part)
        # fmax ignores NaN, so NaN becomes -inf and every other score stays.
        masked = np.fmax(matrix[part], -np.inf, out=scores[:size])
        masked[excluded] = -np.inf
        yield _Block(part, masked, excluded, flags[:size])


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
    wanted = _check_targets(targets, num_queries, num_products)
    exclusion = to_ragged(exclude, num_queries, num_products, "exclude")
    ranks = np.empty(num_queries, dtype=np.float64)
    for block in _masked_blocks(matrix, exclusion):
        cols = wanted[block.part]
        _raise_if_excluded(np.arange(cols.size), cols, block.excluded, True)
        ranks[block.part] = _ranks_in(block.masked, cols, flags=block.flags)

    return ranks


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
    wanted = to_ragged(relevant, num_queries, num_products, "relevant")
    exclusion = to_ragged(exclude, num_queries, num_products, "exclude")
    queries = np.repeat(np.arange(num_queries), wanted.lengths())
    ranks = _rank_pairs(matrix, queries, wanted.indices, exclusion)

    return np.split(ranks, wanted.indptr[1:-1])


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
    exclusion = to_ragged(exclude, num_queries, num_products, "exclude")
    top = np.full((num_queries, k), -1, dtype=np.int64)
    width = min(k, num_products)
    if width == 0:
        return top

    for block in _masked_blocks(matrix, exclusion):
        top[block.part, :width] = top_columns(block.masked, width, block.flags)

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
    exclusion = to_ragged(exclude, num_queries, num_products, "exclude")
    found = np.zeros(num_queries, dtype=np.bool_)
    for block in _masked_blocks(matrix, exclusion):
        scored = np.greater(block.masked, -np.inf, out=block.flags)
        found[block.part] = scored.any(axis=1)

    return found


@dataclass(frozen=True)
class RankedQueries:
    """What :func:`rank_queries` finds for each query, in one pass over the scores.

    Attributes:
        ranks (numpy.ndarray): ``[num_queries]`` as :func:`rank_of` gives them.
        top (numpy.ndarray): ``[num_queries, k]`` as :func:`top_k` gives them.
        answerable (numpy.ndarray): ``[num_queries]`` as :func:`answerable`
            gives it.
    """

    ranks: FloatArray
    top: IndexArray
    answerable: BoolArray


def rank_queries(
    scores: npt.ArrayLike,
    targets: npt.ArrayLike,
    k: int,
    exclude: Columns | None = None,
) -> RankedQueries:
    """Rank each query's target, list its top ``k`` and tell if it is answerable.

    The same as :func:`rank_of`, :func:`top_k` and :func:`answerable` with the
    same arguments, but each block of scores is masked once instead of three
    times, which is what an evaluation of many queries spends most time on.

    Args:
        scores (numpy.typing.ArrayLike): ``[num_queries, num_products]`` scores.
        targets (numpy.typing.ArrayLike): ``[num_queries]`` the column of each
            query's held-out product.
        k (int): Length of each top list.
        exclude (Columns, optional): Columns removed from each query's ranking
            and never listed. (default: :obj:`None`)

    Returns:
        RankedQueries: The ranks, the top lists and the answerable queries.

    Raises:
        ValueError: If ``k < 1``, the shapes disagree, a column is outside the
            catalogue, or a query excludes its own target.
    """
    matrix = _as_scores(scores)
    _check_k(k)
    num_queries, num_products = matrix.shape
    wanted = _check_targets(targets, num_queries, num_products)
    exclusion = to_ragged(exclude, num_queries, num_products, "exclude")
    ranks = np.empty(num_queries, dtype=np.float64)
    top = np.full((num_queries, k), -1, dtype=np.int64)
    width = min(k, num_products)
    for block in _masked_blocks(matrix, exclusion):
        part, masked = block.part, block.masked
        _raise_if_excluded(
            np.arange(masked.shape[0]), wanted[part], block.excluded, True
        )
        ranks[part] = _ranks_in(masked, wanted[part], flags=block.flags)
        top[part, :width] = top_columns(masked, width, block.flags)

    # The best kept product is listed first unless no kept product is scored.
    return RankedQueries(ranks, top, top[:, 0] >= 0)


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
    keys, base = _relevant_keys(relevant, num_queries, int(top.max(initial=-1)))
    counts = np.bincount(keys // base, minlength=num_queries)
    if (counts == 0).any():
        raise ValueError(
            f"Query {int(np.argmin(counts))!r} has no relevant products; recall "
            "over an empty set is undefined, so leave such queries out."
        )

    listed = np.arange(num_queries, dtype=np.int64)[:, None] * base + top
    # Where each listed pair would sit among the sorted keys, and whether it does.
    place = np.minimum(np.searchsorted(keys, listed), keys.size - 1)
    hits = (top >= 0) & (keys[place] == listed)

    return hits, counts.astype(np.int64)


def _relevant_keys(
    relevant: Columns, num_queries: int, largest: int
) -> tuple[IndexArray, int]:
    """Return each distinct ``(query, column)`` pair as one key, ascending.

    Args:
        relevant (Columns): The relevant columns of each query.
        num_queries (int): Number of queries.
        largest (int): The largest column that will be looked up.

    Returns:
        tuple[numpy.ndarray, int]: ``query * base + column`` keys, and ``base``.
    """
    wanted = to_ragged(relevant, num_queries, None, "relevant")
    rows = np.repeat(np.arange(num_queries, dtype=np.int64), wanted.lengths())
    cols = wanted.indices
    base = max(largest, int(cols.max(initial=-1))) + 1
    keys = rows * base + cols
    # Columns of a sparse matrix usually come sorted and distinct already.
    if (keys[1:] <= keys[:-1]).any():
        keys = np.sort(keys)
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]

    return keys, max(base, 1)


def _recall(hits: BoolArray, counts: IndexArray) -> FloatArray:
    """Return each row's share of its relevant products among its hits."""
    shares: FloatArray = hits.sum(axis=1) / counts.astype(np.float64)

    return shares


def _ndcg_multi(hits: BoolArray, counts: IndexArray) -> FloatArray:
    """Return each row's NDCG of its hits against ``counts`` relevant products."""
    width = hits.shape[1]
    discount = 1.0 / np.log2(np.arange(width, dtype=np.float64) + 2.0)
    dcg = hits @ discount
    # ideal[n]: the DCG of n hits at the top of the list.
    ideal = np.concatenate([[0.0], np.cumsum(discount)])

    return np.asarray(dcg / ideal[np.minimum(counts, width)], dtype=np.float64)


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
    return _recall(*_relevant_hits(top_lists, relevant, k))


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
    return _ndcg_multi(*_relevant_hits(top_lists, relevant, k))


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


def measure_top_lists(
    top_lists: npt.ArrayLike, relevant: Columns, ks: Sequence[int]
) -> dict[str, FloatArray]:
    """Return the multi-relevant metrics of top lists for several cut-offs at once.

    For each ``k`` in ``ks`` the keys are ``HR@k``, ``Recall@k`` and ``NDCG@k``,
    the values what :func:`hit_rate_multi`, :func:`recall_at_k` and
    :func:`ndcg_at_k_multi` give with that ``k``; the relevant products are read
    and looked up once for all of them.

    Args:
        top_lists (numpy.typing.ArrayLike): ``[num_queries, K]`` columns from
            :func:`top_k`, ``-1`` as padding.
        relevant (Columns): The relevant columns of each query, at least one. A
            CSR matrix with sorted indices is read fastest.
        ks (Sequence[int]): Cut-offs, each from 1 to ``K``.

    Returns:
        dict[str, numpy.ndarray]: ``[num_queries]`` float64 values per metric.

    Raises:
        ValueError: If a query has no relevant product, a cut-off is below 1 or
            above ``K``, or the shapes disagree.
    """
    for k in ks:
        _check_k(k)

    hits, counts = _relevant_hits(top_lists, relevant, max(ks, default=None))
    values: dict[str, FloatArray] = {}
    for k in ks:
        # A contiguous copy, as a list cut to k would give.
        cut = np.ascontiguousarray(hits[:, :k])
        values[f"HR@{k}"] = np.asarray(cut.any(axis=1), dtype=np.float64)
        values[f"Recall@{k}"] = _recall(cut, counts)
        values[f"NDCG@{k}"] = _ndcg_multi(cut, counts)

    return values


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
    return _resampled_means_of([sums], sizes, n_boot, seed)[0]


def _resampled_means_of(
    all_sums: Sequence[FloatArray], sizes: FloatArray, n_boot: int, seed: int
) -> list[FloatArray]:
    """Return :func:`_resampled_means` of several metrics over the same groups.

    Each metric's means are those it would get alone: the draws depend only on
    ``seed``, the number of groups and ``n_boot``, so they are made once.
    """
    rng = np.random.default_rng(seed)
    num_groups = sizes.size
    means = [np.empty(n_boot, dtype=np.float64) for _ in all_sums]
    step = max(1, _DRAW_ELEMENTS // num_groups)
    for start in range(0, n_boot, step):
        stop = min(start + step, n_boot)
        picks = rng.integers(0, num_groups, size=(stop - start, num_groups))
        drawn = sizes[picks].sum(axis=1)
        # The pooled mean of the drawn groups' values, not a mean of group means.
        for sums, mean in zip(all_sums, means, strict=True):
            mean[start:stop] = sums[picks].sum(axis=1) / drawn

    return means


def _check_values(values: npt.ArrayLike) -> FloatArray:
    """Return ``values`` as a 1-D float64 array, or raise if it is not one."""
    sample = np.asarray(values, dtype=np.float64)
    if sample.ndim != 1 or np.isnan(sample).any():
        raise ValueError(
            f"Values must be a 1-D array without NaN (got shape {sample.shape!r}); "
            "drop undefined per-query values before averaging."
        )

    return sample


def _bootstrap_each(
    all_values: Sequence[npt.ArrayLike],
    groups: npt.ArrayLike | None,
    n_boot: int,
    alpha: float,
    seed: int,
) -> list[tuple[float, float, float]]:
    """Return :func:`bootstrap_ci` of several metrics of the same queries."""
    samples = [_check_values(values) for values in all_values]
    if n_boot < 1 or not 0.0 < alpha < 1.0:
        raise ValueError(
            f"Need n_boot >= 1 and 0 < alpha < 1, not n_boot={n_boot!r}, "
            f"alpha={alpha!r}."
        )

    totals = [_group_totals(sample, groups) for sample in samples]
    if not samples or samples[0].size == 0:
        return [(_NAN, _NAN, _NAN)] * len(samples)

    # The sizes are the same for every metric of the same queries.
    sizes = totals[0][1]
    all_means = _resampled_means_of([s for s, _ in totals], sizes, n_boot, seed)
    intervals = []
    for sample, means in zip(samples, all_means, strict=True):
        low, high = np.quantile(means, [alpha / 2.0, 1.0 - alpha / 2.0])
        intervals.append((float(sample.mean()), float(low), float(high)))

    return intervals


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
    return _bootstrap_each([values], groups, n_boot, alpha, seed)[0]


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
    # Recall@k is HR@k itself: each distinct array is bootstrapped once.
    distinct = list({id(metric): metric for metric in per_query.values()}.values())
    intervals = _bootstrap_each(distinct, groups, n_boot, alpha, seed)
    interval_of = {id(m): ci for m, ci in zip(distinct, intervals, strict=True)}
    summary = {"queries": float(values.size)}
    for name, metric in per_query.items():
        mean, low, high = interval_of[id(metric)]
        summary[name] = mean
        summary[f"{name}_low"] = low
        summary[f"{name}_high"] = high

    return summary
