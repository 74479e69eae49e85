"""``basketgraph keys`` and ``basketgraph serve``."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import click

from basketgraph.config import Settings
from basketgraph.graphdb.keys import ROLES

logger = logging.getLogger(__name__)


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)  # set by the group callback

    return settings


@click.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What it may do.")
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the token to this file (readable by its owner only) instead of "
    "printing it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead.")
@click.pass_context
def keys_create(
    ctx: click.Context, role: str, name: str, output: Path | None, as_json: bool
) -> None:
    """Create a key; its token is shown once and stored only as a hash."""
    from basketgraph.graphdb.connection import connect
    from basketgraph.graphdb.keys import create_key

    driver = connect(_settings(ctx))
    try:
        key, token = create_key(driver, name, role)
    finally:
        driver.close()
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
    data = {**key.to_dict(), "token": None if output else token}
    if as_json:
        click.echo(json.dumps(data, indent=2))
    elif output is not None:
        click.echo(
            f"Created key {key.id} ({role}, {name!r}); its token is in {output}."
        )
    else:
        click.echo(f"Created key {key.id} ({role}, {name!r}). Its token, shown once:")
        click.echo(token)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")
@click.pass_context
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """List every key, revoked ones too."""
    from basketgraph.graphdb.connection import connect
    from basketgraph.graphdb.keys import list_keys

    driver = connect(_settings(ctx))
    try:
        found = list_keys(driver)
    finally:
        driver.close()
    if as_json:
        click.echo(json.dumps([k.to_dict() for k in found], indent=2))
        return
    for key in found:
        state = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d}"
        created = f"{key.created_at:%Y-%m-%d %H:%M}" if key.created_at else ""
        click.echo(f"{key.id}  {key.role:<6}  {state:<18}  {created}  {key.name}")


@keys.command("revoke")
@click.argument("key_id")
@click.pass_context
def keys_revoke(ctx: click.Context, key_id: str) -> None:
    """Revoke a key by its id; servers refuse it within seconds."""
    from basketgraph.graphdb.connection import connect
    from basketgraph.graphdb.keys import revoke_key

    driver = connect(_settings(ctx))
    try:
        key = revoke_key(driver, key_id)
    except LookupError as e:
        raise click.ClickException(str(e)) from e
    finally:
        driver.close()
    click.echo(f"Revoked key {key.id} ({key.role}, {key.name!r}).")


@click.command()
@click.option("--port", type=int, default=None, help="Port (default: 8000).")
@click.option(
    "--dataset",
    "-d",
    default=None,
    help="Dataset shown and answered when a request names none (default: the "
    "configured BASKETGRAPH_DATASET).",
)
@click.option(
    "--background", is_flag=True, help="Start detached, wait until it answers, return."
)
@click.option(
    "--no-access-log",
    is_flag=True,
    help="Log errors only, not a line per request (for load tests).",
)
@click.option(
    "--workers",
    "-w",
    type=int,
    default=None,
    help="Server processes (default: BASKETGRAPH_WEB_WORKERS, else one per core, "
    "at most 4); 1 runs Werkzeug's threaded server in this process.",
)
@click.option("--stop", is_flag=True, help="Stop the background server.")
@click.option("--status", is_flag=True, help="Say whether the background server runs.")
@click.pass_context
def serve(
    ctx: click.Context,
    port: int | None,
    dataset: str | None,
    background: bool,
    no_access_log: bool,
    workers: int | None,
    stop: bool,
    status: bool,
) -> None:
    """Serve the API and console on 127.0.0.1 (BASKETGRAPH_WEB_PORT, default 8000)."""
    from basketgraph.web.server import WebServer

    settings = _settings(ctx)
    if dataset is not None:
        from dataclasses import replace

        from basketgraph.config import check_dataset_name

        settings = replace(settings, dataset=check_dataset_name(dataset))
    if workers is not None and workers < 0:
        raise click.BadParameter(
            "give 1 or more, or 0 for the default.", param_hint="--workers"
        )
    server = WebServer(settings, port, workers or None)
    if stop:
        stopped = server.stop()
        click.echo(
            "Stopped the web server." if stopped else "The web server is not running."
        )
        return
    if status:
        found = server.status()
        click.echo(
            f"The web server runs (pid {found.pid}) on {found.url}"
            if found.running
            else "The web server is not running."
        )
        ctx.exit(0 if found.running else 3)
    if background:
        started = server.start()
        verb = "Serving" if started else "Already serving"
        click.echo(
            f"{verb} the console on {server.url} and the API on "
            f"{server.url}api/v1 (interactive description: {server.url}api/v1/docs), "
            f"dataset {settings.dataset!r}; server log in {server.log_file}.\n"
            "Log in with an API key's token; 'basketgraph keys create --role admin "
            "--name YOUR-NAME' makes one."
        )
        return
    if server.workers > 1:
        _serve_processes(settings, server.port, server.workers, not no_access_log)
    else:
        _serve_foreground(settings, server.port, access_log=not no_access_log)


def _serve_processes(
    settings: Settings, port: int, workers: int, access_log: bool
) -> None:
    """Serve with gunicorn: ``workers`` processes, each with its app and driver."""
    # TODO(serving): at 200 requests/s on 2 cores shared with Neo4j and the load
    # generator (bench/api.py, UCI Online Retail), p99 is 10 to 22 ms and the
    # API's p50 1.4 to 1.9 times the driver's, but single repeats of related
    # products reach 2.0: HTTP and Flask cost about 2 ms of a request whose Cypher
    # takes 2.6 ms. Of a server process's 2.4 ms of CPU per request, gunicorn's
    # HTTP handling is about 1 ms; a server with its HTTP in C or Rust would cut
    # that, at the cost of leaving gunicorn.
    from gunicorn.app.base import BaseApplication

    from basketgraph.web.app import create_app
    from basketgraph.web.server import HOST

    class Server(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
        def load_config(self) -> None:
            options = {
                "bind": f"{HOST}:{port}",
                "workers": workers,
                # Threads per process: requests wait on Neo4j, not on the CPU.
                "worker_class": "gthread",
                "threads": 8,
                # Each process opens its own Neo4j driver after the fork.
                "preload_app": False,
                "accesslog": "-" if access_log else None,
                "errorlog": "-",
                "graceful_timeout": 20,
                # Each worker's heartbeat touches a file on every loop: on a
                # disk-backed folder that can stall a request (gunicorn's FAQ).
                "worker_tmp_dir": _memory_folder(),
                "proc_name": "basketgraph-serve",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    click.echo(
        f"Serving the console and API on http://{HOST}:{port}/ with {workers} "
        "processes (Ctrl-C stops)."
    )
    Server().run()


def _memory_folder() -> str | None:
    """Return a folder in memory for gunicorn's heartbeat files, if there is one."""
    folder = Path("/dev/shm")
    if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
        return str(folder)

    return None


def _serve_foreground(settings: Settings, port: int, access_log: bool) -> None:
    from werkzeug.serving import make_server

    from basketgraph.web.app import close_app, create_app
    from basketgraph.web.server import HOST

    if not access_log:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(settings)
    # One process, a thread per request: for --workers 1 and debugging; one GIL
    # answers at most about 200 requests/s on 2 cores (bench/api.py).
    server = make_server(HOST, port, app, threaded=True)
    logger.info("Serving on http://%s:%s/", HOST, port)
    click.echo(f"Serving the console and API on http://{HOST}:{port}/ (Ctrl-C stops).")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        close_app(app)
