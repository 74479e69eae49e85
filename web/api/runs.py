"""``/api/v1/runs``: runs with their metrics, and which one is served."""

from __future__ import annotations

from typing import Any

from basketgraph.graphdb.runs import Run, list_runs
from basketgraph.graphdb.serving import choose_active_run
from basketgraph.web.api import ApiBlueprint, problem_responses
from basketgraph.web.api.common import dataset_of
from basketgraph.web.api.schemas import Activation, DatasetArgs, RunArgs, RunList
from basketgraph.web.auth import requires
from basketgraph.web.services import services

URL = "/runs"
blp = ApiBlueprint("runs", __name__, description="Runs and the active run.")


def run_to_dict(run: Run) -> dict[str, Any]:
    """Return a run as JSON-able values."""
    return {
        "id": run.id,
        "dataset": run.dataset,
        "kind": run.kind,
        "status": run.status,
        "active": run.active,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "params": run.params,
        "metrics": run.metrics,
    }


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(RunArgs, location="query")
@blp.response(200, RunList)
def list_all(args: dict[str, Any]) -> dict[str, Any]:
    """List the dataset's runs (of one kind, if given), newest first."""
    dataset = dataset_of(args)
    runs = list_runs(services().driver, dataset, args.get("kind"))

    return {"dataset": dataset, "runs": [run_to_dict(r) for r in runs]}


@blp.route("/<run_id>/activate", methods=["POST"])
@requires("admin")
@blp.arguments(DatasetArgs, location="query")
@blp.response(200, Activation)
@blp.doc(responses=problem_responses(404, 409))
def activate(args: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Serve this complete run for its kind; the previous active run stops being.

    The switch is one transaction: readers see the old run or the new one.
    """
    return choose_active_run(services().driver, dataset_of(args), run_id)
