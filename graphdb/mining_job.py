"""One mining run: baskets out of the graph, pairs and rules mined and written back.

The run is recorded as a ``(:Run {kind: 'mine'})``; its ``BOUGHT_WITH``
relationships and ``(:Rule)`` nodes are written while it is ``running`` and served
only once :func:`basketgraph.graphdb.runs.activate_run` makes it active. A failure
anywhere marks the run failed and leaves the active run as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from neo4j import Driver

from basketgraph.graphdb.export import BasketFilter, export_baskets
from basketgraph.graphdb.runs import activate_run, start_run, stop_run
from basketgraph.graphdb.writeback import BATCH, clear_run, write_pairs, write_rules
from basketgraph.mining.pairs import PartnerTable, pair_statistics
from basketgraph.mining.rules import RuleSet, mine_rules
from basketgraph.progress import StageReport, report_nothing

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MiningParams:
    """What a mining run computes; every field has a working default."""

    #: Least share of baskets an itemset must be in to give rules.
    min_support: float = 0.01
    #: Least confidence of a rule.
    min_confidence: float = 0.1
    #: Most items in a rule, antecedent and consequent together.
    max_len: int = 3
    #: Partners kept per product as ``BOUGHT_WITH``.
    top_k: int = 20
    #: Measure that ranks a product's partners. Leverage (the excess of joint
    #: purchases over chance, in baskets) rather than lift: on Online Retail, lift
    #: puts rare items bought together by chance first, leverage the products that
    #: really sell together.
    # TODO(evaluation): choose the measure on a validation period once the
    # evaluation harness exists, instead of by inspection.
    rank_by: str = "leverage"
    #: Least baskets a pair must share to be a partner.
    min_pair_count: int = 2
    #: Stop with an error rather than produce more rules than this.
    max_rules: int = 1_000_000
    #: Rows per write transaction of partners and rules.
    write_batch: int = BATCH
    #: Which baskets and products to mine.
    where: BasketFilter = field(default_factory=BasketFilter)


@dataclass
class MiningSummary:
    """What one mining run did."""

    run_id: str
    dataset: str
    baskets: int = 0
    products: int = 0
    pairs: int = 0
    partners_written: int = 0
    rules: int = 0
    rules_written: int = 0
    seconds_export: float = 0.0
    seconds_mining: float = 0.0
    seconds_writing: float = 0.0

    @property
    def seconds(self) -> float:
        """Seconds of the whole run."""
        return self.seconds_export + self.seconds_mining + self.seconds_writing

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain data."""
        return {**asdict(self), "seconds": round(self.seconds, 2)}


def run_mining(
    driver: Driver,
    dataset: str,
    params: MiningParams,
    *,
    run_id: str | None = None,
    report: StageReport = report_nothing,
) -> MiningSummary:
    """Mine ``dataset`` and make the result the active mining run.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset to mine.
        params (MiningParams): Supports, limits and filters.
        run_id (str, optional): The run of a job (default: a new run).
        report (StageReport): Receives each stage and the share done.

    Returns:
        MiningSummary: Counts and timings.

    Raises:
        basketgraph.mining.rules.MiningLimitError: If a limit on rules or itemsets
            is hit; the run is recorded as failed.
    """
    run_id = start_run(driver, dataset, "mine", _params_record(params), run_id)
    summary = MiningSummary(run_id=run_id, dataset=dataset)
    try:
        _mine_into(driver, dataset, params, summary, report)
    except BaseException as e:
        stop_run(driver, run_id, e)
        raise
    activate_run(driver, run_id, summary.to_dict())
    logger.info("Mining run %s of %s is active: %s", run_id, dataset, summary)

    return summary


def _mine_into(
    driver: Driver,
    dataset: str,
    params: MiningParams,
    summary: MiningSummary,
    report: StageReport,
) -> None:
    report("export", 0.0)
    started = time.perf_counter()
    baskets = export_baskets(driver, dataset, params.where)
    summary.baskets, summary.products = baskets.num_orders, baskets.num_products
    summary.seconds_export = time.perf_counter() - started

    report("mining", 0.1)
    started = time.perf_counter()
    pairs = pair_statistics(baskets)
    partners = pairs.top_partners(
        params.top_k, by=params.rank_by, min_count=params.min_pair_count
    )
    rules = mine_rules(
        baskets,
        params.min_support,
        params.min_confidence,
        max_len=params.max_len,
        max_rules=params.max_rules,
    )
    summary.pairs, summary.rules = len(pairs), len(rules)
    summary.seconds_mining = time.perf_counter() - started

    report("writing", 0.4)
    started = time.perf_counter()
    clear_run(driver, dataset, summary.run_id)
    pair_rows, rows = partner_rows(partners), rule_rows(rules)
    total = max(len(pair_rows) + len(rows), 1)

    def written(offset: int) -> Callable[[int, int], None]:
        return lambda done, _: report("writing", 0.4 + 0.6 * (offset + done) / total)

    summary.partners_written = write_pairs(
        driver, dataset, summary.run_id, pair_rows, params.write_batch, written(0)
    )
    summary.rules_written = write_rules(
        driver,
        dataset,
        summary.run_id,
        rows,
        params.write_batch,
        written(len(pair_rows)),
    )
    summary.seconds_writing = time.perf_counter() - started


def partner_rows(partners: PartnerTable) -> list[dict[str, Any]]:
    """Return ``BOUGHT_WITH`` rows for :func:`write_pairs`."""
    skus = partners.product_ids
    columns = {
        name: partners.measure(name).tolist()
        for name in (
            "count",
            "support",
            "confidence",
            "lift",
            "leverage",
            "conviction",
            "jaccard",
            "rank",
        )
    }

    return [
        {
            "product": skus[a],
            "partner": skus[b],
            "stats": {name: values[i] for name, values in columns.items()},
        }
        for i, (a, b) in enumerate(
            zip(partners.product.tolist(), partners.partner.tolist(), strict=True)
        )
    ]


def rule_rows(rules: RuleSet) -> list[dict[str, Any]]:
    """Return ``(:Rule)`` rows for :func:`write_rules`."""
    skus = rules.product_ids
    names = (
        "count",
        "support",
        "confidence",
        "lift",
        "leverage",
        "conviction",
        "antecedent_support",
        "consequent_support",
    )
    columns = {name: getattr(rules, name).tolist() for name in names}
    rows = []
    for i, antecedent in enumerate(rules.antecedents):
        stats = {name: values[i] for name, values in columns.items()}
        stats["size"] = len(antecedent) + 1
        rows.append(
            {
                "id": f"r{i}",
                "antecedent": [skus[c] for c in antecedent],
                "consequent": skus[int(rules.consequent[i])],
                "stats": stats,
            }
        )

    return rows


def _params_record(params: MiningParams) -> dict[str, Any]:
    record = asdict(params)
    record["where"] = {k: v for k, v in record["where"].items() if v is not None}

    return record
