"""Columns given per query, in any of the forms the metrics accept, as CSR arrays."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

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

#: Row types whose columns are read in one pass over all rows (they have a length).
_SIZED_ROWS = (list, tuple, set, frozenset, range)


@dataclass(frozen=True)
class RaggedColumns:
    """Columns of each query in CSR form.

    Query ``q`` owns ``indices[indptr[q]:indptr[q + 1]]``.
    """

    indptr: IndexArray
    indices: IndexArray

    def lengths(self) -> IndexArray:
        """Return ``[num_queries]`` how many columns each query owns."""
        return np.diff(self.indptr)

    def block(self, part: slice) -> tuple[IndexArray, IndexArray]:
        """Return ``(row, column)`` pairs of the queries in ``part``, rows from 0."""
        bounds = self.indptr[part.start : part.stop + 1]
        rows = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))

        return rows, self.indices[bounds[0] : bounds[-1]]


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

    if isinstance(columns, np.ndarray) and columns.ndim == 2:
        lengths = np.full(num_queries, columns.shape[1], dtype=np.int64)
        cols = columns.astype(np.int64).ravel()
    elif all(isinstance(row, _SIZED_ROWS) for row in columns):
        # One pass in C over every row: much faster than an array per row.
        lengths = np.fromiter(map(len, columns), dtype=np.int64, count=num_queries)
        flat = itertools.chain.from_iterable(columns)
        cols = np.fromiter(flat, dtype=np.int64, count=int(lengths.sum()))
    else:
        per_query = [
            np.asarray(row, dtype=np.int64).ravel()
            if isinstance(row, np.ndarray)
            else np.fromiter(row, dtype=np.int64)
            for row in columns
        ]
        lengths = np.array([row.size for row in per_query], dtype=np.int64)
        cols = np.concatenate(per_query) if per_query else np.zeros(0, np.int64)
    rows = np.repeat(np.arange(num_queries, dtype=np.int64), lengths)

    return rows, cols


def _sparse_pairs(columns: SparseMask) -> tuple[IndexArray, IndexArray]:
    """Return the ``(row, column)`` pairs a sparse mask marks, in storage order."""
    if isinstance(columns, sparse.csr_array | sparse.csr_matrix):
        # What sparse.find gives, without building a COO copy of the matrix.
        counts = np.diff(columns.indptr)
        rows = np.repeat(np.arange(columns.shape[0], dtype=np.int64), counts)
        cols = np.asarray(columns.indices, dtype=np.int64)
        # Explicitly stored zeros do not mark anything.
        marked = np.asarray(columns.data != 0)
        if not marked.all():
            return rows[marked], cols[marked]
        return rows, cols

    marked_rows, marked_cols, _ = sparse.find(columns)

    return marked_rows.astype(np.int64), marked_cols.astype(np.int64)


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

    return _sparse_pairs(columns)


def to_ragged(
    columns: Columns | None, num_queries: int, num_products: int | None, what: str
) -> RaggedColumns:
    """Check ``columns`` and put them in CSR form (see :class:`RaggedColumns`)."""
    rows, cols = _column_pairs(columns, num_queries, num_products, what)
    upper = np.inf if num_products is None else num_products
    outside = (cols < 0) | (cols >= upper)
    if outside.any():
        raise ValueError(
            f"The {what} columns include {int(cols[outside][0])!r}, outside the "
            f"catalogue of {num_products!r} products; use column indices "
            "0 <= column < num_products."
        )

    # Pairs usually come row by row already; sorting them again would cost more.
    if (rows[1:] < rows[:-1]).any():
        order = np.argsort(rows, kind="stable")
        cols = cols[order]
    counts = np.bincount(rows, minlength=num_queries)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    return RaggedColumns(indptr=indptr, indices=cols)
