"""``/api/v1/jobs``: run pipeline steps on the workers, follow and cancel them."""

from __future__ import annotations

from typing import Any

from basketgraph.web.api import ApiBlueprint, problem_responses
from basketgraph.web.api.common import dataset_of
from basketgraph.web.api.schemas import DatasetArgs, Job, JobArgs, JobList, JobRequest
from basketgraph.web.auth import requires
from basketgraph.web.services import services
from basketgraph.workers.jobs import cancel_job, get_job, list_jobs, submit_job

URL = "/jobs"
blp = ApiBlueprint("jobs", __name__, description="Pipeline steps run by the workers.")


@blp.route("", methods=["POST"])
@requires("admin")
@blp.arguments(DatasetArgs, location="query")
@blp.arguments(JobRequest, location="json")
@blp.response(202, Job)
@blp.doc(responses=problem_responses(503))
def submit(args: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Queue a pipeline step; the answer is the job, ``queued``.

    Parameters are checked before anything is queued: a wrong one is a 400 that
    names it (``params.<name>``). Without Redis the job cannot be queued: 503 with
    ``Retry-After``, and the job is recorded as failed.
    """
    found = services()
    job = submit_job(
        found.settings, found.driver, body["step"], dataset_of(args), body["params"]
    )

    return job.to_dict()


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(JobArgs, location="query")
@blp.response(200, JobList)
def list_all(args: dict[str, Any]) -> dict[str, Any]:
    """List the dataset's jobs and runs, newest first.

    They are read from Neo4j, so the list stays readable while Redis is down.
    """
    dataset = dataset_of(args)
    jobs = list_jobs(services().driver, dataset, args["limit"])

    return {"dataset": dataset, "jobs": [j.to_dict() for j in jobs]}


@blp.route("/<job_id>", methods=["GET"])
@requires("read")
@blp.response(200, Job)
@blp.doc(responses=problem_responses(404))
def get_one(job_id: str) -> dict[str, Any]:
    """Return a job's status, stage and progress (percent)."""
    job = get_job(services().driver, job_id)
    if job is None:
        raise LookupError(f"No job has the id {job_id!r}: GET /api/v1/jobs lists them.")

    return job.to_dict()


@blp.route("/<job_id>/cancel", methods=["POST"])
@requires("admin")
@blp.response(200, Job)
@blp.doc(responses=problem_responses(404))
def cancel(job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job; a finished one is left as it was.

    A queued job is cancelled at once; a running one stops at its next progress
    report, and the results that are served stay as they were.
    """
    return cancel_job(services().settings, services().driver, job_id).to_dict()
