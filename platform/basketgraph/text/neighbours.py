"""Exact cosine nearest neighbours of unit vectors, computed in blocks of rows."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IndexArray = npt.NDArray[np.int64]
ScoreArray = npt.NDArray[np.float32]

#: Most similarities held at once (``[rows, n]`` float32, 256 MiB): large catalogues
#: get smaller blocks than ``chunk`` asks for.
MAX_BLOCK_CELLS = 1 << 26


def nearest_neighbours(
    embeddings: npt.NDArray[np.floating], k: int, chunk: int = 2048
) -> tuple[IndexArray, IndexArray, ScoreArray]:
    """Return each row's ``k`` most similar other rows by cosine, best first.

    Brute force: every block of rows is multiplied with all rows, so the result is
    exact. Equal scores are ordered by column, so the result does not depend on the
    block size or on how NumPy partitions.

    Args:
        embeddings (np.ndarray): ``[n, d]`` vectors of unit length.
        k (int): Neighbours per row, at least 1; a row gets ``min(k, n - 1)``.
        chunk (int): Rows per block (default: 2048).

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``rows`` and ``cols`` (int64)
        and ``scores`` (float32), each ``[n * min(k, n - 1)]``: row by row, within
        a row by falling score, then rising column. A row is never its own
        neighbour.

    Raises:
        ValueError: If ``embeddings`` is not two-dimensional, or ``k`` or ``chunk``
            is below 1.
    """
    if embeddings.ndim != 2:
        raise ValueError(
            f"embeddings has shape {embeddings.shape!r}; pass a [n, d] array."
        )

    if k < 1 or chunk < 1:
        raise ValueError(f"k is {k!r} and chunk {chunk!r}; both must be >= 1.")

    n = embeddings.shape[0]
    k = min(k, n - 1)
    if k < 1:
        return _empty()

    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    chunk = max(1, min(chunk, MAX_BLOCK_CELLS // n))
    cols = np.empty((n, k), dtype=np.int64)
    scores = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        sims = vectors[start:stop] @ vectors.T  # [stop - start, n]
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        top = _top_columns(sims, k)
        cols[start:stop] = top
        scores[start:stop] = np.take_along_axis(sims, top, axis=1)

    rows = np.repeat(np.arange(n, dtype=np.int64), k)

    return rows, cols.ravel(), scores.ravel()


def _top_columns(sims: ScoreArray, k: int) -> IndexArray:
    """Return ``[rows, k]`` columns of each row's ``k`` largest values, in order."""
    n = sims.shape[1]
    top = np.argpartition(sims, n - k, axis=1)[:, n - k :]
    values = np.take_along_axis(sims, top, axis=1)
    # argpartition picks arbitrarily among values tied with the k-th largest;
    # such rows are redone with a full sort so that the smaller columns win.
    threshold = values.min(axis=1, keepdims=True)
    tied = (sims == threshold).sum(axis=1) > (values == threshold).sum(axis=1)
    for row in np.flatnonzero(tied):
        top[row] = np.lexsort((np.arange(n), -sims[row]))[:k]
        values[row] = sims[row, top[row]]

    order = np.lexsort((top, -values), axis=-1)

    return np.take_along_axis(top, order, axis=1).astype(np.int64, copy=False)


def _empty() -> tuple[IndexArray, IndexArray, ScoreArray]:
    return (
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.float32),
    )
