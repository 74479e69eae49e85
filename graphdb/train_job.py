"""One training run: export, train, save the model, write ``ASSOCIATED`` back.

A ``gcn``, ``gat`` or ``lightgcn`` run is a ``(:Run {kind: 'train'})`` and writes
each product's top partners by the learned score as
``(:Product)-[:ASSOCIATED {score, rank, model, kind: 'learned', run_id}]->(:Product)``.
A ``hybrid`` run is a ``(:Run {kind: 'hybrid'})`` and writes two lists per product,
``kind: 'complement'`` and ``kind: 'substitute'``. Every merchandise product gets
partners, also one never bought: its features (its text above all) place it.
Relationships are written while the run is ``running``, after deleting anything the
same run wrote before, and served only once
:func:`basketgraph.graphdb.runs.activate_run` switches to it, as for mining; a
failure marks the run failed and leaves the active run as it was.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from neo4j import Driver

from basketgraph.exceptions import ConfigurationError, SourceError
from basketgraph.graphdb.batches import write_rows
from basketgraph.graphdb.export import BasketFilter
from basketgraph.graphdb.graph_export import export_training_data
from basketgraph.graphdb.jobs import set_metrics
from basketgraph.graphdb.runs import activate_run, start_run, stop_run
from basketgraph.graphdb.writeback import BATCH, clear_run
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.progress import StageReport, report_nothing
from basketgraph.recommend import HybridRecommender, LearnedRecommender
from basketgraph.recommend import make_recommender as build
from basketgraph.recommend.base import FloatArray
from basketgraph.recommend.ease import EASERecommender
from basketgraph.recommend.learned import GATRecommender
from basketgraph.recommend.pairmax import PairMaxRecommender
from basketgraph.trainable import MODELS

logger = logging.getLogger(__name__)

#: Products whose partners are scored at once.
SCORE_BLOCK = 512
#: Neighbours a GAT run stores per partner, those it attended to most.
ATTENDED = 5

_ASSOCIATED = """
UNWIND $rows AS row
MATCH (a:Product {dataset: $dataset, sku: row.product})
MATCH (b:Product {dataset: $dataset, sku: row.partner})
CREATE (a)-[:ASSOCIATED {score: row.score, rank: row.rank, kind: row.kind,
                         attended: row.attended, model: $model,
                         run_id: $run_id}]->(b)
