"""The Redis server that the project starts for Celery."""

from __future__ import annotations

import json

from basketgraph.config import Settings
from basketgraph.workers.redis_server import RedisServer
from tests.conftest import run_cli


def test_redis_starts_answers_and_stops(settings: Settings) -> None:
    server = RedisServer(settings)
    run_cli("redis", "start")
    try:
        assert "already running" in run_cli("redis", "start").stdout
        status = json.loads(run_cli("redis", "status", "--json").stdout)
        assert status["running"] and status["answers"]
        assert status["url"] == "redis://127.0.0.1:6389/0"
        assert "bind 127.0.0.1" in server.config_file.read_text()
    finally:
        run_cli("redis", "stop")

    assert server.ping() is False
    assert run_cli("redis", "status", check=False).returncode == 3
