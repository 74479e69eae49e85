"""Connections to Neo4j with the project's settings."""

from __future__ import annotations

from typing import Any

from neo4j import Driver, GraphDatabase
from neo4j.auth_management import AuthManagers
from neo4j.exceptions import ServiceUnavailable

from basketgraph.config import Settings
from basketgraph.exceptions import StoreUnavailableError
from basketgraph.graphdb.server import read_password


def connect(settings: Settings, *, verify: bool = True, **config: Any) -> Driver:
    """Open a driver to the configured Neo4j server.

    Args:
        settings (Settings): Address and credentials; without ``NEO4J_PASSWORD``
            the local server's stored password is used.
        verify (bool): Check now that the server answers (default: ``True``).
        **config (Any): Further driver options, such as
            ``max_transaction_retry_time`` (default: the driver's).

    Returns:
        Driver: An open driver; the caller closes it.

    Raises:
        StoreUnavailableError: If ``verify`` is set and the server does not answer.
    """
    auth: Any
    if settings.neo4j_password:
        auth = (settings.neo4j_user, settings.neo4j_password)
    else:
        # The local server's password is read when the driver first connects, and
        # again if the server refuses it: a long-lived process (the web server, a
        # worker) started before the server stored its password still connects.
        user = settings.neo4j_user
        auth = AuthManagers.basic(lambda: (user, read_password(settings)))
    driver = GraphDatabase.driver(
        settings.neo4j_uri,
        auth=auth,
        # Deprecation and performance hints go to the server's query log; a user
        # of the command line cannot act on them.
        notifications_min_severity="OFF",
        **config,
    )
    if verify:
        try:
            driver.verify_connectivity()
        except ServiceUnavailable as e:
            driver.close()
            raise StoreUnavailableError(
                f"Neo4j does not answer on {settings.neo4j_uri}: start it with "
                "'basketgraph neo4j start' or set NEO4J_URI to a running server."
            ) from e

    return driver
