"""The whole API fuzzed from its own OpenAPI description (schemathesis).

Every operation is called with generated arguments and bodies, valid and invalid,
with an admin key; no answer may be a server error, and each must be one of the
statuses and media types the description declares, with a body that its schema
admits. Redis runs, so a generated job that passes the checks is queued; the
queues are purged and those jobs' runs deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from neo4j import Driver
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from basketgraph.config import Settings
from basketgraph.web.app import close_app, create_app
from basketgraph.workers.app import make_celery
from tests.web.conftest import Served

pytestmark = pytest.mark.neo4j


# The description does not depend on the data, so the application is made when the
# module is collected (its driver connects on first use, to the test server that
# pytest_configure named); schemathesis's lazy from_fixture does not work with the
# pytest in use.
_APP = create_app(Settings.from_env(), TESTING=True)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def fuzzed_app(redis: Settings, driver: Driver) -> Iterator[Flask]:
    """The fuzzed application; the jobs it queued are removed afterwards."""
    started = datetime.now(UTC)
    yield _APP
    close_app(_APP)
    make_celery(redis).control.purge()
    driver.execute_query(
        "MATCH (r:Run) WHERE r.submitted_at >= $started DETACH DELETE r",
        started=started,
    )


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_is_a_server_error(case: Any, served: Served) -> None:
    case.call_and_validate(
        headers=served.headers("admin"),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
