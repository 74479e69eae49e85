"""The local Redis server that Celery uses as broker and result backend.

Debian's ``redis-server`` is started by the project on 127.0.0.1 with a configuration
written under ``$BASKETGRAPH_HOME/redis``; an append-only file keeps queued jobs
across restarts.
"""

from __future__ import annotations

import logging
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from basketgraph.config import Settings
from basketgraph.exceptions import ServerStartError
from basketgraph.process import ManagedProcess, tail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RedisStatus:
    """What ``basketgraph redis status`` reports."""

    running: bool
    pid: int | None
    url: str
    home: Path
    answers: bool


class RedisServer:
    """The local Redis server under ``settings.redis_home``.

    Args:
        settings (Settings): Where it lives and its port.
    """

    def __init__(self, settings: Settings) -> None:
        """Bind the server to its folder; nothing is started."""
        self.settings = settings
        self.home = settings.redis_home
        self.config_file = self.home / "redis.conf"
        self.log_file = self.home / "redis.log"
        self.process = ManagedProcess(
            name="Redis",
            pid_file=self.home / "redis.pid",
        )

    def start(self, timeout: float = 30.0) -> bool:
        """Start Redis and wait until it answers PING; do nothing if it runs.

        Returns:
            bool: ``True`` if this call started it.

        Raises:
            ServerStartError: If ``redis-server`` is missing or does not come up.
        """
        if self.process.pid() is not None:
            return False
        if self.ping():
            raise ServerStartError(
                f"Cannot start Redis: port {self.settings.redis_port} on 127.0.0.1 "
                "already answers as another Redis. Stop it, or set "
                "BASKETGRAPH_REDIS_PORT to a free port."
            )
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerStartError(
                "'redis-server' is not on PATH. Install it with "
                "'apt-get install redis-server' (scripts/setup does)."
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            "# Written by basketgraph at every start.\n"
            "bind 127.0.0.1\n"
            f"port {self.settings.redis_port}\n"
            "protected-mode yes\n"
            "daemonize no\n"
            f"dir {self.home}\n"
            "appendonly yes\n"
            "save 60 1000\n"
        )
        self.process.spawn([binary, str(self.config_file)], self.log_file)
        self.process.wait_until(self.ping, timeout, lambda: tail(self.log_file))
        logger.info("Redis answers on %s", self.settings.redis_url)

        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop Redis (it writes its data on SIGTERM).

        Returns:
            bool: Whether it was running.
        """
        return self.process.stop(timeout)

    def status(self) -> RedisStatus:
        """Return whether Redis runs and answers."""
        pid = self.process.pid()

        return RedisStatus(
            running=pid is not None,
            pid=pid,
            url=self.settings.redis_url,
            home=self.home,
            answers=pid is not None and self.ping(),
        )

    def ping(self) -> bool:
        """Return whether Redis answers PING on its port."""
        try:
            with socket.create_connection(
                ("127.0.0.1", self.settings.redis_port), timeout=1.0
            ) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False
