"""Evaluation speed: the harness's own time per method, outside the recommenders.

Builds a synthetic workload of the shape of UCI Online Retail without Neo4j (about
4,000 products with power-law popularity and some themed baskets, 14,000 training
and 8,000 test baskets of about 25 distinct products, so about 207,000 basket-completion
queries and 4,000 related-products queries), fits the popularity and itemknn
recommenders, and times :func:`evaluate_completion` and :func:`evaluate_related`
for each. Scoring alone (``score_baskets`` over the same chunks) is timed apart,
so that the harness's overhead, the total minus scoring, can be read against the
targets: at most 8 s for completion and 2 s for related per method.

``--save FILE`` writes every metric value to a JSON file, ``--compare FILE``
checks them against such a file to 1e-12 and exits 1 if any differ: run one
version of the harness with ``--save`` and another with ``--compare`` to show
that a change keeps the results.

Usage: .venv/bin/python bench/evaluation.py [--save FILE | --compare FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from basketgraph.evaluation import tasks
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import ItemKNNRecommender, PopularityRecommender
from basketgraph.recommend.base import Recommender

TARGET_COMPLETION = 8.0
TARGET_RELATED = 2.0
TOLERANCE = 1e-12


@dataclass(frozen=True)
class Workload:
    """Baskets split into training and test, and the tasks built from them."""

    train: BasketMatrix
    queries: tasks.CompletionQueries
    truth: list[set[int]]
    seconds: float


def random_baskets(
    rng: np.random.Generator, num_baskets: int, args: argparse.Namespace
) -> BasketMatrix:
    """Draw baskets from a power-law catalogue, a share of each from one theme."""
    num_products = args.products
    popularity = 1.0 / (np.arange(num_products) + 10.0) ** args.exponent
    popularity /= popularity.sum()
    # Themes: random groups of products bought together more than chance says.
    theme_of = rng.integers(0, args.themes, size=num_products)
    sizes = 1 + rng.geometric(1.0 / args.mean_size, size=num_baskets)
    themed = rng.binomial(sizes, args.themed_share)
    theme = rng.integers(0, args.themes, size=num_baskets)
    picks = rng.choice(num_products, size=int(sizes.sum()), p=popularity)
    # Replace the themed part of each basket by products of its theme.
    members = [np.flatnonzero(theme_of == t) for t in range(args.themes)]
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for basket in np.flatnonzero(themed):
        group = members[theme[basket]]
        if group.size:
            slot = slice(start[basket], start[basket] + themed[basket])
            picks[slot] = rng.choice(group, size=themed[basket])
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    skus = np.array([f"P{p:06d}" for p in range(num_products)], dtype=object)
    orders = np.array([f"O{o}" for o in range(num_baskets)], dtype=object)

    return BasketMatrix.from_csr(indptr, picks.astype(np.int64), orders, skus)


def build_workload(args: argparse.Namespace) -> Workload:
    """Draw training and test baskets and build both tasks' queries."""
    rng = np.random.default_rng(args.seed)
    train = random_baskets(rng, args.train, args)
    test = random_baskets(rng, args.test, args)
    started = time.perf_counter()
    test_baskets, unknown = tasks.align(train, test)
    queries = tasks.completion_queries(test_baskets, unknown)
    truth = tasks.related_truth(test_baskets, train.num_products)

    return Workload(train, queries, truth, time.perf_counter() - started)


def scoring_seconds(recommender: Recommender, contexts: list[list[int]]) -> float:
    """Return how long scoring ``contexts`` takes alone, chunk by chunk."""
    started = time.perf_counter()
    for start in range(0, len(contexts), tasks.QUERY_CHUNK):
        recommender.score_baskets(contexts[start : start + tasks.QUERY_CHUNK])

    return time.perf_counter() - started


def best_of(evaluate: Callable[[], tasks.TaskResult], repeats: int) -> tasks.TaskResult:
    """Return the fastest of ``repeats`` (at least one) results of ``evaluate()``."""
    best = evaluate()
    for _ in range(repeats - 1):
        result = evaluate()
        if result.seconds < best.seconds:
            best = result

    return best