"""


@dataclass(frozen=True)
class TrainParams:
    """What a training run does; every field has a working default."""

    #: ``"gcn"``, ``"gat"``, ``"lightgcn"``, ``"hybrid"`` or ``"ease"``.
    model: str = "gcn"
    #: Partners written per product (and per kind, for the hybrid).
    top_k: int = 20
    #: Hyperparameters (:class:`basketgraph.gnn.training.TrainConfig` fields).
    train: dict[str, Any] = field(default_factory=dict)
    #: Which baskets and products to train on.
    where: BasketFilter = field(default_factory=BasketFilter)

    def __post_init__(self) -> None:
        """Refuse what cannot work."""
        if self.model not in MODELS:
            raise ConfigurationError(
                f"No model is named {self.model!r}; use one of {', '.join(MODELS)}."
            )
        if self.top_k < 1:
            raise ConfigurationError(f"top_k is {self.top_k!r}; use 1 or more.")


@dataclass
class TrainSummary:
    """What one training run did."""

    run_id: str
    dataset: str
    model: str
    baskets: int = 0
    products: int = 0
    data_hash: str = ""
    epochs: int = 0
    best_epoch: int = 0
    validation_ndcg: float = float("nan")
    weights: list[float] | None = None
    #: EASE's penalty, chosen on the validation baskets.
    l2: float | None = None
    associated_written: int = 0
    checkpoint: str = ""
    #: Each product's scored partners, saved for the write-back.
    partners: str = ""
    seconds_export: float = 0.0
    seconds_training: float = 0.0
    seconds_writing: float = 0.0

    @property
    def seconds(self) -> float:
        """Seconds of the whole run."""
        return self.seconds_export + self.seconds_training + self.seconds_writing

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain data."""
        return {**asdict(self), "seconds": round(self.seconds, 2)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainSummary:
        """Return the summary that :meth:`to_dict` gave (the ``seconds`` aside)."""
        names = {f.name for f in fields(cls)}

        return cls(**{k: v for k, v in data.items() if k in names})


def run_training(
    driver: Driver,
    dataset: str,
    params: TrainParams,
    model_root: Path,
    progress: Callable[[str], None] | None = None,
    *,
    run_id: str | None = None,
) -> TrainSummary:
    """Train ``params.model`` on ``dataset``, write its partners, make it active.

    The two halves, :func:`train_model` and :func:`write_back`, are also jobs of
    their own (training on a CPU or GPU worker, writing on an I/O worker).

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        params (TrainParams): Model, partners per product, hyperparameters, window.
        model_root (Path): The checkpoint goes to
            ``model_root/<dataset>/<run id>.pt``.
        progress (Callable[[str], None], optional): Called with the name of each
            stage as it starts (default: no reports).
        run_id (str, optional): The run of a job (default: a new run).

    Returns:
        TrainSummary: Counts, validation figures and timings.
    """
    report = _stages(progress or _silent)
    summary = train_model(driver, dataset, params, model_root, run_id, report)
    write_back(driver, summary, report=report)

    return summary


def _stages(progress: Callable[[str], None]) -> StageReport:
    """Turn a stage-name callback into a :data:`StageReport` told of changes."""
    last: list[str] = []

    def report(stage: str, done: float) -> None:
        if not last or last[-1] != stage:
            last.append(stage)
            progress(stage)

    return report


def train_model(
    driver: Driver,
    dataset: str,
    params: TrainParams,
    model_root: Path,
    run_id: str | None = None,
    report: StageReport = report_nothing,
) -> TrainSummary:
    """Export, train and save ``params.model``; the run stays ``running``.

    Besides the checkpoint it saves each product's scored partners to
    ``<checkpoint>.partners.parquet``, so that :func:`write_back` only writes.
    The summary so far is stored as the run's metrics.

    Returns:
        TrainSummary: Counts, validation figures, timings and the files.
    """
    kind = "hybrid" if params.model == "hybrid" else "train"
    run_id = start_run(driver, dataset, kind, _params_record(params), run_id)
    summary = TrainSummary(run_id=run_id, dataset=dataset, model=params.model)
    try:
        _train_into(driver, params, model_root, summary, report)
    except BaseException as e:
        stop_run(driver, run_id, e)
        raise
    set_metrics(driver, run_id, summary.to_dict())
    logger.info("Training run %s of %s is trained: %s", run_id, dataset, summary)

    return summary


def write_back(
    driver: Driver,
    summary: TrainSummary,
    *,
    batch: int = BATCH,
    activate: bool = True,
    report: StageReport = report_nothing,
) -> TrainSummary:
    """Write a trained run's partners as ``ASSOCIATED`` and make the run active.

    What the run wrote before is deleted first, so a write-back retried after its
    worker died never duplicates a relationship.

    Args:
        driver (Driver): An open driver.
        summary (TrainSummary): What :func:`train_model` returned (or stored as
            the run's metrics).
        batch (int): Relationships per transaction (default: :data:`BATCH`).
        activate (bool): Make the run active when written (default: ``True``);
            ``False`` leaves it ``running`` for the caller to decide.
        report (StageReport): Receives ``writing`` and the share written.

    Returns:
        TrainSummary: ``summary`` with the relationships written and the time.
    """
    report("writing", 0.9)
    started = time.perf_counter()
    try:
        rows = read_partners(Path(summary.partners))
        clear_run(driver, summary.dataset, summary.run_id)
        batches = write_rows(
            driver,
            _ASSOCIATED,
            rows,
            batch,
            on_batch=lambda done, total: report("writing", 0.9 + 0.1 * done / total),
            dataset=summary.dataset,
            run_id=summary.run_id,
            model=summary.model,
        )
        summary.associated_written = sum(c.relationships_created for c in batches)
        summary.seconds_writing = time.perf_counter() - started
    except BaseException as e:
        stop_run(driver, summary.run_id, e)
        raise
    if activate:
        activate_run(driver, summary.run_id, summary.to_dict())
        logger.info("Training run %s is active: %s", summary.run_id, summary)
    else:
        set_metrics(driver, summary.run_id, summary.to_dict())

    return summary


def _silent(stage: str) -> None:
    """Report nothing."""


def _train_into(
    driver: Driver,
    params: TrainParams,
    model_root: Path,
    summary: TrainSummary,
    report: StageReport,
) -> None:
    from basketgraph.gnn.checkpoint import save_checkpoint

    report("export", 0.0)
    started = time.perf_counter()
    export = export_training_data(driver, summary.dataset, params.where)
    summary.baskets = export.baskets.num_orders
    summary.products = export.baskets.num_products
    summary.data_hash = export.data_hash
    summary.seconds_export = time.perf_counter() - started

    report("training", 0.1)
    started = time.perf_counter()
    if params.model == "ease":
        _fit_ease(params, model_root, summary, export.baskets, report)
        summary.seconds_training = time.perf_counter() - started
        return
    recommender = build(params.model, **params.train)
    assert isinstance(recommender, PairMaxRecommender)  # every model of MODELS
    recommender.fit(export.baskets, export.side)
    learned = (
        recommender.learned
        if isinstance(recommender, HybridRecommender)
        else recommender
    )
    assert isinstance(learned, LearnedRecommender)
    result = learned.result
    summary.epochs, summary.best_epoch = len(result.history), result.best_epoch
    summary.validation_ndcg = result.best_validation
    if isinstance(recommender, HybridRecommender) and recommender.weights:
        summary.weights = list(recommender.weights)
    path = model_root / summary.dataset / f"{summary.run_id}.pt"
    summary.checkpoint = str(
        save_checkpoint(
            path,
            result,
            {
                "dataset": summary.dataset,
                "run_id": summary.run_id,
                "training_data_hash": export.data_hash,
                "hybrid_weights": summary.weights,
            },
        )
    )

    report("scoring", 0.8)
    skus = [str(s) for s in export.baskets.product_ids]
    rows = [
        row
        for kind, scorer in _scorers(recommender)
        for row in partner_rows(skus, scorer, params.top_k, kind)
    ]
    attended = attended_skus(learned, skus)
    for row in rows:
        row["attended"] = attended.get(row["partner"])
    summary.partners = str(save_partners(path.with_suffix(".partners.parquet"), rows))
    summary.seconds_training = time.perf_counter() - started


def attended_skus(
    learned: LearnedRecommender, skus: list[str], k: int = ATTENDED
) -> dict[str, list[str]]:
    """Return, per product, the ``k`` neighbours an attention model attended to most.

    The attention is the last layer's, from the scoring pass; a model without
    attention (GCN, LightGCN) gives an empty map. Written on each ``ASSOCIATED``
    relationship as ``attended``: what placed the partner where it is.
    """
    found: dict[str, list[str]] = {}
    if not isinstance(learned, GATRecommender) or learned.result is None:
        return found
    if getattr(learned.result.model.encoder, "attention", None) is None:
        return found
    for column, sku in enumerate(skus):
        if neighbours := learned.attended(column, k):
            found[sku] = [skus[int(n["product"])] for n in neighbours]

    return found


#: Hyperparameters an EASE run takes; ``device`` is accepted and unused (numpy on
#: the CPU), so that every model takes the command line's options.
_EASE_PARAMS = ("l2", "validation_share", "validation_baskets", "seed")


def _fit_ease(
    params: TrainParams,
    model_root: Path,
    summary: TrainSummary,
    baskets: BasketMatrix,
    report: StageReport,
) -> None:
    """Fit EASE, save its weights, score each product's partners by them."""
    from basketgraph.gnn.checkpoint import code_version

    unknown = sorted(set(params.train) - {*_EASE_PARAMS, "device"})
    if unknown:
        raise ConfigurationError(
            f"EASE takes no {unknown[0]!r} (it is fitted in closed form, without "
            f"epochs); it takes {', '.join(_EASE_PARAMS)}."
        )
    recommender = EASERecommender(
        **{k: v for k, v in params.train.items() if k in _EASE_PARAMS}
    )
    recommender.fit(baskets)
    search = recommender.l2_search
    summary.validation_ndcg = max((s["ndcg@10"] for s in search), default=float("nan"))
    path = model_root / summary.dataset / f"{summary.run_id}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = recommender.weights
    np.savez_compressed(
        path,
        weights=weights.astype(np.float32),
        product_ids=np.asarray([str(p) for p in baskets.product_ids]),
    )
    metadata = {
        "model": "ease",
        "l2": recommender.chosen_l2,
        "l2_search": search,
        "dataset": summary.dataset,
        "run_id": summary.run_id,
        "data_hash": summary.data_hash,
        "code_version": code_version(),
        "num_products": baskets.num_products,
    }
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=2) + "\n")
    summary.checkpoint = str(path)
    summary.l2 = recommender.chosen_l2

    report("scoring", 0.8)
    # TODO(ease): a product never bought has no weights, so it gets no EASE
    # partners; while an EASE run is the one served as learned, such a product is
    # answered by kind=similar only (GCN and GAT runs place it by its text).
    # Blending the text into EASE would need weights fitted for it.
    skus = [str(s) for s in baskets.product_ids]
    rows = list(
        partner_rows(
            skus,
            lambda columns: recommender.score_baskets([[c] for c in columns]),
            params.top_k,
            "learned",
        )
    )
    summary.partners = str(save_partners(path.with_suffix(".partners.parquet"), rows))


