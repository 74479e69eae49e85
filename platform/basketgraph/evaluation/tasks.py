"""The two evaluation tasks, run on baskets already split into training and test.

*Basket completion*: every test basket with at least two products known at training
time gives one query per product: the rest of the basket is the context, the product
is the target, and every product of the catalogue (the training columns) is ranked,
with the context's products left out. *Related products*: for every product, its
top partners by the recommender are compared with the products bought with it in the
test period.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

from basketgraph.evaluation import metrics
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend.base import Recommender

IntArray = npt.NDArray[np.int64]
#: Queries scored at once; a chunk holds ``[QUERY_CHUNK, num_products]`` floats
#: (32 MiB for 4,000 products). Chunks from 512 to 2,048 queries took about as long.
QUERY_CHUNK = 1_024


@dataclass
class CompletionQueries:
    """Held-out queries of the basket-completion task."""

    #: Each query's context: the columns of the rest of its basket.
    contexts: list[list[int]]
    #: ``[num_queries]`` the held-out column.
    targets: IntArray
    #: ``[num_queries]`` the test basket each query came from (for the bootstrap).
    groups: IntArray
    #: Test baskets with at least two known products.
    baskets: int
    #: Test lines whose product was not in the training catalogue (not queried).
    unknown_products: int


@dataclass
class TaskResult:
    """One recommender's figures on one task."""

    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def align(train: BasketMatrix, test: BasketMatrix) -> tuple[list[list[int]], int]:
    """Map test baskets onto the training columns.

    Returns:
        tuple[list[list[int]], int]: Each test basket as training columns, and the
        number of test lines whose product the training data never saw.
    """
    index = train.product_index()
    aligned, unknown = [], 0
    for basket in test.baskets():
        known = [index[sku] for sku in basket if sku in index]
        unknown += len(basket) - len(known)
        aligned.append(sorted(known))

    return aligned, unknown


def completion_queries(
    test_baskets: list[list[int]], unknown: int
) -> CompletionQueries:
    """Hold out each product of every test basket of two or more known products."""
    contexts: list[list[int]] = []
    targets: list[int] = []
    groups: list[int] = []
    used = 0
    for group, basket in enumerate(test_baskets):
        if len(basket) < 2:
            continue
        used += 1
        for position, target in enumerate(basket):
            contexts.append(basket[:position] + basket[position + 1 :])
            targets.append(target)
            groups.append(group)

    return CompletionQueries(
        contexts,
        np.asarray(targets, dtype=np.int64),
        np.asarray(groups, dtype=np.int64),
        used,
        unknown,
    )


def evaluate_completion(
    recommender: Recommender,
    queries: CompletionQueries,
    ks: tuple[int, ...],
    progress: Callable[[int], None] | None = None,
) -> TaskResult:
    """Rank the whole catalogue for every query and summarise the ranks."""
    started = time.perf_counter()
    n = len(queries.targets)
    ranks = np.empty(n, dtype=np.float64)
    can_answer = np.zeros(n, dtype=np.bool_)
    seen = np.zeros(recommender.num_products, dtype=np.bool_)
    # Whole baskets at a time, about QUERY_CHUNK queries: a recommender may share
    # work between the queries of one basket (Recommender.score_held_out).
    bounds = np.flatnonzero(np.diff(queries.groups)) + 1
    starts = np.concatenate([[0], bounds]) if n else np.zeros(0, np.int64)
    stops = np.concatenate([bounds, [n]]) if n else np.zeros(0, np.int64)
    first = 0
    while first < len(starts):
        last = int(np.searchsorted(starts, starts[first] + QUERY_CHUNK, "left"))
        last = max(last, first + 1)
        start, stop = int(starts[first]), int(stops[last - 1])
        baskets = [
            queries.targets[a:b].tolist()
            for a, b in zip(starts[first:last], stops[first:last], strict=True)
        ]
        contexts = queries.contexts[start:stop]
        scores = recommender.score_held_out(baskets)  # [chunk, num_products]
        found = metrics.rank_queries(
            scores, queries.targets[start:stop], max(ks), contexts
        )
        ranks[start:stop] = found.ranks
        can_answer[start:stop] = found.answerable
        seen[found.top[found.top >= 0]] = True
        if progress is not None:
            progress(stop - start)
        first = last
    result = metrics.summarise(ranks, ks, groups=queries.groups)
    result["coverage"] = float(seen.mean()) if len(seen) else float("nan")
    result["answerable"] = float(can_answer.mean()) if n else float("nan")
    result["queries"] = float(n)

    return TaskResult(result, time.perf_counter() - started)


