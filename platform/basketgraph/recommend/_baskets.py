"""Checks and sparse helpers that every recommender shares: baskets in, scores out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.exceptions import InputError, NotFittedError
from basketgraph.recommend.base import UNSCORED, FloatArray

T = TypeVar("T")

IndexArray = npt.NDArray[np.int64]

#: Cells of a ``[rows, num_products]`` block scored at once. Sparse intermediate
#: products of a block hold at most this many entries (about 50 MB), so scoring
#: tens of thousands of baskets never needs more than the dense answer itself.
CHUNK_CELLS = 1 << 22
#: Most intermediate entries one block may make, with a ``row_cost``: about
#: 200 MB of sparse scratch.
CHUNK_INTERMEDIATE = 1 << 23


def require_fitted(value: T | None, name: str) -> T:
    """Return a fitted attribute, or raise if the recommender is not fitted.

    Args:
        value (T, optional): The attribute that :meth:`~Recommender.fit` sets.
        name (str): The recommender's name, for the message.

    Returns:
        T: ``value``, known not to be ``None``.

    Raises:
        NotFittedError: If ``value`` is ``None``.
    """
    if value is None:
        raise NotFittedError(
            f"The {name!r} recommender is not fitted; call fit(baskets) before "
            "scoring or explaining."
        )

    return value


def basket_indicator(
    baskets: Sequence[Sequence[int]], num_products: int
) -> sparse.csr_array:
    """Return the ``[len(baskets), num_products]`` 0/1 matrix of the baskets.

    A product listed twice in a basket counts once. Columns within each row are
    ascending, so that sums over a basket always run in the same order.

    Args:
        baskets (Sequence[Sequence[int]]): Columns of the products of each basket.
        num_products (int): Columns of the matrix.

    Returns:
        scipy.sparse.csr_array: ``float64`` ones, rows in the order given.

    Raises:
        InputError: If a column is not a whole number in ``[0, num_products)``.
    """
    lengths = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
    columns = _as_columns(
        [column for basket in baskets for column in basket], num_products, lengths
    )
    rows = np.repeat(np.arange(len(baskets), dtype=np.int64), lengths)
    # One sort of row-major keys orders each row's columns and puts repeats side by
    # side, where np.unique drops them.
    keys = np.unique(rows * num_products + columns)
    counts = np.bincount(keys // max(num_products, 1), minlength=len(baskets))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    data = np.ones(len(keys), dtype=np.float64)
    shape = (len(baskets), num_products)

    return sparse.csr_array((data, keys % max(num_products, 1), indptr), shape=shape)


def basket_columns(basket: Sequence[int], num_products: int) -> IndexArray:
    """Return a basket's distinct columns, ascending.

    Raises:
        InputError: If a column is not a whole number in ``[0, num_products)``.
    """
    return basket_indicator([basket], num_products).indices.astype(np.int64)


def check_product(product: int, num_products: int) -> int:
    """Return ``product`` as an int after checking it is a known column.

    Raises:
        InputError: If it is not a whole number in ``[0, num_products)``.
    """
    known = isinstance(product, int | np.integer) and not isinstance(product, bool)
    if not known or not 0 <= product < num_products:
        raise InputError(
            f"Product {product!r} is not a product column (columns are whole "
            f"numbers from 0 to {num_products - 1}); map skus with "
            "BasketMatrix.product_index()."
        )

    return int(product)


def score_in_chunks(
    indicator: sparse.csr_array,
    score_block: Callable[[sparse.csr_array], sparse.csr_array],
    row_cost: FloatArray | None = None,
) -> FloatArray:
    """Score the rows of ``indicator`` block by block into one dense array.

    Args:
        indicator (scipy.sparse.csr_array): ``[num_baskets, num_products]``.
        score_block (Callable): Maps a block of rows to its ``[rows,
            num_products]`` sparse scores; entries it leaves out are unscored.
        row_cost (numpy.ndarray, optional): ``[num_baskets]`` an upper bound of
            the entries that scoring each row makes on the way (default: none).
            Blocks are then also cut so that their rows' costs add up to at most
            :data:`CHUNK_INTERMEDIATE`, which keeps a recommender whose
            intermediate is much larger than its answer (rules) within memory.

    Returns:
        numpy.ndarray: ``[num_baskets, num_products]``, :data:`UNSCORED` where a
        block's scores hold no entry.
    """
    scores = np.full(indicator.shape, UNSCORED, dtype=np.float64)
    for start, stop in _chunks(indicator.shape[0], indicator.shape[1], row_cost):
        block = score_block(indicator[start:stop])
        rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        scores[start + rows, block.indices] = block.data

    return scores


def _chunks(
    num_rows: int, num_columns: int, row_cost: FloatArray | None = None
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, stop)`` row ranges within the cell and cost budgets."""
    step = max(1, CHUNK_CELLS // max(num_columns, 1))
    start = 0
    while start < num_rows:
        stop = min(start + step, num_rows)
        if row_cost is not None:
            spent = np.cumsum(row_cost[start:stop])
            within = int(np.searchsorted(spent, CHUNK_INTERMEDIATE, side="right"))
            stop = start + max(1, within)
        yield start, stop
        start = stop


def _as_columns(
    values: Sequence[int], num_products: int, lengths: IndexArray
) -> IndexArray:
    """Return ``values`` as ``int64`` columns, or raise for a bad one.

    Args:
        values (Sequence[int]): Every basket's columns, one after another.
        num_products (int): Columns of the catalogue.
        lengths (numpy.ndarray): ``[num_baskets]`` columns per basket, to name the
            basket of a bad column.
    """
    array = np.asarray(values)
    if len(array) and not np.issubdtype(array.dtype, np.integer):
        position = next(
            i
            for i, value in enumerate(values)
            if isinstance(value, bool) or not isinstance(value, int | np.integer)
        )
        _raise_bad_column(values[position], position, num_products, lengths)
    columns = array.astype(np.int64)
    outside = np.flatnonzero((columns < 0) | (columns >= num_products))
    if len(outside):
        _raise_bad_column(values[outside[0]], int(outside[0]), num_products, lengths)

    return columns


def _raise_bad_column(
    value: object, position: int, num_products: int, lengths: IndexArray
) -> None:
    """Raise :class:`InputError` naming a bad column and the basket holding it."""
    basket = int(np.searchsorted(np.cumsum(lengths), position, side="right"))
    raise InputError(
        f"Basket {basket} holds {value!r}, which is not a product column (columns "
        f"are whole numbers from 0 to {num_products - 1}); map skus with "
        "BasketMatrix.product_index() and drop unknown ones."
    )


def held_out_by_subtraction(
    baskets: Sequence[Sequence[int]],
    num_products: int,
    held_block: Callable[[list[int]], FloatArray],
    one_by_one: Callable[[Sequence[Sequence[int]]], FloatArray],
) -> FloatArray:
    """Score every basket without each of its products, a basket at a time.

    Args:
        baskets (Sequence[Sequence[int]]): Columns of each basket's products.
        num_products (int): Columns of the scores.
        held_block (Callable): Maps a basket of distinct products to the
            ``[len(basket), num_products]`` scores of the basket without each of
            them (its sum less each product's part).
        one_by_one (Callable): Scores the held-out queries of a basket that lists
            a product twice, which subtraction would get wrong.

    Returns:
        numpy.ndarray: ``[sum(len(b)), num_products]``, the queries in order.

    Raises:
        InputError: If a column is not a product column.
    """
    basket_indicator(baskets, num_products)  # names a bad column's basket
    scores = np.empty((sum(len(b) for b in baskets), num_products), dtype=np.float64)
    row = 0
    for basket in baskets:
        size = len(basket)
        if len(set(basket)) < size:  # a repeated product counts once
            scores[row : row + size] = one_by_one([basket])
        else:
            scores[row : row + size] = held_block(list(basket))
        row += size

    return scores
