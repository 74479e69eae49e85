"""The schedule's work: the promotion rule and the hourly refresh of pair statistics."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.embed_job import run_embedding
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.graphdb.jobs import set_metrics
from basketgraph.graphdb.mining_job import MiningParams, run_mining
from basketgraph.graphdb.runs import active_run, get_run
from basketgraph.graphdb.train_job import TrainParams, run_training
from basketgraph.text import make_encoder
from basketgraph.workers.app import make_celery
from basketgraph.workers.jobs import wait_for_job
from basketgraph.workers.promotion import METRIC, decide_promotion
from basketgraph.workers.schedule import data_stamp, refresh_pairs, retrain
from tests.workerprocs import Workers


@pytest.mark.parametrize(
    ("candidate", "incumbent", "promoted"),
    [
        (0.30, None, True),  # nothing served yet
        (0.30, 0.30, True),  # as good
        (0.295, 0.30, True),  # a loss within the 2 % margin
        (0.29, 0.30, False),  # a loss beyond it
        (0.40, 0.30, True),
        (math.nan, 0.30, False),  # a candidate that cannot be judged
        (0.10, math.nan, True),  # an incumbent that cannot be judged
    ],
)
def test_the_promotion_rule_allows_only_a_small_loss(
    candidate: float, incumbent: float | None, promoted: bool
) -> None:
    decision = decide_promotion(
        {METRIC: candidate},
        None if incumbent is None else {METRIC: incumbent},
        margin=0.02,
    )

    assert decision.promote is promoted, decision.reason
    assert decision.reason


@pytest.mark.neo4j
def test_a_retrained_run_that_evaluates_worse_is_kept_but_not_served(
    driver: Driver,
    loaded: str,
    job_settings: Settings,
    workers: Workers,
    tmp_path: Path,
) -> None:
    run_embedding(driver, loaded, make_encoder(None))
    quick = {"max_epochs": 2, "steps_per_epoch": 5, "channels": 16}
    served = run_training(
        driver, loaded, TrainParams(model="gcn", train=quick), tmp_path / "models"
    )
    # The served run is recorded with a perfect validation score, so that any
    # retrained run evaluates worse than it by more than the margin.
    incumbent = get_run(driver, served.run_id)
    assert incumbent is not None and incumbent.active
    set_metrics(driver, served.run_id, {**incumbent.metrics, METRIC: 1.0})
    settings = dataclasses.replace(job_settings, schedule_datasets=(loaded,))
    workers.start()

    queued = retrain(make_celery(settings), settings, driver)

    assert len(queued) == 2  # the retraining of the served GCN, then an evaluation
    done = [wait_for_job(driver, job_id, 600) for job_id in queued]
    retrained, evaluation = done
    assert retrained.status == evaluation.status == "complete", retrained.error
    assert not retrained.active
    assert retrained.held_back is not None and "stays served" in retrained.held_back
    assert retrained.metrics["promotion"]["promote"] is False
    assert retrained.metrics[METRIC] < 1.0
    still = active_run(driver, loaded, "train")
    assert still is not None and still.id == served.run_id
    # Its relationships exist, marked with its run, but serving reads the active
    # run's only.
    kept = driver.execute_query(
        "MATCH (:Product {dataset: $dataset})-[r:ASSOCIATED {run_id: $id}]->() "
        "RETURN count(r) AS n",
        dataset=loaded,
        id=retrained.id,
    ).records[0]["n"]
    assert kept == retrained.metrics["associated_written"] > 0
    served_ids = driver.execute_query(
        "MATCH (run:Run {dataset: $dataset, kind: 'train', active: true}) "
        "MATCH (:Product {dataset: $dataset})-[r:ASSOCIATED]->() "
        "WHERE r.run_id = run.id RETURN collect(DISTINCT r.run_id) AS ids",
        dataset=loaded,
    ).records[0]["ids"]
    assert served_ids == [served.run_id]


@pytest.mark.neo4j
def test_the_hourly_refresh_mines_again_only_when_orders_changed(
    driver: Driver,
    loaded: str,
    orders_file: Path,
    job_settings: Settings,
    workers: Workers,
    tmp_path: Path,
) -> None:
    settings = dataclasses.replace(job_settings, schedule_datasets=(loaded,))
    first = run_mining(
        driver, loaded, MiningParams(min_support=0.01, min_confidence=0.05)
    )
    app = make_celery(settings)
    workers.start()

    # Mined by hand, the run has no stamp: the refresh mines once to get one.
    stamped = refresh_pairs(app, settings, driver)
    assert len(stamped) == 1
    refreshed = wait_for_job(driver, stamped[0], 300)
    assert refreshed.status == "complete" and refreshed.active, refreshed.error
    mined_by_hand = get_run(driver, first.run_id)
    assert mined_by_hand is not None and not mined_by_hand.active
    assert refreshed.params["min_support"] == mined_by_hand.params["min_support"]

    # The same file again changes nothing: no new job.
    rejects = tmp_path / "rejects.csv"
    ingest_file(driver, orders_file, "csv", loaded, rejects_path=rejects)
    assert refresh_pairs(app, settings, driver) == []

    # New orders do.
    more = tmp_path / "more.csv"
    more.write_text(
        "order_id,sku,quantity,unit_price,placed_at,customer_id,title\n"
        "new-1,NEW-A,1,2.5,2030-01-01T10:00:00,c-new,New product A\n"
        "new-1,NEW-B,1,3.5,2030-01-01T10:00:00,c-new,New product B\n"
    )
    before = data_stamp(driver, loaded)
    ingest_file(driver, more, "csv", loaded, rejects_path=rejects)
    assert data_stamp(driver, loaded) != before
    again = refresh_pairs(app, settings, driver)
    assert len(again) == 1
    done = wait_for_job(driver, again[0], 300)
    assert done.status == "complete" and done.active, done.error
    current = active_run(driver, loaded, "mine")
    assert current is not None and current.id == done.id
