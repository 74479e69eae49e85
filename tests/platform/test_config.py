"""Tests of the settings read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from basketgraph.config import Settings, check_dataset_name
from basketgraph.exceptions import ConfigurationError


def test_defaults_from_empty_environment(clean_env: Path) -> None:
    settings = Settings.from_env()

    assert settings.home == clean_env / ".basketgraph"
    assert settings.neo4j_bolt_port == 7687
    assert settings.neo4j_http_port == 7474
    assert settings.redis_port == 6379
    assert settings.neo4j_heap == "2g"
    assert settings.neo4j_pagecache == "1g"
    assert settings.neo4j_uri == "bolt://127.0.0.1:7687"
    assert settings.neo4j_user == "neo4j"
    assert settings.neo4j_password == ""
    assert settings.dataset == "default"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_an_explicit_empty_mapping_ignores_os_environ(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASKETGRAPH_REDIS_PORT", "6400")

    assert Settings.from_env({}).redis_port == 6379
    assert Settings.from_env().redis_port == 6400


def test_environment_overrides_every_setting(tmp_path: Path) -> None:
    env = {
        "BASKETGRAPH_HOME": str(tmp_path / "bg"),
        "BASKETGRAPH_NEO4J_BOLT_PORT": "17687",
        "BASKETGRAPH_NEO4J_HTTP_PORT": "17474",
        "BASKETGRAPH_REDIS_PORT": "16379",
        "BASKETGRAPH_NEO4J_HEAP": "512m",
        "BASKETGRAPH_NEO4J_PAGECACHE": "4G",
        "BASKETGRAPH_DATASET": "retail-2010_v1.2",
        "NEO4J_URI": "neo4j://db.example:7777",
        "NEO4J_USER": "alice",
        "NEO4J_PASSWORD": "pw",
    }

    settings = Settings.from_env(env)

    assert settings.home == tmp_path / "bg"
    assert settings.neo4j_bolt_port == 17687
    assert settings.neo4j_http_port == 17474
    assert settings.redis_port == 16379
    assert settings.neo4j_heap == "512m"
    assert settings.neo4j_pagecache == "4G"
    assert settings.dataset == "retail-2010_v1.2"
    # An explicit URI wins over the one derived from the Bolt port.
    assert settings.neo4j_uri == "neo4j://db.example:7777"
    assert settings.neo4j_user == "alice"
    assert settings.neo4j_password == "pw"
    assert settings.redis_url == "redis://127.0.0.1:16379/0"


def test_neo4j_uri_is_derived_from_the_bolt_port() -> None:
    settings = Settings.from_env({"BASKETGRAPH_NEO4J_BOLT_PORT": "7999"})

    assert settings.neo4j_uri == "bolt://127.0.0.1:7999"


def test_home_expands_the_user_folder(clean_env: Path) -> None:
    settings = Settings.from_env({"BASKETGRAPH_HOME": "~/state"})

    assert settings.home == clean_env / "state"


def test_folders_derive_from_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)

    assert settings.neo4j_home == tmp_path / "neo4j"
    assert settings.password_file == tmp_path / "neo4j" / "password"
    assert settings.redis_home == tmp_path / "redis"
    assert settings.rejects_dir == tmp_path / "rejects"


@pytest.mark.parametrize(
    "variable",
    [
        "BASKETGRAPH_NEO4J_BOLT_PORT",
        "BASKETGRAPH_NEO4J_HTTP_PORT",
        "BASKETGRAPH_REDIS_PORT",
    ],
)
@pytest.mark.parametrize("value", ["abc", "76.87", "0", "65536", "-1"])
def test_bad_port_is_refused_with_its_value(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.from_env({variable: value})

    assert f"{variable}={value!r}" in str(info.value)


@pytest.mark.parametrize("port", ["1", "65535"])
def test_ports_at_the_ends_of_the_range_are_accepted(port: str) -> None:
    settings = Settings.from_env({"BASKETGRAPH_REDIS_PORT": port})

    assert settings.redis_port == int(port)


@pytest.mark.parametrize(
    "variable", ["BASKETGRAPH_NEO4J_HEAP", "BASKETGRAPH_NEO4J_PAGECACHE"]
)
@pytest.mark.parametrize("value", ["2gb", "0g", "2", "g", "two g", "1.5g"])
def test_bad_memory_size_is_refused_with_its_value(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.from_env({variable: value})

    assert f"{variable}={value!r}" in str(info.value)


@pytest.mark.parametrize("size", ["1k", "512m", "2g", "16G", "1024M"])
def test_memory_sizes_as_neo4j_writes_them_are_accepted(size: str) -> None:
    assert Settings.from_env({"BASKETGRAPH_NEO4J_HEAP": size}).neo4j_heap == size


@pytest.mark.parametrize(
    "name", ["", "-retail", ".hidden", "a/b", "../up", "two words", "x" * 65, "é"]
)
def test_bad_dataset_name_is_refused_with_its_value(name: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_dataset_name(name)

    assert repr(name) in str(info.value)


def test_bad_dataset_name_from_the_environment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"'a/b'"):
        Settings.from_env({"BASKETGRAPH_DATASET": "a/b"})


@pytest.mark.parametrize("name", ["x", "x" * 64, "Retail-2010_v1.2", "0day"])
def test_good_dataset_name_is_returned(name: str) -> None:
    assert check_dataset_name(name) == name


@pytest.mark.parametrize("name", ["retail\n", "default\n"])
def test_dataset_name_with_a_trailing_newline_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError):
        check_dataset_name(name)


def test_memory_size_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_env({"BASKETGRAPH_NEO4J_HEAP": "2g\n"})


def test_password_never_appears_in_repr() -> None:
    secret = "s3cret-Pa55word"
    settings = Settings.from_env({"NEO4J_PASSWORD": secret})

    assert settings.neo4j_password == secret
    assert secret not in repr(settings)
    assert secret not in str(settings)
