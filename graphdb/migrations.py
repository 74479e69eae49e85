"""Schema migrations: ordered ``.cypher`` files, applied once each and recorded.

Each file in ``schema/`` is named ``NNNN_description.cypher`` and holds statements
separated by ``;`` at the end of a line. A file is applied when no ``(:Migration)``
node with its name exists; afterwards one is created with the file's checksum. Every
statement must itself be idempotent (``IF NOT EXISTS``), so a run interrupted between
two statements is completed by the next one.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

from neo4j import Driver, ManagedTransaction

from basketgraph.exceptions import ConfigurationError

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.cypher$")


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    #: File name without the suffix, such as ``0001_graph_model``.
    name: str
    #: SHA-256 of the file's text.
    checksum: str
    #: The statements, in order.
    statements: tuple[str, ...]


def load_migrations() -> list[Migration]:
    """Return the packaged migrations in the order they apply."""
    folder = resources.files("basketgraph.graphdb.schema")
    migrations = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".cypher"):
            continue
        if not _NAME.match(entry.name):
            raise ConfigurationError(
                f"Migration file {entry.name!r} is misnamed: use "
                "'NNNN_lowercase_words.cypher'."
            )
        text = entry.read_text(encoding="utf-8")
        migrations.append(
            Migration(
                name=entry.name.removesuffix(".cypher"),
                checksum=hashlib.sha256(text.encode()).hexdigest(),
                statements=tuple(split_statements(text)),
            )
        )

    return migrations


def split_statements(text: str) -> list[str]:
    """Split a migration file into statements, dropping ``//`` comment lines."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("//")]

    return [
        s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()
    ]


def apply_migrations(driver: Driver) -> list[str]:
    """Apply every migration not yet recorded in the graph.

    Args:
        driver (Driver): An open driver.

    Returns:
        list[str]: The names of the migrations applied by this call.

    Raises:
        ConfigurationError: If a migration already applied has changed since: a
            schema change needs a new file, not an edit of an old one.
    """
    driver.execute_query(
        "CREATE CONSTRAINT migration_name IF NOT EXISTS "
        "FOR (m:Migration) REQUIRE m.name IS UNIQUE"
    )
    records, _, _ = driver.execute_query(
        "MATCH (m:Migration) RETURN m.name AS name, m.checksum AS checksum"
    )
    applied = {r["name"]: r["checksum"] for r in records}
    done = []
    for migration in load_migrations():
        if migration.name in applied:
            if applied[migration.name] != migration.checksum:
                raise ConfigurationError(
                    f"Migration {migration.name!r} was changed after it was applied. "
                    "Restore it and put the change in a new migration file."
                )
            continue
        # Schema statements cannot share a transaction with writes, so each runs
        # on its own; all are IF NOT EXISTS, hence safe to repeat.
        for statement in migration.statements:
            driver.execute_query(statement)
        with driver.session() as session:
            session.execute_write(_record, migration)
        logger.info("Applied migration %s", migration.name)
        done.append(migration.name)
    if done:
        driver.execute_query("CALL db.awaitIndexes(300)")

    return done


def _record(tx: ManagedTransaction, migration: Migration) -> None:
    tx.run(
        "MERGE (m:Migration {name: $name}) "
        "ON CREATE SET m.checksum = $checksum, m.applied_at = datetime()",
        name=migration.name,
        checksum=migration.checksum,
    ).consume()
