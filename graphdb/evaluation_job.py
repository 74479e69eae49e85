"""One evaluation run: split a dataset in time, fit every method, judge, report.

Training data is every order placed before the split, test data every order from it
on, so nothing from the future leaks into training. A dataset whose orders carry no
time (Groceries) is split by order id instead: the last third of the ids, in
natural order, is the test set. The report goes to a folder as JSON, Markdown and
PNG, and the run is recorded as a ``(:Run {kind: 'evaluate'})``.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from neo4j import Driver

from basketgraph.evaluation.report import write_report
from basketgraph.evaluation.tasks import (
    align,
    completion_queries,
    evaluate_completion,
    evaluate_related,
    related_truth_matrix,
)
from basketgraph.exceptions import ConfigurationError
from basketgraph.gnn.graph import ProductSide
from basketgraph.graphdb.export import BasketFilter, export_baskets
from basketgraph.graphdb.graph_export import export_side
from basketgraph.graphdb.runs import activate_run, start_run, stop_run
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.progress import StageReport, report_nothing
from basketgraph.recommend import (
    RECOMMENDERS,
    EASERecommender,
    HybridRecommender,
    LearnedRecommender,
    make_recommender,
)

logger = logging.getLogger(__name__)

#: The classical baselines, with the parameters they are evaluated with.
BASELINES: dict[str, dict[str, Any]] = {
    "popularity": {},
    "cooccurrence": {},
    # TODO(evaluation): match rules through an index by antecedent, so that the
    # baseline can be judged at lower support. At 0.2 % Online Retail gives about a
    # million rules and completing 200,000 test baskets touches most of them for
    # each: hours. At 0.5 % it is about 20,000 rules and under three minutes.
    "rules": {"min_support": 0.005, "min_confidence": 0.05, "max_len": 3},
    "itemknn": {"k": 100},
    # The classical item-to-item method with the best pair instead of a sum.
    "cosine": {},
}
#: The methods that read product texts or learn: text similarity alone, the graph
#: neural networks, and the hybrid.
LEARNED: dict[str, dict[str, Any]] = {
    "text": {},
    # A linear model fitted in closed form, its penalty chosen on validation.
    "ease": {},
    "gcn": {},
    "gat": {},
    # Its free vectors learn slowly; 30 epochs keep the pipeline in its budget.
    "lightgcn": {"max_epochs": 30},
    "hybrid": {},
}
#: Every method ``basketgraph evaluate`` knows.
METHODS: dict[str, dict[str, Any]] = {**BASELINES, **LEARNED}
#: Share of orders before the default split: two thirds, which for UCI Online
#: Retail gives the customary 2011-09-01.
TRAIN_SHARE = 2 / 3


@dataclass(frozen=True)
class EvaluationParams:
    """What an evaluation run does; every field has a working default."""

    #: Train before this instant, test from it on; default: the first day of the
    #: month that holds the order two thirds of the way through the data.
    split: datetime | None = None
    #: Method name → its parameters.
    methods: dict[str, dict[str, Any]] = field(default_factory=lambda: METHODS)
    #: Cut-offs of the ranking metrics.
    ks: tuple[int, ...] = (5, 10, 20)
    #: Country and category filters (their window is set by the split).
    where: BasketFilter = field(default_factory=BasketFilter)


@dataclass
class EvaluationSummary:
    """What an evaluation run found and where its report is."""

    run_id: str
    dataset: str
    context: dict[str, Any]
    results: dict[str, dict[str, Any]]
    files: dict[str, str]
    seconds: float


def run_evaluation(
    driver: Driver,
    dataset: str,
    params: EvaluationParams,
    report_root: Path,
    *,
    run_id: str | None = None,
    report: StageReport = report_nothing,
) -> EvaluationSummary:
    """Evaluate every method of ``params`` on ``dataset`` and write the report.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        params (EvaluationParams): Split, methods and cut-offs.
        report_root (Path): The report goes to ``report_root/<run id>``.
        run_id (str, optional): The run of a job (default: a new run).
        report (StageReport): Receives each method's name as it is judged, and
            the share of methods done.

    Returns:
        EvaluationSummary: The figures, and the report's files.
    """
    started = time.perf_counter()
    run_id = start_run(driver, dataset, "evaluate", _params_record(params), run_id)
    try:
        summary = _evaluate(
            driver, dataset, params, report_root / run_id, run_id, report
        )
    except BaseException as e:
        stop_run(driver, run_id, e)
        raise
    summary.seconds = time.perf_counter() - started
    activate_run(driver, run_id, {"results": summary.results, **summary.context})

    return summary


def _evaluate(
    driver: Driver,
    dataset: str,
    params: EvaluationParams,
    folder: Path,
    run_id: str,
    report: StageReport,
) -> EvaluationSummary:
    report("export", 0.0)
    train, test, split_text = split_baskets(driver, dataset, params)
    test_baskets, unknown = align(train, test)
    queries = completion_queries(test_baskets, unknown)
    truth = related_truth_matrix(test_baskets, train.num_products)
    side = _side_for(driver, dataset, train, params)
    context: dict[str, Any] = {
        "dataset": dataset,
        "split": split_text,
        "train baskets": train.num_orders,
        "test baskets": test.num_orders,
        "test baskets with 2+ known products": queries.baskets,
        "completion queries": len(queries.targets),
        "catalogue (training products)": train.num_products,
        "test lines of products unseen in training": unknown,
    }
    results: dict[str, dict[str, Any]] = {}
    trained: list[LearnedRecommender] = []
    for done, (name, method_params) in enumerate(params.methods.items()):
        report(name, 0.05 + 0.95 * done / len(params.methods))
        fitted = time.perf_counter()
        recommender = make_recommender(name, **method_params)
        if isinstance(recommender, HybridRecommender):
            # The same network the "gcn" method trained on the same data: reuse it.
            for other in trained:
                recommender.use_fitted(other)
        recommender.fit(train, side if recommender.uses_side else None)
        if isinstance(recommender, LearnedRecommender):
            trained.append(recommender)
        fit_seconds = time.perf_counter() - fitted
        completion = evaluate_completion(recommender, queries, params.ks)
        related = evaluate_related(recommender, truth, params.ks)
        results[name] = {
            "completion": completion.metrics,
            "related": related.metrics,
            "seconds": {
                "fit": fit_seconds,
                "completion": completion.seconds,
                "related": related.seconds,
            },
        }
        if isinstance(recommender, EASERecommender):
            # What validation chose, so that a report says how it was fitted.
            results[name]["chosen"] = {
                "l2": recommender.chosen_l2,
                "search": recommender.l2_search,
            }
        logger.info("Evaluated %s on %s in run %s", name, dataset, run_id)
    files = write_report(
        folder, f"Evaluation of {dataset!r} ({run_id})", context, results
    )

    return EvaluationSummary(
        run_id, dataset, context, results, {k: str(v) for k, v in files.items()}, 0.0
    )


def _side_for(
    driver: Driver, dataset: str, train: BasketMatrix, params: EvaluationParams
) -> ProductSide | None:
    """Read product attributes when a method needs them; check texts are there."""
    needs = [n for n in params.methods if RECOMMENDERS[n].uses_side]
    if not needs:
        return None
    side = export_side(driver, dataset, [str(s) for s in train.product_ids])
    if side.text is None:
        raise ConfigurationError(
            f"The methods {', '.join(needs)} read product text embeddings, and no "
            f"product of {dataset!r} has one; run `basketgraph embed --dataset "
            f"{dataset}` first, or leave those methods out."
        )

    return side


def split_baskets(
    driver: Driver, dataset: str, params: EvaluationParams
) -> tuple[BasketMatrix, BasketMatrix, str]:
    """Return training and test baskets, and the split in words."""
    split = params.split or default_split(driver, dataset)
    if split is not None:
        train = export_baskets(driver, dataset, replace(params.where, end=split))
        test = export_baskets(driver, dataset, replace(params.where, start=split))
        return train, test, f"train before {split:%Y-%m-%d %H:%M}, test from it on"
    everything = export_baskets(driver, dataset, params.where)
    order = sorted(
        range(everything.num_orders),
        key=lambda i: _natural(str(everything.order_ids[i])),
    )
    cut = int(len(order) * TRAIN_SHARE)

    return (
        _rows(everything, np.asarray(order[:cut], dtype=np.int64)),
        _rows(everything, np.asarray(order[cut:], dtype=np.int64)),
        f"no order times: first {TRAIN_SHARE:.0%} of order ids train, the rest test",
    )


def default_split(driver: Driver, dataset: str) -> datetime | None:
    """Return the first day of the month holding the order at :data:`TRAIN_SHARE`.

    For UCI Online Retail that is 2011-09-01. ``None`` when no order has a time.
    """
    record = driver.execute_query(
        "MATCH (o:Order {dataset: $dataset}) WHERE o.placed_at IS NOT NULL "
        "RETURN percentileDisc(o.placed_at.epochMillis, $share) AS millis",
        dataset=dataset,
        share=TRAIN_SHARE,
    ).records[0]
    if record["millis"] is None:
        return None
    moment = datetime.fromtimestamp(record["millis"] / 1000, tz=UTC)

    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _rows(baskets: BasketMatrix, rows: np.ndarray[Any, Any]) -> BasketMatrix:
    return BasketMatrix(
        baskets.matrix[rows], baskets.order_ids[rows], baskets.product_ids
    )


def _natural(key: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]


def _params_record(params: EvaluationParams) -> dict[str, Any]:
    record = asdict(params)
    record["where"] = {k: v for k, v in record["where"].items() if v is not None}

    return record