def related_truth(test_baskets: list[list[int]], num_products: int) -> list[set[int]]:
    """Return, for each training column, the products bought with it in the test."""
    matrix = related_truth_matrix(test_baskets, num_products)
    indptr, indices = matrix.indptr, matrix.indices.tolist()

    return [set(indices[indptr[p] : indptr[p + 1]]) for p in range(num_products)]


def related_truth_matrix(
    test_baskets: list[list[int]], num_products: int
) -> sparse.csr_array:
    """Return :func:`related_truth` as a ``[num_products, num_products]`` matrix.

    Row ``p`` marks the products bought with ``p`` in the test period, with
    sorted column indices: the form :func:`evaluate_related` reads fastest.

    Args:
        test_baskets (list[list[int]]): Each test basket as training columns.
        num_products (int): Columns of the training data.

    Returns:
        scipy.sparse.csr_array: ``int8`` ones; no row marks its own product.
    """
    lengths = np.fromiter(map(len, test_baskets), np.int64, len(test_baskets))
    flat = itertools.chain.from_iterable(test_baskets)
    columns = np.fromiter(flat, np.int64, int(lengths.sum()))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    ones = np.ones(columns.size, dtype=np.int32)
    shape = (len(test_baskets), num_products)
    baskets = sparse.csr_array((ones, columns, indptr), shape=shape)
    # [num_products, num_products] baskets holding both products
    together = sparse.coo_array(baskets.T @ baskets)
    apart = together.row != together.col
    marks = np.ones(int(apart.sum()), dtype=np.int8)
    pairs = (together.row[apart], together.col[apart])
    matrix = sparse.csr_array((marks, pairs), shape=(num_products, num_products))
    matrix.sum_duplicates()  # sorts the indices; there are no duplicates

    return matrix


def _truth_rows(
    truth: list[set[int]] | metrics.SparseMask,
) -> sparse.csr_array:
    """Return the related-products truth as a CSR matrix with sorted indices."""
    if not sparse.issparse(truth):
        lengths = np.fromiter(map(len, truth), np.int64, len(truth))
        flat = itertools.chain.from_iterable(truth)
        columns = np.fromiter(flat, np.int64, int(lengths.sum()))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        ones = np.ones(columns.size, dtype=np.int8)
        width = int(columns.max(initial=-1)) + 1
        matrix = sparse.csr_array((ones, columns, indptr), shape=(len(truth), width))
    else:
        # A copy: the caller's matrix is not reordered.
        matrix = sparse.csr_array(truth, copy=True)
        matrix.sum_duplicates()
        # Stored zeros mark nothing.
        matrix.eliminate_zeros()
    matrix.sort_indices()

    return matrix


def evaluate_related(
    recommender: Recommender,
    truth: list[set[int]] | metrics.SparseMask,
    ks: tuple[int, ...],
) -> TaskResult:
    """Compare each product's top partners with its test-period co-purchases.

    Args:
        recommender (Recommender): A fitted recommender.
        truth (list[set[int]] | scipy.sparse matrix): The products bought with
            each product in the test period, from :func:`related_truth` or
            (faster) :func:`related_truth_matrix`.
        ks (tuple[int, ...]): Cut-offs.

    Returns:
        TaskResult: ``HR@k``, ``Recall@k`` and ``NDCG@k`` per cut-off,
        ``coverage`` and the number of ``products`` asked about.
    """
    started = time.perf_counter()
    partners = _truth_rows(truth)
    products = np.flatnonzero(np.diff(partners.indptr))
    k = max(ks)
    tops = []
    for start in range(0, len(products), QUERY_CHUNK):
        contexts = [[p] for p in products[start : start + QUERY_CHUNK].tolist()]
        scores = recommender.score_baskets(contexts)
        tops.append(metrics.top_k(scores, k, contexts))
    top = np.concatenate(tops) if tops else np.zeros((0, k), dtype=np.int64)
    per_query = metrics.measure_top_lists(top, partners[products], ks)
    result = {name: float(np.mean(values)) for name, values in per_query.items()}
    result["coverage"] = metrics.catalogue_coverage(top, recommender.num_products)
    result["products"] = float(len(products))

    return TaskResult(result, time.perf_counter() - started)
