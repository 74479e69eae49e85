"""A real Neo4j 5.26 LTS Community server, assembled from Maven Central and run locally.

The server's classpath comes from ``pom.xml`` beside this module, copied by Maven into
``$BASKETGRAPH_HOME/neo4j/lib``. It is started through
``org.neo4j.server.CommunityEntryPoint``, the entry point that the official
distribution's ``bin/neo4j`` runs, with a configuration written from
``neo4j.conf.template``. The initial password is set with Neo4j's own admin tool
before the first start and kept in ``$BASKETGRAPH_HOME/neo4j/password``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from string import Template

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, TransientError

from basketgraph.config import Settings
from basketgraph.exceptions import ConfigurationError, ServerStartError
from basketgraph.process import ManagedProcess, tail

logger = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
POM = _HERE / "pom.xml"
CONF_TEMPLATE = _HERE / "neo4j.conf.template"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"

#: JVM options of the official launcher that matter for a server on JDK 17.
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)


@dataclass(frozen=True)
class ServerStatus:
    """What ``basketgraph neo4j status`` reports."""

    #: Whether the server process runs.
    running: bool
    #: Its pid, when it runs.
    pid: int | None
    #: The Bolt address clients use.
    uri: str
    #: The folder holding its jars, configuration, data and logs.
    home: Path
    #: Whether Bolt accepted our credentials just now.
    bolt_ready: bool


class Neo4jServer:
    """The local Neo4j server under ``settings.neo4j_home``.

    Args:
        settings (Settings): Where the server lives, its ports and memory.
    """

    def __init__(self, settings: Settings) -> None:
        """Bind the server to its home folder; nothing is started."""
        self.settings = settings
        self.home = settings.neo4j_home
        self.lib_dir = self.home / "lib"
        self.conf_dir = self.home / "conf"
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.run_dir = self.home / "run"
        self.process = ManagedProcess(
            name="Neo4j",
            pid_file=self.run_dir / "basketgraph-neo4j.pid",
        )

    # -- lifecycle ---------------------------------------------------------------

    def start(self, timeout: float = 180.0) -> bool:
        """Start the server and wait until Bolt answers; do nothing if it runs.

        Args:
            timeout (float): Seconds to wait for Bolt (default: 180).

        Returns:
            bool: ``True`` if this call started it, ``False`` if it already ran.

        Raises:
            ServerStartError: If Java or Maven is missing, the jars cannot be
                resolved, or the server exits or does not answer in time; the
                message carries the server's own log lines.
        """
        if self.process.pid() is not None:
            self.wait_for_bolt(timeout)
            return False
        # Another server on our Bolt port would answer the readiness probe with
        # a misleading authentication error, so that clash is refused up front.
        # Every other failure (the HTTP port, memory, the store) is left to Neo4j,
        # whose own log lines then explain it.
        port = self.settings.neo4j_bolt_port
        if _port_in_use(port):
            raise ServerStartError(
                f"Cannot start Neo4j: port {port} on 127.0.0.1 is already in use by "
                "another process. Stop it, or set BASKETGRAPH_NEO4J_BOLT_PORT to a "
                "free port."
            )
        java = _require_program("java", "Install a Java 17 runtime (openjdk-17-jre).")
        self.install()
        self.write_config()
        self.ensure_password(java)
        console_log = self.logs_dir / "console.log"
        argv = [
            java,
            f"-Xms{self.settings.neo4j_heap}",
            f"-Xmx{self.settings.neo4j_heap}",
            *JVM_OPTIONS,
            "-cp",
            f"{self.lib_dir}/*",
            ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.conf_dir}",
        ]
        logger.info("Starting Neo4j from %s", self.home)
        self.process.spawn(argv, console_log, env=self._env(), cwd=self.home)
        self.process.wait_until(self._bolt_answers, timeout, self._failure_log)
        logger.info("Neo4j answers on %s", self.settings.neo4j_uri)

        return True

    def stop(self, timeout: float = 120.0) -> bool:
        """Stop the server cleanly (it checkpoints before it exits).

        Args:
            timeout (float): Seconds to wait before killing it (default: 120).

        Returns:
            bool: Whether it was running.
        """
        return self.process.stop(timeout)

    def status(self) -> ServerStatus:
        """Return whether the server runs and answers on Bolt."""
        pid = self.process.pid()

        return ServerStatus(
            running=pid is not None,
            pid=pid,
            uri=self.settings.neo4j_uri,
            home=self.home,
            bolt_ready=pid is not None and self._bolt_answers(),
        )

    def wait_for_bolt(self, timeout: float) -> None:
        """Wait until the running server accepts our credentials on Bolt."""
        self.process.wait_until(self._bolt_answers, timeout, self._failure_log)

    # -- assembly ----------------------------------------------------------------

    def install(self) -> None:
        """Copy the server's jars from Maven Central into ``lib``, once per pom.

        The copy is redone only when ``pom.xml`` changed since the last one, so a
        second call costs a hash of one file.
        """
        digest = hashlib.sha256(POM.read_bytes()).hexdigest()
        stamp = self.lib_dir / ".pom-sha256"
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return
        mvn = _require_program("mvn", "Install Maven (apt-get install maven).")
        staging = self.home / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        logger.info("Resolving the Neo4j server's jars with Maven into %s", staging)
        result = subprocess.run(
            [
                mvn,
                "--batch-mode",
                "--quiet",
                "--file",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ServerStartError(
                "Maven could not resolve the Neo4j server's jars from "
                f"{POM}. Check access to Maven Central. Maven said:\n"
                f"{(result.stdout + result.stderr)[-3000:]}"
            )
        (staging / ".pom-sha256").write_text(digest + "\n")
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        staging.rename(self.lib_dir)

    def write_config(self) -> None:
        """Write ``conf/neo4j.conf`` from the template and the current settings."""
        for folder in ("conf", "data", "logs", "run", "plugins", "import"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        text = Template(CONF_TEMPLATE.read_text()).substitute(
            bolt_port=self.settings.neo4j_bolt_port,
            http_port=self.settings.neo4j_http_port,
            data_dir=self.data_dir,
            logs_dir=self.logs_dir,
            run_dir=self.run_dir,
            plugins_dir=self.home / "plugins",
            import_dir=self.home / "import",
            lib_dir=self.lib_dir,
            heap=self.settings.neo4j_heap,
            pagecache=self.settings.neo4j_pagecache,
        )
        (self.conf_dir / "neo4j.conf").write_text(text)

    def ensure_password(self, java: str) -> None:
        """Set the initial password before the very first start, and keep it.

        The password is ``NEO4J_PASSWORD`` when given, else a random one; it is
        written to ``password`` beside the data, readable by its owner only, and is
        never logged. Once the system database exists, Neo4j ignores an initial
        password, so nothing is done then.
        """
        if (self.data_dir / "databases" / "system").exists():
            if not self.settings.password_file.exists() and not (
                self.settings.neo4j_password
            ):
                raise ConfigurationError(
                    f"The Neo4j database under {self.data_dir} exists but its "
                    f"password file {self.settings.password_file} is missing: set "
                    "NEO4J_PASSWORD to its password, or remove the data folder to "
                    "start afresh."
                )
            return
        password = self.settings.neo4j_password or read_password(self.settings)
        if not password:
            password = secrets.token_urlsafe(18)
        result = subprocess.run(
            [
                java,
                "-cp",
                f"{self.lib_dir}/*",
                ADMIN_TOOL,
                "dbms",
                "set-initial-password",
                password,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **self._env()},
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).replace(password, "********")
            raise ServerStartError(
                f"neo4j-admin could not set the initial password:\n{output[-2000:]}"
            )
        write_password(self.settings, password)

    # -- helpers -----------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        return {"NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}

    def _bolt_answers(self) -> bool:
        """Return whether the default database answers a query on Bolt."""
        password = self.settings.neo4j_password or read_password(self.settings)
        try:
            with GraphDatabase.driver(
                self.settings.neo4j_uri,
                auth=(self.settings.neo4j_user, password),
                connection_timeout=2.0,
            ) as driver:
                driver.verify_connectivity()
                # Bolt accepts connections before the user database is online;
                # a query proves that it is. An auto-commit query, because
                # execute_query would retry (and log) for half a minute.
                with driver.session() as session:
                    session.run("RETURN 1").consume()
        except AuthError as e:
            raise ServerStartError(
                f"Neo4j on {self.settings.neo4j_uri} refused the credentials of "
                f"user {self.settings.neo4j_user!r}: set NEO4J_PASSWORD to the "
                f"server's password or fix {self.settings.password_file}."
            ) from e
        except (DriverError, TransientError, OSError):
            # Not up yet, or (SessionExpired) it accepted the connection and
            # then died: the process check in wait_until tells which.
            return False

        return True

    def _failure_log(self) -> str:
        errors = [
            line
            for line in tail(self.logs_dir / "neo4j.log", 200).splitlines()
            if re.search(r"\b(ERROR|WARN)\b", line)
        ]
        console = tail(self.logs_dir / "console.log", 20)

        return "\n".join([*errors[-20:], console]).strip()


def read_password(settings: Settings) -> str:
    """Return the local server's stored password, or ``""`` if none is stored."""
    try:
        return settings.password_file.read_text().strip()
    except FileNotFoundError:
        return ""


def write_password(settings: Settings, password: str) -> None:
    """Store the local server's password, readable by its owner only."""
    path = settings.password_file
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _require_program(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerStartError(f"{name!r} is not on PATH. {hint}")

    return path
