"""Each row's best columns of a block of scores, found without sorting whole rows.

The scores given here are *masked*: products a query leaves out, and ``NaN``
scores, are already ``-inf``, which is never listed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Candidates per list slot beyond which a row of top_k is cut exactly.
_CROWDED = 8
#: Segments per list slot, and at least, that top_k deals a row's columns into.
_SEGMENTS_PER_SLOT = 4
_MIN_SEGMENTS = 128


def top_columns(masked: FloatArray, width: int, flags: BoolArray) -> IndexArray:
    """Return each row's best ``width`` columns, best first, ``-1`` for ``-inf``.

    A row's list is every kept product scoring more than its ``width``-th best
    score, then the lowest columns tied with that score until the list is full.
    Rather than sorting or partitioning whole rows, which numpy does slowly
    when many scores are equal (``-inf`` most of all), the columns are dealt
    into segments, column ``j`` into segment ``j % segments``: at least
    ``width`` products score at least the ``width``-th best segment maximum, so
    nothing below it is listed, and the few products at or above it are sorted.
    Dealing rather than cutting the row into runs keeps the floor tight even
    when the best products sit side by side (columns in order of popularity).

    Args:
        masked (numpy.ndarray): ``[rows, num_products]`` masked scores.
        width (int): Length of the lists, ``1 <= width <= num_products``.
        flags (numpy.ndarray): Scratch booleans of the shape of ``masked``.
    """
    num_rows, num_products = masked.shape
    segments = max(_SEGMENTS_PER_SLOT * width, _MIN_SEGMENTS)
    if 2 * segments > num_products:
        return _top_exact(masked, width)

    floor = _segment_floor(masked, segments, width)
    candidates = np.greater_equal(masked, floor[:, None], out=flags)
    # flatnonzero is much faster than a 2-D nonzero.
    rows, cols = np.divmod(np.flatnonzero(candidates), num_products)
    counts = np.bincount(rows, minlength=num_rows)
    # Rows with many products tied at the floor are cut exactly instead.
    crowded = np.flatnonzero(counts > _CROWDED * width)
    if crowded.size:
        calm = counts[rows] <= _CROWDED * width
        rows, cols = rows[calm], cols[calm]

    top = _first_in_order(rows, cols, masked[rows, cols], num_rows, width)
    if crowded.size:
        top[crowded] = _top_exact(masked[crowded], width)

    return top


def _segment_floor(masked: FloatArray, segments: int, width: int) -> FloatArray:
    """Return ``[rows]`` the ``width``-th best segment maximum.

    See :func:`top_columns`. The floor is raised to the smallest float, so that
    ``-inf`` stays below it.
    """
    num_products = masked.shape[1]
    span = num_products // segments
    # [rows, segments] the best score dealt to each segment
    best = masked[:, :segments].copy()
    for turn in range(1, span):
        np.maximum(best, masked[:, turn * segments : (turn + 1) * segments], out=best)
    rest = num_products - span * segments
    np.maximum(best[:, :rest], masked[:, span * segments :], out=best[:, :rest])
    floor = np.partition(best, segments - width, axis=1)[:, segments - width]

    # A -inf floor keeps every scored product: -inf itself is never listed.
    return np.maximum(floor, np.finfo(np.float64).min)


def _top_exact(masked: FloatArray, width: int) -> IndexArray:
    """Return what :func:`top_columns` does, by partitioning every row.

    Args:
        masked (numpy.ndarray): ``[rows, num_products]`` masked scores.
        width (int): Length of the lists, ``1 <= width <= num_products``.
    """
    num_rows, num_products = masked.shape
    # [rows] the width-th best kept score
    cutoff = np.partition(masked, num_products - width, axis=1)[:, num_products - width]
    floor = np.maximum(cutoff, np.finfo(np.float64).min)
    rows, cols = np.divmod(np.flatnonzero(masked >= floor[:, None]), num_products)
    values = masked[rows, cols]
    keep = _within_room(rows, values == cutoff[rows], width, num_rows)

    return _first_in_order(rows[keep], cols[keep], values[keep], num_rows, width)


def _within_room(
    rows: IndexArray, tied: BoolArray, width: int, num_rows: int
) -> BoolArray:
    """Return which candidates fit the list: all above the cut-off, then ties.

    Args:
        rows (numpy.ndarray): ``[candidates]`` row of each, ascending.
        tied (numpy.ndarray): ``[candidates]`` whether it equals the cut-off;
            tied ones of a row come in column order.
        width (int): Length of the lists.
        num_rows (int): Rows of the block.
    """
    room = width - np.bincount(rows[~tied], minlength=num_rows)
    tied_rows = rows[tied]
    # Place of each tied candidate among its row's tied ones.
    place = np.arange(tied_rows.size) - np.searchsorted(tied_rows, tied_rows)
    keep = ~tied
    keep[np.flatnonzero(tied)[place < room[tied_rows]]] = True

    return keep


def _first_in_order(
    rows: IndexArray, cols: IndexArray, values: FloatArray, num_rows: int, width: int
) -> IndexArray:
    """Return ``[num_rows, width]`` each row's best candidates, ``-1`` as padding.

    Args:
        rows (numpy.ndarray): ``[candidates]`` row of each, ascending.
        cols (numpy.ndarray): ``[candidates]`` column of each, ascending within
            its row.
        values (numpy.ndarray): ``[candidates]`` score of each.
        num_rows (int): Rows of the block.
        width (int): Length of the lists.
    """
    # Stable: equal scores stay in column order.
    order = np.lexsort((-values, rows))
    rows, cols = rows[order], cols[order]
    position = np.arange(rows.size) - np.searchsorted(rows, rows)
    listed = position < width
    top = np.full((num_rows, width), -1, dtype=np.int64)
    top[rows[listed], position[listed]] = cols[listed]

    return top
