"""Connections: the local server's stored password, read when it is needed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from basketgraph.config import Settings
from basketgraph.graphdb.connection import connect

pytestmark = pytest.mark.neo4j


def test_a_driver_made_before_the_password_is_stored_connects_once_it_is(
    neo4j_server: Settings, tmp_path: Path
) -> None:
    # Another home for the same server: its password file does not exist yet, as
    # for a web server started before the first `basketgraph neo4j start`.
    early = dataclasses.replace(neo4j_server, home=tmp_path)
    assert not early.password_file.exists()
    driver = connect(early, verify=False)
    try:
        early.password_file.parent.mkdir(parents=True)
        shutil.copy(neo4j_server.password_file, early.password_file)

        records = driver.execute_query("RETURN 1 AS one").records

        assert records[0]["one"] == 1
    finally:
        driver.close()


def test_a_given_password_is_used_as_it_is(neo4j_server: Settings) -> None:
    from neo4j.exceptions import AuthError

    wrong = dataclasses.replace(neo4j_server, neo4j_password="not-the-password")

    with pytest.raises(AuthError):
        connect(wrong)
