"""The application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from basketgraph.config import Settings
from basketgraph.graphdb.connection import connect
from basketgraph.graphdb.curation import UnknownProductError
from basketgraph.graphdb.serving import RunStateError
from basketgraph.web.errors import (
    on_conflict,
    on_lookup_error,
    register_error_handlers,
)
from basketgraph.web.services import Services

logger = logging.getLogger(__name__)

#: Prefix of environment variables read into Flask's own configuration, as in
#: ``BASKETGRAPH_FLASK_SESSION_COOKIE_SECURE=true``.
FLASK_ENV_PREFIX = "BASKETGRAPH_FLASK"


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the Flask application: the API under ``/api/v1`` and the console.

    Configuration comes first from defaults, then from ``BASKETGRAPH_FLASK_*``
    environment variables, then from ``overrides``. The Neo4j driver is opened
    without waiting for the server, so the application starts while Neo4j is down
    and answers 503 until it is up.

    Args:
        settings (Settings, optional): Services and options (default: read from
            the environment).
        **overrides (Any): Flask configuration values, such as ``TESTING=True``.

    Returns:
        Flask: The application; ``app.extensions["basketgraph"]`` holds its
        :class:`~basketgraph.web.services.Services`.
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.from_mapping(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        #: Seconds and rows allowed to one query of the Cypher console.
        CONSOLE_QUERY_TIMEOUT=10.0,
        CONSOLE_ROW_CAP=1_000,
        MAX_CONTENT_LENGTH=1_000_000,
    )
    app.config.from_prefixed_env(FLASK_ENV_PREFIX)
    app.config.update(overrides)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider
    # A request waits at most a few seconds for an unreachable Neo4j and then
    # answers 503, rather than retrying for the driver's default 30 s.
    driver = connect(
        settings,
        verify=False,
        max_transaction_retry_time=2.0,
        connection_timeout=5.0,
        connection_acquisition_timeout=10.0,
    )
    app.extensions["basketgraph"] = Services(settings=settings, driver=driver)

    from basketgraph.web.api import init_api
    from basketgraph.web.console import blp as console

    init_api(app)
    app.register_blueprint(console)
    register_error_handlers(app)
    app.register_error_handler(UnknownProductError, on_lookup_error)
    app.register_error_handler(RunStateError, on_conflict)

    return app


def close_app(app: Flask) -> None:
    """Close the application's Neo4j driver."""
    found = app.extensions.get("basketgraph")
    if isinstance(found, Services):
        found.driver.close()


def _secret_key(settings: Settings) -> str:
    """Return the session signing key: the setting, or one kept under ``home``."""
    if settings.web_secret_key:
        return settings.web_secret_key
    path: Path = settings.home / "web-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    logger.info("Created the console's session key in %s", path)

    return key
