"""The workers' commands: ``basketgraph worker``, ``beat`` and ``jobs``."""

from __future__ import annotations

import json
import socket
from typing import Any

import click

from basketgraph.config import Settings, check_dataset_name


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)  # set by the group callback

    return settings


@click.command()
@click.option(
    "--queues",
    "-Q",
    default=None,
    help="Comma-separated queues to consume: io, cpu, gpu "
    "(default: io,cpu, and gpu on a machine with CUDA).",
)
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=1,
    show_default=True,
    help="Jobs run at once by this worker, one process each.",
)
@click.option("--name", "-n", default=None, help="Worker name (default: w<pid>@host).")
@click.option(
    "--loglevel", "-l", default="INFO", show_default=True, help="Celery's log level."
)
@click.pass_context
def worker(
    ctx: click.Context,
    queues: str | None,
    concurrency: int,
    name: str | None,
    loglevel: str,
) -> None:
    """Run a worker that takes jobs from the queues (until stopped)."""
    import os

    from basketgraph.workers.app import QUEUES, make_celery

    settings = _settings(ctx)
    if queues is None:
        chosen = ["io", "cpu", *(["gpu"] if _has_cuda() else [])]
    else:
        chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in chosen if q not in QUEUES]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{queues!r} names no queue or an unknown one; use some of "
            f"{', '.join(QUEUES)}.",
            param_hint="--queues",
        )
    app = make_celery(settings)
    app.worker_main(
        [
            "worker",
            f"--queues={','.join(chosen)}",
            f"--concurrency={concurrency}",
            f"--hostname={name or f'w{os.getpid()}@{socket.gethostname()}'}",
            f"--loglevel={loglevel}",
            "--without-gossip",
        ]
    )


def _has_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@click.command()
@click.option(
    "--loglevel", "-l", default="INFO", show_default=True, help="Celery's log level."
)
@click.pass_context
def beat(ctx: click.Context, loglevel: str) -> None:
    """Run Celery beat, which queues the periodic work (until stopped)."""
    from basketgraph.workers.app import make_celery

    settings = _settings(ctx)
    settings.home.mkdir(parents=True, exist_ok=True)
    app = make_celery(settings)
    app.start(
        [
            "beat",
            f"--schedule={settings.home / 'celerybeat-schedule'}",
            f"--loglevel={loglevel}",
        ]
    )


@click.group(invoke_without_command=True)
@click.option("--dataset", "-d", default=None, help="Only this dataset's jobs.")
@click.option("--limit", type=int, default=20, show_default=True, help="Most jobs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
@click.pass_context
def jobs(ctx: click.Context, dataset: str | None, limit: int, as_json: bool) -> None:
    """List jobs and runs, newest first; see also 'jobs show|cancel|submit'."""
    if ctx.invoked_subcommand is not None:
        return
    from basketgraph.workers.jobs import list_jobs

    with _driver(_settings(ctx)) as driver:
        found = list_jobs(driver, dataset, limit)
    if as_json:
        click.echo(json.dumps([j.to_dict() for j in found], indent=2, default=str))
        return
    if not found:
        click.echo("No jobs yet.")
        return
    for job in found:
        click.echo(_line(job))


def _line(job: Any) -> str:
    when = job.submitted_at or job.started_at
    stamp = when.strftime("%Y-%m-%d %H:%M:%S") if when else "-"
    mark = "*" if job.active else " "
    text = (
        f"{mark} {job.id:<34} {job.dataset:<16} {job.kind:<9} {job.status:<9} "
        f"{job.progress:5.1f} %  {stamp}  {job.stage or ''}"
    )
    if job.held_back:
        text += f"  (held back: {job.held_back})"
    if job.error and job.status in ("failed", "cancelled"):
        text += f"  {job.error}"

    return text.rstrip()


@jobs.command("show")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
@click.pass_context
def jobs_show(ctx: click.Context, job_id: str, as_json: bool) -> None:
    """Show one job: status, stage, progress, parameters, metrics and error."""
    from basketgraph.exceptions import InputError
    from basketgraph.workers.jobs import get_job

    with _driver(_settings(ctx)) as driver:
        job = get_job(driver, job_id)
    if job is None:
        raise InputError(
            f"No job has the id {job_id!r}; 'basketgraph jobs' lists them."
        )
    data = job.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, dict | list):
            value = json.dumps(value, default=str)
        click.echo(f"{key:>16}: {value}")


@jobs.command("cancel")
@click.argument("job_id")
@click.pass_context
def jobs_cancel(ctx: click.Context, job_id: str) -> None:
    """Cancel a queued or running job (a pipeline with all its steps)."""
    from basketgraph.exceptions import InputError
    from basketgraph.workers.jobs import cancel_job

    settings = _settings(ctx)
    with _driver(settings) as driver:
        try:
            job = cancel_job(settings, driver, job_id)
        except LookupError as e:
            raise InputError(str(e)) from e
    if job.status == "cancelled":
        click.echo(f"Job {job.id} is cancelled.")
    elif job.status == "running":
        click.echo(f"Job {job.id} stops at its next progress report.")
    else:
        click.echo(f"Job {job.id} had already ended ({job.status}); nothing changed.")


class _SubmitCommand(click.Command):
    """``jobs submit``, whose help ends with each step's parameters."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the parameters of every step, with their defaults."""
        from basketgraph.workers.jobs import STEP_PARAMS

        rows = []
        for step, spec in STEP_PARAMS.items():
            names = []
            for name, param in spec.items():
                shown = name
                if param.required:
                    shown += " (required)"
                elif param.choices:
                    shown += f"={'|'.join(param.choices)}"
                elif param.default is not None:
                    shown += f"={json.dumps(param.default)}"
                names.append(shown)
            rows.append((step, ", ".join(names)))
        with formatter.section("Parameters of each step"):
            formatter.write_dl(rows)


@jobs.command("submit", cls=_SubmitCommand)
@click.argument("step")
@click.option("--dataset", "-d", default=None, help="Dataset (default: configured).")
@click.option(
    "--param",
    "-p",
    "raw_params",
    multiple=True,
    help="NAME=VALUE, VALUE read as JSON where it parses (repeatable).",
)
@click.option("--wait", is_flag=True, help="Wait for the job and show its progress.")
@click.option(
    "--timeout", type=float, default=3600.0, show_default=True, help="For --wait."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
@click.pass_context
def jobs_submit(
    ctx: click.Context,
    step: str,
    dataset: str | None,
    raw_params: tuple[str, ...],
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Queue a job: STEP is ingest, mine, embed, train, evaluate, prune or pipeline."""
    from basketgraph.exceptions import InputError
    from basketgraph.workers.jobs import submit_job, wait_for_job

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    params: dict[str, Any] = {}
    for item in raw_params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--param {item!r} is not NAME=VALUE.")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    with _driver(settings) as driver:
        job = submit_job(settings, driver, step, dataset, params)
        if not as_json:
            click.echo(f"Queued {step} job {job.id} on {dataset!r}.", err=wait)
        if wait:
            job = wait_for_job(
                driver,
                job.id,
                timeout,
                None if as_json else lambda j: click.echo(_line(j), err=True),
            )
    if as_json:
        click.echo(json.dumps(job.to_dict(), indent=2, default=str))
    elif wait:
        click.echo(_line(job))
    if wait and job.status != "complete":
        raise InputError(f"Job {job.id} ended {job.status}: {job.error}")


def _driver(settings: Settings) -> Any:
    from basketgraph.cli import open_driver

    return open_driver(settings)
