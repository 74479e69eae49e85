"""The REST API under ``/api/v1``, described by the OpenAPI document it generates."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from basketgraph import __version__
from basketgraph.web.api.schemas import Problem
from basketgraph.web.auth import SECURITY_SCHEMES
from basketgraph.web.errors import PROBLEM_JSON

#: Where the API lives.
PREFIX = "/api/v1"


class ApiParser(FlaskParser):
    """Reads arguments; invalid ones are a 400 naming the field, not webargs' 422."""

    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(SmorestBlueprint):
    """A blueprint of the API, with its argument parser."""

    ARGUMENTS_PARSER = ApiParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """Read a view's arguments with ``schema``, made once for every request.

        Given a schema class, webargs builds an instance for each request, which
        costs a cheap read a tenth of its time; a schema instance holds no state
        of a load.
        """
        if isinstance(schema, type):
            schema = schema()

        return super().arguments(schema, *args, **kwargs)


class BasketgraphApi(Api):
    """flask-smorest's API, documenting errors as problem documents."""

    ERROR_SCHEMA = Problem

    def _register_responses(self) -> None:
        """Register a lazy response per error status, as ``problem+json``."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default: dict[str, Any] = {"description": "An error.", "schema": Problem}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


DESCRIPTION = """
Related products, basket completion, association rules and curation over
basketgraph's purchase graph. Every answer comes from relationships that mining,
embedding and training runs wrote into Neo4j; the active run of each kind is served.

**Authentication**: send an API key as `Authorization: Bearer <token>` or
`X-API-Key: <token>` (created with `basketgraph keys create --role R --name N`).
Roles: `read` (every GET and basket completion), `curate` (pins and blocks),
`admin` (runs and jobs). A server started with `BASKETGRAPH_API_ANONYMOUS_READ=1`
answers reads without a key; writes always need one.

**Errors** are `application/problem+json` documents: 400 names the invalid fields,
404 an unknown product or run, 503 (with `Retry-After`) a store that cannot be
reached.
"""


def init_api(app: Flask) -> Api:
    """Create the API on ``app`` and register its blueprints."""
    from basketgraph.web.api import (
        baskets,
        curation,
        health,
        jobs,
        products,
        rules,
        runs,
    )

    app.config.update(
        API_TITLE="basketgraph",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Swagger UI's files are vendored from npm by scripts/install, never
        # fetched from a CDN.
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
        },
    )
    api = BasketgraphApi(app)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    problem: dict[str, Any] = {
        "description": "An error, as RFC 9457 problem details.",
        "schema": Problem,
    }
    prepare_response(problem, api.spec, PROBLEM_JSON)
    api.spec.components.response("Problem", problem)
    for module in (health, products, baskets, rules, curation, runs, jobs):
        api.register_blueprint(module.blp, url_prefix=f"{PREFIX}{module.URL}")

    return api


def problem_responses(*statuses: int) -> dict[str, Any]:
    """Return OpenAPI responses referring to the Problem response."""
    return {str(s): {"$ref": "#/components/responses/Problem"} for s in statuses}
