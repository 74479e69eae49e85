"""Curation: merchandisers pin or block product pairs on top of every served kind.

A pin is ``(:Product)-[:PINNED {id, by, at, note}]->(:Product)`` and a block
``(:Product)-[:BLOCKED {...}]->(:Product)``: the first product's related products
list a pinned partner first and never a blocked one, whatever the kind, and a
basket holding the first product is completed the same way. Every change is also
recorded as a ``(:CurationEvent {dataset, id, action, sku, partner, by, at, note})``,
which the audit list shows; removing a pin deletes the relationship and adds an
event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from basketgraph.exceptions import InputError

#: Curation actions and the relationship type each one writes; the types are fixed
#: strings, never input.
ACTIONS = {"pin": "PINNED", "block": "BLOCKED"}


@dataclass(frozen=True)
class Curation:
    """One pinned or blocked pair in force."""

    id: str
    dataset: str
    action: str
    sku: str
    partner: str
    by: str
    at: datetime
    note: str

    def to_dict(self) -> dict[str, Any]:
        """Return the curation as JSON-able values."""
        return {
            "id": self.id,
            "dataset": self.dataset,
            "action": self.action,
            "sku": self.sku,
            "partner": self.partner,
            "by": self.by,
            "at": self.at.isoformat(),
            "note": self.note,
        }


class UnknownProductError(InputError, LookupError):
    """A curation names a product that is not in the dataset."""

    def __init__(self, message: str, sku: str) -> None:
        """Create the error for the unknown ``sku``."""
        super().__init__(message)
        self.sku = sku


def add_curation(
    driver: Driver,
    dataset: str,
    action: str,
    sku: str,
    partner: str,
    by: str,
    note: str = "",
) -> Curation:
    """Pin or block ``partner`` for ``sku``; a pin replaces a block and vice versa.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset of both products.
        action (str): ``pin`` or ``block``.
        sku (str): The product whose related products change.
        partner (str): The product pinned or blocked.
        by (str): Who did it (the API key's name).
        note (str): Why, free text (default: empty).

    Returns:
        Curation: The curation now in force.

    Raises:
        InputError: If the action is unknown or both skus are the same.
        UnknownProductError: If either product is not in the dataset.
    """
    if action not in ACTIONS:
        raise InputError(f"Action {action!r} is not known: use 'pin' or 'block'.")
    if sku == partner:
        raise InputError(
            f"A product cannot be curated against itself ({sku!r}): name another "
            "partner."
        )
    with driver.session() as session:
        found = session.execute_write(
            _add, dataset, action, sku, partner, by, note, uuid.uuid4().hex[:12]
        )
    if isinstance(found, str):
        raise UnknownProductError(
            f"Product {found!r} is not in dataset {dataset!r}: check the sku.", found
        )

    return found


def _add(
    tx: ManagedTransaction,
    dataset: str,
    action: str,
    sku: str,
    partner: str,
    by: str,
    note: str,
    curation_id: str,
) -> Curation | str:
    found = {
        r["sku"]
        for r in tx.run(
            "MATCH (p:Product {dataset: $dataset}) WHERE p.sku IN [$sku, $partner] "
            "RETURN p.sku AS sku",
            dataset=dataset,
            sku=sku,
            partner=partner,
        )
    }
    for name in (sku, partner):
        if name not in found:
            return name
    # One curation per ordered pair: whatever was in force is replaced.
    tx.run(
        "MATCH (:Product {dataset: $dataset, sku: $sku})-[c:PINNED|BLOCKED]->"
        "(:Product {dataset: $dataset, sku: $partner}) DELETE c",
        dataset=dataset,
        sku=sku,
        partner=partner,
    )
    record = tx.run(
        f"""
MATCH (p:Product {{dataset: $dataset, sku: $sku}})
MATCH (q:Product {{dataset: $dataset, sku: $partner}})
CREATE (p)-[c:{ACTIONS[action]} {{id: $id, by: $by, at: datetime(), note: $note}}]->(q)
CREATE (:CurationEvent {{dataset: $dataset, id: $id, action: $action, sku: $sku,
                         partner: $partner, by: $by, at: c.at, note: $note}})
RETURN c.at AS at
""",
        dataset=dataset,
        sku=sku,
        partner=partner,
        id=curation_id,
        by=by,
        note=note,
        action=action,
    ).single(strict=True)

    return Curation(
        curation_id, dataset, action, sku, partner, by, record["at"].to_native(), note
    )


def remove_curation(driver: Driver, dataset: str, curation_id: str, by: str) -> None:
    """Lift a pin or block, recording who did it.

    Raises:
        LookupError: If no curation with this id is in force in the dataset.
    """
    with driver.session() as session:
        removed = session.execute_write(_remove, dataset, curation_id, by)
    if not removed:
        raise LookupError(
            f"No pin or block with id {curation_id!r} is in force in dataset "
            f"{dataset!r}: list them with GET /api/v1/curations."
        )


def _remove(tx: ManagedTransaction, dataset: str, curation_id: str, by: str) -> bool:
    record = tx.run(
        """
MATCH (p:Product {dataset: $dataset})-[c:PINNED|BLOCKED {id: $id}]->(q:Product)
CREATE (:CurationEvent {dataset: $dataset, id: $id,
        action: CASE type(c) WHEN 'PINNED' THEN 'unpin' ELSE 'unblock' END,
        sku: p.sku, partner: q.sku, by: $by, at: datetime(), note: ''})
DELETE c
RETURN count(*) AS removed
""",
        dataset=dataset,
        id=curation_id,
        by=by,
    ).single(strict=True)

    return bool(record["removed"])


def list_curations(
    driver: Driver, dataset: str, sku: str | None = None
) -> list[Curation]:
    """Return the pins and blocks in force, newest first (of one product, if given)."""
    with driver.session() as session:
        return session.execute_read(_list, dataset, sku)


def _list(tx: ManagedTransaction, dataset: str, sku: str | None) -> list[Curation]:
    records = tx.run(
        """
MATCH (p:Product {dataset: $dataset})-[c:PINNED|BLOCKED]->(q:Product)
WHERE $sku IS NULL OR p.sku = $sku
RETURN c, type(c) AS type, p.sku AS sku, q.sku AS partner
ORDER BY c.at DESC, c.id
""",
        dataset=dataset,
        sku=sku,
    )

    return [
        Curation(
            id=r["c"]["id"],
            dataset=dataset,
            action="pin" if r["type"] == "PINNED" else "block",
            sku=r["sku"],
            partner=r["partner"],
            by=r["c"]["by"],
            at=r["c"]["at"].to_native(),
            note=r["c"].get("note") or "",
        )
        for r in records
    ]


def list_audit(
    driver: Driver, dataset: str, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Return curation events (pins, blocks and their removals), newest first."""
    with driver.session() as session:
        return session.execute_read(_audit, dataset, limit, offset)


def _audit(
    tx: ManagedTransaction, dataset: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    records = tx.run(
        """
MATCH (e:CurationEvent {dataset: $dataset})
RETURN e ORDER BY e.at DESC, e.action SKIP $offset LIMIT $limit
""",
        dataset=dataset,
        limit=limit,
        offset=offset,
    )
    events = []
    for r in records:
        event = dict(r["e"])
        event["at"] = event["at"].to_native().isoformat()
        events.append(event)

    return events


def delete_audit(driver: Driver, dataset: str) -> int:
    """Delete a dataset's curation events; for dropping the dataset."""
    with driver.session() as session:
        return session.execute_write(_delete_audit, dataset)


def _delete_audit(tx: ManagedTransaction, dataset: str) -> int:
    record = tx.run(
        "MATCH (e:CurationEvent {dataset: $dataset}) DELETE e RETURN count(*) AS n",
        dataset=dataset,
    ).single(strict=True)

    return int(record["n"])
