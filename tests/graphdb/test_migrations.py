"""Schema migrations: applied once, recorded in the graph, and guarded against edits."""

from __future__ import annotations

import pytest
from neo4j import Driver

from basketgraph.exceptions import ConfigurationError
from basketgraph.graphdb.migrations import (
    apply_migrations,
    load_migrations,
    split_statements,
)

pytestmark = pytest.mark.neo4j


def test_every_migration_is_recorded_with_its_checksum(driver: Driver) -> None:
    records = driver.execute_query(
        "MATCH (m:Migration) RETURN m.name AS name, m.checksum AS checksum"
    ).records
    recorded = {r["name"]: r["checksum"] for r in records}

    assert recorded == {m.name: m.checksum for m in load_migrations()}


def test_applying_again_does_nothing(driver: Driver) -> None:
    assert apply_migrations(driver) == []


def test_the_graph_model_constraints_exist(driver: Driver) -> None:
    records = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties, type"
    ).records
    keys = {(r["labelsOrTypes"][0], tuple(r["properties"])) for r in records}

    for label, key in (
        ("Product", ("dataset", "sku")),
        ("Order", ("dataset", "id")),
        ("Customer", ("dataset", "id")),
        ("Category", ("dataset", "id")),
    ):
        assert (label, key) in keys
    indexes = driver.execute_query("SHOW INDEXES YIELD name, type").records
    assert ("product_text", "FULLTEXT") in {(r["name"], r["type"]) for r in indexes}


def test_an_edited_migration_is_refused(driver: Driver) -> None:
    name = load_migrations()[0].name
    original = driver.execute_query(
        "MATCH (m:Migration {name: $name}) RETURN m.checksum AS c", name=name
    ).records[0]["c"]
    driver.execute_query(
        "MATCH (m:Migration {name: $name}) SET m.checksum = 'edited'", name=name
    )
    try:
        with pytest.raises(ConfigurationError, match="changed after it was applied"):
            apply_migrations(driver)
    finally:
        driver.execute_query(
            "MATCH (m:Migration {name: $name}) SET m.checksum = $c",
            name=name,
            c=original,
        )


def test_statements_split_on_semicolons_at_line_ends_and_drop_comments() -> None:
    text = (
        "// note\nCREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x);\n\nRETURN ';' ;\n"
    )

    assert split_statements(text) == [
        "CREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x)",
        "RETURN ';'",
    ]