def save_partners(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write partner rows: ``product``, ``partner``, ``score``, ``rank``, ``kind``.

    Rows may also have ``attended``, the skus an attention model placed the
    partner by.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = ("product", "partner", "score", "rank", "kind", "attended")
    table = pa.table(
        {
            name: pa.array(
                [row.get(name) for row in rows],
                type=pa.list_(pa.string()) if name == "attended" else None,
            )
            for name in columns
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    pq.write_table(table, partial)
    partial.replace(path)

    return path


def read_partners(path: Path) -> list[dict[str, Any]]:
    """Read what :func:`save_partners` wrote.

    Raises:
        SourceError: If the file is gone (the model folder was cleared, or the
            worker that writes back does not share it with the one that trained).
    """
    import pyarrow.parquet as pq

    if not path.is_file():
        raise SourceError(
            f"The scored partners {str(path)!r} are missing: train the model again, "
            "and give every worker the same BASKETGRAPH_HOME (or a shared folder)."
        )
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()

    return rows


def _scorers(
    recommender: PairMaxRecommender,
) -> list[tuple[str, Callable[[list[int]], FloatArray]]]:
    if isinstance(recommender, HybridRecommender):
        return [
            ("complement", recommender.complement_scores),
            ("substitute", recommender.substitute_scores),
        ]

    return [("learned", recommender.pair_scores)]


def partner_rows(
    skus: list[str],
    scorer: Callable[[list[int]], FloatArray],
    top_k: int,
    kind: str,
) -> Iterator[dict[str, Any]]:
    """Yield each product's ``top_k`` partners by ``scorer``, best first.

    A product is never its own partner, and pairs scored ``-inf`` (no evidence,
    or excluded for the kind) are left out; equal scores are listed by column.

    Args:
        skus (list[str]): The products, by column.
        scorer (Callable): Maps a list of columns to their
            ``[len(columns), len(skus)]`` pair scores.
        top_k (int): Partners per product.
        kind (str): Written on each relationship.

    Yields:
        dict[str, Any]: ``product``, ``partner``, ``score``, ``rank``, ``kind``.
    """
    n = len(skus)
    for start in range(0, n, SCORE_BLOCK):
        columns = list(range(start, min(start + SCORE_BLOCK, n)))
        scores = np.array(scorer(columns), dtype=np.float64)
        scores[np.arange(len(columns)), columns] = -np.inf
        width = min(top_k, n - 1)
        if width <= 0:
            return
        for row, product in enumerate(columns):
            line = scores[row]
            candidates = np.argpartition(-line, width - 1)[:width]
            order = np.lexsort((candidates, -line[candidates]))
            ranked = [p for p in candidates[order].tolist() if np.isfinite(line[p])]
            for rank, partner in enumerate(ranked, start=1):
                yield {
                    "product": skus[product],
                    "partner": skus[partner],
                    "score": float(line[partner]),
                    "rank": rank,
                    "kind": kind,
                }


def _params_record(params: TrainParams) -> dict[str, Any]:
    record = asdict(params)
    record["where"] = {k: v for k, v in record["where"].items() if v is not None}

    return record
