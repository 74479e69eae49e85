"""The whole pipeline from one command, on generated data, against the real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from neo4j import Driver

from basketgraph.synthetic import SyntheticConfig, generate
from tests.conftest import run_cli

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def test_pipeline_loads_learns_writes_back_and_judges(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    generate(
        SyntheticConfig(num_orders=2_000, num_products=200, num_complement_pairs=20),
        path,
    )

    result = run_cli(
        "pipeline",
        str(path),
        "--format",
        "csv",
        "--dataset",
        dataset,
        "--models",
        "gcn,hybrid",
        "--json",
    )

    summary = json.loads(result.stdout)
    steps = summary["steps"]
    assert list(steps) == ["ingest", "mine", "embed", "train gcn", "train hybrid"]
    assert set(summary["seconds"]) == {*steps, "evaluate"}
    results = summary["evaluation"]["results"]
    assert {"popularity", "rules", "cosine", "ease", "gcn", "gat", "hybrid"} <= set(
        results
    )
    served = driver.execute_query(
        """
MATCH (run:Run {dataset: $dataset, active: true})
MATCH ()-[r:ASSOCIATED {run_id: run.id}]->()
RETURN run.kind AS kind, count(r) AS n ORDER BY kind
""",
        dataset=dataset,
    ).records
    assert {r["kind"]: r["n"] > 0 for r in served} == {"hybrid": True, "train": True}
