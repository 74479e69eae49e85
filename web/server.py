"""The API and console as a local server process, started like Neo4j and Redis."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from basketgraph.config import Settings
from basketgraph.exceptions import ServerStartError
from basketgraph.process import ManagedProcess, tail

#: The only address the local server binds: it is not meant to face a network.
HOST = "127.0.0.1"


@dataclass(frozen=True)
class WebStatus:
    """What ``basketgraph serve --status`` reports."""

    running: bool
    pid: int | None
    url: str
    log: Path


class WebServer:
    """``basketgraph serve`` run in the background under ``home/web``.

    Args:
        settings (Settings): Where it keeps its pid file and log, and its port.
        port (int, optional): Another port than the configured one.
        workers (int, optional): Server processes (see :attr:`workers`).
    """

    def __init__(
        self, settings: Settings, port: int | None = None, workers: int | None = None
    ) -> None:
        """Bind the server to its folder; nothing is started."""
        self.settings = settings
        self.port = port or settings.web_port
        #: Server processes: given, configured, or one per core (at most 4).
        self.workers = workers or settings.web_workers or min(4, os.cpu_count() or 1)
        self.home = settings.home / "web"
        self.log_file = self.home / "web.log"
        self.process = ManagedProcess(name="The web server", pid_file=self.home / "pid")

    @property
    def url(self) -> str:
        """Address of the console."""
        return f"http://{HOST}:{self.port}/"

    def answers(self) -> bool:
        """Return whether something answers HTTP at the server's address."""
        try:
            with urllib.request.urlopen(f"{self.url}api/v1/openapi.json", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            return False

    def start(self, timeout: float = 60.0) -> bool:
        """Start the server detached and wait until it answers; no-op if it runs.

        Returns:
            bool: ``True`` if this call started it.

        Raises:
            ServerStartError: If the port is taken or the server does not come up.
        """
        if self.process.pid() is not None:
            return False
        if self.answers():
            raise ServerStartError(
                f"Cannot serve on {self.url}: something else answers there. Stop "
                "it, or set BASKETGRAPH_WEB_PORT to a free port."
            )
        self.process.spawn(
            [
                sys.executable,
                "-m",
                "basketgraph",
                "serve",
                "--port",
                str(self.port),
                "--dataset",
                self.settings.dataset,
                "--workers",
                str(self.workers),
            ],
            self.log_file,
        )
        self.process.wait_until(self.answers, timeout, lambda: tail(self.log_file))

        return True

    def stop(self) -> bool:
        """Stop the server; return whether one was running."""
        return self.process.stop(timeout=20)

    def status(self) -> WebStatus:
        """Report whether the server runs."""
        pid = self.process.pid()

        return WebStatus(pid is not None, pid, self.url, self.log_file)
