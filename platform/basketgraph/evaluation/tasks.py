"""The two evaluation tasks, run on baskets already split into training and test.

*Basket completion*: every test basket with at least two products known at training
time gives one query per product: the rest of the basket is the context, the product
is the target, and every product of the catalogue (the training columns) is ranked,
with the context's products left out. *Related products*: for every product, its
top partners by the recommender are compared with the products bought with it in the
test period.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from basketgraph.evaluation import metrics
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend.base import Recommender

IntArray = npt.NDArray[np.int64]
#: Queries scored at once; a chunk holds ``[QUERY_CHUNK, num_products]`` floats.
QUERY_CHUNK = 2_048


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
    for start in range(0, n, QUERY_CHUNK):
        stop = min(start + QUERY_CHUNK, n)
        contexts = queries.contexts[start:stop]
        scores = recommender.score_baskets(contexts)  # [chunk, num_products]
        ranks[start:stop] = metrics.rank_of(
            scores, queries.targets[start:stop], contexts
        )
        can_answer[start:stop] = metrics.answerable(scores, contexts)
        top = metrics.top_k(scores, max(ks), contexts)
        seen[top[top >= 0]] = True
        if progress is not None:
            progress(stop - start)
    result = metrics.summarise(ranks, ks, groups=queries.groups)
    result["coverage"] = float(seen.mean()) if len(seen) else float("nan")
    result["answerable"] = float(can_answer.mean()) if n else float("nan")
    result["queries"] = float(n)

    return TaskResult(result, time.perf_counter() - started)


def related_truth(test_baskets: list[list[int]], num_products: int) -> list[set[int]]:
    """Return, for each training column, the products bought with it in the test."""
    partners: list[set[int]] = [set() for _ in range(num_products)]
    for basket in test_baskets:
        for item in basket:
            partners[item].update(basket)
    for item, found in enumerate(partners):
        found.discard(item)

    return partners


def evaluate_related(
    recommender: Recommender, truth: list[set[int]], ks: tuple[int, ...]
) -> TaskResult:
    """Compare each product's top partners with its test-period co-purchases."""
    started = time.perf_counter()
    products = [p for p, found in enumerate(truth) if found]
    relevant = [truth[p] for p in products]
    k = max(ks)
    tops = []
    for start in range(0, len(products), QUERY_CHUNK):
        chunk = products[start : start + QUERY_CHUNK]
        contexts = [[p] for p in chunk]
        scores = recommender.score_baskets(contexts)
        tops.append(metrics.top_k(scores, k, contexts))
    top = np.concatenate(tops) if tops else np.zeros((0, k), dtype=np.int64)
    result: dict[str, Any] = {}
    for cut in ks:
        result[f"HR@{cut}"] = float(
            np.mean(metrics.hit_rate_multi(top[:, :cut], relevant))
        )
        result[f"Recall@{cut}"] = float(
            np.mean(metrics.recall_at_k(top[:, :cut], relevant))
        )
        result[f"NDCG@{cut}"] = float(
            np.mean(metrics.ndcg_at_k_multi(top[:, :cut], relevant))
        )
    result["coverage"] = metrics.catalogue_coverage(top, recommender.num_products)
    result["products"] = float(len(products))

    return TaskResult(result, time.perf_counter() - started)
