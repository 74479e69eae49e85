"""One error shape for the whole API: ``application/problem+json`` (RFC 9457).

Every error answer of ``/api/`` is a problem document with ``type``, ``title``,
``status`` and ``detail``; invalid input adds ``errors``, the messages by field, and
names the fields in ``detail``. A store that cannot be reached is a 503 with
``Retry-After``. The console's pages get the same errors as HTML.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, render_template, request
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from werkzeug.exceptions import HTTPException

from basketgraph.exceptions import BasketgraphError, InputError, ServiceError

logger = logging.getLogger(__name__)

#: Media type of every API error.
PROBLEM_JSON = "application/problem+json"

#: Seconds a client is told to wait before retrying when a store is unreachable.
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An error answer with its status, raised from anywhere in a request."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        """Create the error.

        Args:
            status (int): HTTP status.
            detail (str): The whole sentence shown to the client.
            title (str, optional): Short summary (default: the status's phrase).
            headers (dict[str, str], optional): Extra response headers.
            **extra (Any): Further members of the problem document.
        """
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.headers = headers or {}
        self.extra = extra


def problem(
    status: int,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Return a problem document response."""
    from http import HTTPStatus

    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value

    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, detail: str, **kwargs: Any) -> Response | tuple[str, int]:
    if _is_api():
        return problem(status, detail, **kwargs)
    page = render_template("error.html", status=status, detail=detail)
    response = Response(page, status=status, mimetype="text/html")
    for name, value in (kwargs.get("headers") or {}).items():
        response.headers[name] = value

    return response


def _field_errors(messages: Any) -> dict[str, Any]:
    """Flatten webargs' ``{location: {field: [messages]}}`` to ``{field: ...}``."""
    errors: dict[str, Any] = {}
    if isinstance(messages, dict):
        for location, fields in messages.items():
            if isinstance(fields, dict):
                errors.update(fields)
            else:
                errors[location] = fields

    return errors


def on_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    """Answer an HTTP error (404 route, 405, invalid arguments) as a problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("messages"))
    if errors:
        names = ", ".join(repr(name) for name in sorted(errors))
        detail = (
            f"Invalid input in {names}: {_first_message(errors)} Correct the "
            "field(s) named and send the request again."
        )
        return _answer(400, detail, errors=errors)
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="basketgraph"')

    return _answer(status, error.description or str(error), headers=headers)


def _first_message(errors: dict[str, Any]) -> str:
    name = sorted(errors)[0]
    value = errors[name]
    while isinstance(value, dict | list) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    text = str(value).rstrip(".")

    return f"{name!r}: {text}."


def on_api_error(error: ApiError) -> Response | tuple[str, int]:
    """Answer an :class:`ApiError` raised by a view."""
    return _answer(
        error.status,
        error.detail,
        title=error.title,
        headers=error.headers,
        **error.extra,
    )


def on_unavailable(error: Exception) -> Response | tuple[str, int]:
    """Answer 503 with ``Retry-After`` when Neo4j or Redis cannot be reached."""
    logger.warning("A store is unreachable: %s", error)
    if isinstance(error, AuthError):
        detail = (
            "The API cannot log in to Neo4j: check NEO4J_USER and NEO4J_PASSWORD "
            "of the server process."
        )
    elif isinstance(error, ServiceError):
        detail = f"{error} Try again in a few seconds."
    else:
        detail = (
            "Neo4j cannot be reached right now; try again in a few seconds. An "
            "operator starts it with 'basketgraph neo4j start'."
        )

    return _answer(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def on_input_error(error: InputError) -> Response | tuple[str, int]:
    """Answer 400 for input that our own checks refused."""
    field = getattr(error, "field", None)
    extra = {"errors": {field: [str(error)]}} if field else {}

    return _answer(400, str(error), **extra)


def on_lookup_error(error: LookupError) -> Response | tuple[str, int]:
    """Answer 404 for an unknown product, run, key or curation."""
    return _answer(404, str(error).strip("'\""))


def on_conflict(error: Exception) -> Response | tuple[str, int]:
    """Answer 409 for a change that the state of the graph does not allow."""
    return _answer(409, str(error))


def on_neo4j_error(error: Neo4jError) -> Response | tuple[str, int]:
    """Answer an error of Neo4j that no other handler took."""
    if isinstance(error, TransientError) or error.is_retryable():
        return on_unavailable(error)
    logger.error("Neo4j refused a query of %s", request.path, exc_info=error)
    if isinstance(error, ClientError):
        return _answer(400, f"Neo4j refused the request: {error.message}")

    return _answer(500, "Neo4j failed to answer; the error is in the server log.")


def on_unexpected(error: Exception) -> Response | tuple[str, int]:
    """Answer 500 for a bug, logging it with its traceback."""
    if isinstance(error, HTTPException):
        return on_http_exception(error)
    logger.error("Unexpected error answering %s", request.path, exc_info=error)

    return _answer(500, "The server failed to answer; the error is in its log.")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; they replace flask-smorest's JSON errors."""
    app.register_error_handler(HTTPException, on_http_exception)
    app.register_error_handler(ApiError, on_api_error)
    app.register_error_handler(InputError, on_input_error)
    app.register_error_handler(LookupError, on_lookup_error)
    for unavailable in (ServiceUnavailable, SessionExpired, AuthError):
        app.register_error_handler(unavailable, on_unavailable)
    app.register_error_handler(DriverError, on_unavailable)
    app.register_error_handler(Neo4jError, on_neo4j_error)
    app.register_error_handler(BasketgraphError, _on_basketgraph_error)
    app.register_error_handler(Exception, on_unexpected)


def _on_basketgraph_error(error: BasketgraphError) -> Response | tuple[str, int]:
    if error.retryable:
        return on_unavailable(error)
    logger.error("Error answering %s", request.path, exc_info=error)

    return _answer(500, f"{error}")
