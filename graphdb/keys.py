"""API keys: stored as the SHA-256 of a random token, each with one role.

A key is an ``(:ApiKey {id, name, role, hash, created_at, revoked_at})`` node. The
token is shown once, when the key is created; the graph keeps only its hash, so a
copy of the database does not give access to the API.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from basketgraph.exceptions import InputError

#: Roles in increasing power: each one may do what the ones before it may.
ROLES = ("read", "curate", "admin")

#: Prefix of every token, so that a leaked one is recognisable in logs and scanners.
TOKEN_PREFIX = "bgk_"


@dataclass(frozen=True)
class ApiKey:
    """One API key, without its token."""

    id: str
    name: str
    role: str
    created_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the key is still accepted."""
        return self.revoked_at is None

    def allows(self, role: str) -> bool:
        """Return whether this key's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def to_dict(self) -> dict[str, Any]:
        """Return the key as JSON-able values."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "created_at": _iso(self.created_at),
            "revoked_at": _iso(self.revoked_at),
            "active": self.active,
        }


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of a token, as stored on its key."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_role(role: str) -> str:
    """Return ``role`` if it is a known role, or raise :class:`InputError`."""
    if role not in ROLES:
        raise InputError(
            f"Role {role!r} is not known: choose one of {', '.join(ROLES)}."
        )

    return role


def create_key(driver: Driver, name: str, role: str) -> tuple[ApiKey, str]:
    """Create a key and return it with its token, which is not stored anywhere.

    Args:
        driver (Driver): An open driver.
        name (str): What the key is for, such as the tool or person using it.
        role (str): ``read``, ``curate`` or ``admin``.

    Returns:
        tuple[ApiKey, str]: The key and its token.

    Raises:
        InputError: If the role is unknown or the name empty.
    """
    check_role(role)
    if not name.strip():
        raise InputError("A key needs a name: say who or what will use it.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key_id = uuid.uuid4().hex[:12]
    with driver.session() as session:
        node = session.execute_write(
            _create, key_id, name.strip(), role, hash_token(token)
        )

    return _to_key(node), token


def _create(
    tx: ManagedTransaction, key_id: str, name: str, role: str, digest: str
) -> Any:
    return tx.run(
        "CREATE (k:ApiKey {id: $id, name: $name, role: $role, hash: $hash, "
        "created_at: datetime()}) RETURN k",
        id=key_id,
        name=name,
        role=role,
        hash=digest,
    ).single(strict=True)["k"]


def find_key(driver: Driver, token: str) -> ApiKey | None:
    """Return the active key whose token is ``token``, or ``None``."""
    with driver.session() as session:
        node = session.execute_read(_find, hash_token(token))

    return _to_key(node) if node is not None else None


def _find(tx: ManagedTransaction, digest: str) -> Any:
    record = tx.run(
        "MATCH (k:ApiKey {hash: $hash}) WHERE k.revoked_at IS NULL RETURN k",
        hash=digest,
    ).single()

    return record["k"] if record is not None else None


def get_key(driver: Driver, key_id: str) -> ApiKey | None:
    """Return the active key with this id, or ``None``."""
    with driver.session() as session:
        node = session.execute_read(_get, key_id)

    return _to_key(node) if node is not None else None


def _get(tx: ManagedTransaction, key_id: str) -> Any:
    record = tx.run(
        "MATCH (k:ApiKey {id: $id}) WHERE k.revoked_at IS NULL RETURN k", id=key_id
    ).single()

    return record["k"] if record is not None else None


def list_keys(driver: Driver) -> list[ApiKey]:
    """Return every key, revoked ones too, newest first."""
    with driver.session() as session:
        nodes = session.execute_read(_list)

    return [_to_key(n) for n in nodes]


def _list(tx: ManagedTransaction) -> list[Any]:
    return [
        r["k"]
        for r in tx.run("MATCH (k:ApiKey) RETURN k ORDER BY k.created_at DESC, k.id")
    ]


def revoke_key(driver: Driver, key_id: str) -> ApiKey:
    """Revoke a key; it stays listed, with when it was revoked.

    Raises:
        LookupError: If no key has this id.
    """
    with driver.session() as session:
        node = session.execute_write(_revoke, key_id)
    if node is None:
        raise LookupError(
            f"No API key has id {key_id!r}: 'basketgraph keys list' shows them."
        )

    return _to_key(node)


def _revoke(tx: ManagedTransaction, key_id: str) -> Any:
    record = tx.run(
        "MATCH (k:ApiKey {id: $id}) "
        "SET k.revoked_at = coalesce(k.revoked_at, datetime()) RETURN k",
        id=key_id,
    ).single()

    return record["k"] if record is not None else None


def _to_key(node: Any) -> ApiKey:
    return ApiKey(
        id=node["id"],
        name=node["name"],
        role=node["role"],
        created_at=_native(node.get("created_at")),
        revoked_at=_native(node.get("revoked_at")),
    )


def _native(value: Any) -> datetime | None:
    return value.to_native() if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
