"""Who is asking: API keys for the API, a login session for the console.

A client sends its key as ``Authorization: Bearer <token>`` or ``X-API-Key:
<token>``. Roles build on each other: ``read`` reads, ``curate`` also pins and
blocks pairs, ``admin`` also chooses runs and starts jobs. With
``BASKETGRAPH_API_ANONYMOUS_READ=1`` reads need no key; writes always do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g, request

from basketgraph.graphdb.keys import ROLES
from basketgraph.web.errors import ApiError
from basketgraph.web.services import services

F = TypeVar("F", bound=Callable[..., Any])

#: Name of the OpenAPI security schemes, for the description.
SECURITY: list[dict[str, list[str]]] = [{"ApiKeyHeader": []}, {"BearerToken": []}]

#: OpenAPI security schemes of the API.
SECURITY_SCHEMES = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerToken": {"type": "http", "scheme": "bearer"},
}


@dataclass(frozen=True)
class Principal:
    """The caller of a request."""

    name: str
    role: str
    key_id: str | None

    def allows(self, role: str) -> bool:
        """Return whether this caller's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


#: The caller when reads are open and no key is sent.
ANONYMOUS = Principal(name="anonymous", role="read", key_id=None)


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key", "").strip() or None


def authenticate(role: str) -> Principal:
    """Return the caller of the current request if it may act as ``role``.

    Raises:
        ApiError: 401 without a valid key (unless reads are open and ``role`` is
            ``read``), 403 when the key's role is below ``role``.
    """
    found = services()
    token = _token()
    if token is None:
        if role == "read" and found.settings.api_anonymous_read:
            return ANONYMOUS
        raise ApiError(
            401,
            f"This request needs an API key with role {role!r}: send it as "
            "'Authorization: Bearer <token>' or 'X-API-Key: <token>'. An operator "
            "creates one with 'basketgraph keys create'.",
            headers={"WWW-Authenticate": 'Bearer realm="basketgraph"'},
        )
    key = found.keys.lookup(found.driver, token)
    if key is None:
        raise ApiError(
            401,
            "The API key sent is not known or was revoked: ask an operator for a "
            "valid one.",
            headers={"WWW-Authenticate": 'Bearer realm="basketgraph"'},
        )
    principal = Principal(name=key.name, role=key.role, key_id=key.id)
    if not principal.allows(role):
        raise ApiError(
            403,
            f"The API key {key.name!r} has role {key.role!r}, and this request "
            f"needs {role!r}: use a key with that role.",
        )

    return principal


def requires(role: str) -> Callable[[F], F]:
    """Make a view refuse callers below ``role``; the caller is put in ``g.caller``.

    It also documents the security requirement and the 401 and 403 answers in the
    OpenAPI description.
    """
    if role not in ROLES:
        raise ValueError(f"Role {role!r} is not one of {ROLES}.")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.caller = authenticate(role)
            return view(*args, **kwargs)

        doc = dict(getattr(wrapper, "_apidoc", {}))
        manual = dict(doc.get("manual_doc", {}))
        manual["security"] = SECURITY
        responses = dict(manual.get("responses", {}))
        responses["401"] = {"$ref": "#/components/responses/Problem"}
        responses["403"] = {"$ref": "#/components/responses/Problem"}
        manual["responses"] = responses
        doc["manual_doc"] = manual
        wrapper._apidoc = doc  # type: ignore[attr-defined]  # read by flask-smorest

        return wrapper  # type: ignore[return-value]  # same signature as view

    return decorate


def caller() -> Principal:
    """Return the caller that :func:`requires` admitted."""
    found = g.caller
    assert isinstance(found, Principal)

    return found
