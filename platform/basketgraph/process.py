"""Local server processes that basketgraph starts, finds again and stops by pid file."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from basketgraph.exceptions import ServerStartError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManagedProcess:
    """A detached server process known by its pid file.

    The pid file holds the pid and the process's start time (in clock ticks since
    boot, from ``/proc``), which tells our process apart from an unrelated one that
    reused a stale pid. The command line cannot: servers such as Redis rewrite it.

    Args:
        name (str): What the process is, for messages (``"Neo4j"``).
        pid_file (Path): Where the pid of the running process is kept.
    """

    name: str
    pid_file: Path

    def pid(self) -> int | None:
        """Return the pid of the running process, or ``None`` when it is not running.

        A pid file left behind by a process that died is removed.
        """
        try:
            fields = self.pid_file.read_text().split()
            pid, started = int(fields[0]), int(fields[1])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        if _is_alive(pid) and _start_time(pid) == started:
            return pid
        self.pid_file.unlink(missing_ok=True)

        return None

    def spawn(
        self,
        argv: Sequence[str],
        log_file: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Start ``argv`` detached from this process and record its pid.

        Args:
            argv (Sequence[str]): The command to run.
            log_file (Path): File that receives the process's standard output and
                error (appended to).
            env (Mapping[str, str], optional): Extra environment variables
                (default: none).
            cwd (Path, optional): Working directory (default: the current one).

        Returns:
            int: The new process's pid.
        """
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as log:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                # A session of its own: the server outlives the command that started
                # it and does not receive the terminal's Ctrl-C.
                start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
        logger.debug("Started %s as pid %s: %s", self.name, proc.pid, argv)

        return proc.pid

    def wait_until(
        self,
        ready: Callable[[], bool],
        timeout: float,
        describe_failure: Callable[[], str],
    ) -> None:
        """Wait until ``ready()`` is true while the process stays alive.

        Args:
            ready (Callable[[], bool]): Probe called about every 0.2 s.
            timeout (float): Seconds to wait before giving up.
            describe_failure (Callable[[], str]): Returns what to show when the
                process died or never became ready, such as its last log lines.

        Raises:
            ServerStartError: If the process exits or is not ready in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise ServerStartError(
                    f"{self.name} exited while starting. Its log says:\n"
                    f"{describe_failure()}"
                )
            if ready():
                return
            time.sleep(0.2)
        raise ServerStartError(
            f"{self.name} did not become ready within {timeout:.0f} s. "
            f"Its log says:\n{describe_failure()}"
        )

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the process: SIGTERM, then SIGKILL if it outlives ``timeout``.

        Args:
            timeout (float): Seconds to wait for a clean shutdown (default: 60).

        Returns:
            bool: Whether a running process was stopped.
        """
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _is_alive(pid):
            logger.warning(
                "%s (pid %s) ignored SIGTERM for %.0f s; killing it",
                self.name,
                pid,
                timeout,
            )
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

        return True


def tail(path: Path, lines: int = 25) -> str:
    """Return the last ``lines`` lines of a text file, or a note that it is missing."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"

    return "\n".join(text.splitlines()[-lines:])


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but somebody else's
        return True
    # A zombie child has exited even though kill(0) succeeds.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False

    return status != "Z"


def _start_time(pid: int) -> int:
    """Return when a process started, in clock ticks since boot; -1 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return -1
    # Field 22 of stat(5); fields are counted after the ")" that ends the name.
    return int(stat.rsplit(") ", 1)[1].split()[19])
