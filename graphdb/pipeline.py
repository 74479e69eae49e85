"""The whole pipeline in one call: ingest, mine, embed, train, write back, evaluate.

Each step is the same job the command line runs on its own, recorded as its own
``(:Run)``; this module only chains them and times each one, so that one command
takes a data file to a table of every model and baseline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.embed_job import EmbedParams, run_embedding
from basketgraph.graphdb.evaluation_job import (
    EvaluationParams,
    EvaluationSummary,
    run_evaluation,
)
from basketgraph.graphdb.mining_job import MiningParams, run_mining
from basketgraph.graphdb.train_job import TrainParams, run_training
from basketgraph.trainable import PIPELINE_MODELS

logger = logging.getLogger(__name__)


@dataclass
class PipelineSummary:
    """What each step of one pipeline did, and how long it took."""

    dataset: str
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    evaluation: EvaluationSummary | None = None

    @property
    def total_seconds(self) -> float:
        """Seconds of every step together."""
        return sum(self.seconds.values())


def run_pipeline(
    driver: Driver,
    settings: Settings,
    dataset: str,
    ingest: Callable[[], dict[str, Any]] | None = None,
    mining: MiningParams | None = None,
    models: tuple[str, ...] = PIPELINE_MODELS,
    evaluation: EvaluationParams | None = None,
    on_step: Callable[[str], None] | None = None,
) -> PipelineSummary:
    """Run every step on ``dataset`` and return what each did.

    Args:
        driver (Driver): An open driver.
        settings (Settings): Where models and reports go, and the text encoder.
        dataset (str): The dataset.
        ingest (Callable, optional): Loads the data and returns its summary;
            ``None`` when the dataset is already loaded.
        mining (MiningParams, optional): Mining parameters (default:
            ``MiningParams()``).
        models (tuple[str, ...]): Models trained and written back, in order.
        evaluation (EvaluationParams, optional): The evaluation; ``None`` skips it.
        on_step (Callable[[str], None], optional): Called with each step's name
            as it starts.

    Returns:
        PipelineSummary: Each step's summary and seconds.
    """
    from basketgraph.text import make_encoder

    summary = PipelineSummary(dataset)

    def step(name: str, work: Callable[[], Any]) -> Any:
        if on_step is not None:
            on_step(name)
        started = time.perf_counter()
        result = work()
        summary.seconds[name] = time.perf_counter() - started
        logger.info(
            "Pipeline step %s of %s took %.1f s", name, dataset, summary.seconds[name]
        )

        return result

    if ingest is not None:
        summary.steps["ingest"] = step("ingest", ingest)
    summary.steps["mine"] = step(
        "mine", lambda: run_mining(driver, dataset, mining or MiningParams()).to_dict()
    )
    encoder = make_encoder(settings.text_encoder)
    summary.steps["embed"] = step(
        "embed",
        lambda: run_embedding(driver, dataset, encoder, EmbedParams()).to_dict(),
    )
    for model in models:
        summary.steps[f"train {model}"] = step(
            f"train {model}",
            partial(_train, driver, dataset, model, settings.home / "models"),
        )
    if evaluation is not None:
        summary.evaluation = step(
            "evaluate",
            lambda: run_evaluation(
                driver, dataset, evaluation, settings.home / "reports" / dataset
            ),
        )

    return summary


def _train(driver: Driver, dataset: str, model: str, root: Path) -> dict[str, Any]:
    params = TrainParams(model=model)

    return run_training(driver, dataset, params, root).to_dict()