def measure(
    recommender: Recommender, workload: Workload, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """Time both tasks for one recommender, print a table row; return its metrics."""
    ks = tuple(args.ks)
    completion = best_of(
        lambda: tasks.evaluate_completion(recommender, workload.queries, ks),
        args.repeats,
    )
    related = best_of(
        lambda: tasks.evaluate_related(recommender, workload.truth, ks), args.repeats
    )
    products = [[p] for p, found in enumerate(workload.truth) if found]
    scored_completion = scoring_seconds(recommender, workload.queries.contexts)
    scored_related = scoring_seconds(recommender, products)
    for task, result, scored, target in (
        ("completion", completion, scored_completion, TARGET_COMPLETION),
        ("related", related, scored_related, TARGET_RELATED),
    ):
        overhead = result.seconds - scored
        print(
            f"   {recommender.name:<12}{task:<12}{result.seconds:>9.2f}{scored:>9.2f}"
            f"{overhead:>10.2f}{target:>8.1f}  {verdict(overhead <= target)}"
        )

    return {"completion": completion.metrics, "related": related.metrics}


def verdict(met: bool) -> str:
    """Return how a target fared."""
    return "met" if met else "MISSED"


def differences(
    saved: dict[str, dict[str, dict[str, float]]],
    found: dict[str, dict[str, dict[str, float]]],
) -> list[str]:
    """Return one line per metric value that differs by more than the tolerance."""
    lines = []
    for method, task_metrics in found.items():
        for task, values in task_metrics.items():
            before = saved.get(method, {}).get(task, {})
            for key in sorted(set(values) | set(before)):
                old, new = before.get(key, math.nan), values.get(key, math.nan)
                same = (math.isnan(old) and math.isnan(new)) or abs(old - new) <= (
                    TOLERANCE
                )
                if not same:
                    lines.append(f"{method} {task} {key}: {old!r} -> {new!r}")

    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=4_000)
    parser.add_argument("--train", type=int, default=14_000, help="training baskets")
    parser.add_argument("--test", type=int, default=8_000, help="test baskets")
    parser.add_argument("--mean-size", type=float, default=28.0)
    parser.add_argument("--exponent", type=float, default=1.0, help="power law")
    parser.add_argument("--themes", type=int, default=200)
    parser.add_argument("--themed-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--repeats", type=int, default=1, help="best of N runs")
    parser.add_argument("--methods", nargs="+", default=["popularity", "itemknn"])
    parser.add_argument("--save", type=Path, help="write the metric values here")
    parser.add_argument("--compare", type=Path, help="check the metric values")

    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if the metrics differ from ``--compare``."""
    args = parse_args(argv)
    workload = build_workload(args)
    queries = workload.queries
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"{workload.train.num_orders:,} training baskets, "
        f"{workload.train.num_products:,} products, {len(queries.targets):,} "
        f"completion queries from {queries.baskets:,} test baskets, "
        f"{sum(1 for found in workload.truth if found):,} related-products queries; "
        f"align + queries + truth in {workload.seconds:.2f} s"
    )
    print(
        f"   {'method':<12}{'task':<12}{'total s':>9}{'score s':>9}"
        f"{'harness s':>10}{'target':>8}"
    )
    recommenders: dict[str, Recommender] = {
        "popularity": PopularityRecommender(),
        "itemknn": ItemKNNRecommender(k=50),
    }
    found = {
        name: measure(recommenders[name].fit(workload.train), workload, args)
        for name in args.methods
    }
    if args.save is not None:
        args.save.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"Metric values written to {args.save}")
    if args.compare is not None:
        lines = differences(json.loads(args.compare.read_text()), found)
        print(f"Metric values against {args.compare}: {len(lines)} differ")
        for line in lines:
            print(f"   {line}")
        return 1 if lines else 0

    return 0


if __name__ == "__main__":
    sys.exit(main())
