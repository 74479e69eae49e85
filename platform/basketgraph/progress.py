"""Progress reporting that long operations accept and the command line draws."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol

from tqdm import tqdm

#: Receives the stage a job is in and the share of the whole job done, in [0, 1].
StageReport = Callable[[str, float], None]


def report_nothing(stage: str, done: float) -> None:
    """Report nothing: the default :data:`StageReport`."""


class Progress(Protocol):
    """Receives how far a long operation got."""

    def start(self, total: int | None, unit: str) -> None:
        """Begin a phase of ``total`` units (``None`` when unknown)."""

    def advance(self, amount: int) -> None:
        """Record ``amount`` more units done."""

    def close(self) -> None:
        """End the phase."""


class NoProgress:
    """Reports nothing."""

    def start(self, total: int | None, unit: str) -> None:
        """Do nothing."""

    def advance(self, amount: int) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


class TerminalProgress:
    """A progress bar on standard error, drawn only when it is a terminal.

    Args:
        description (str): Text before the bar.
    """

    def __init__(self, description: str) -> None:
        """Create the reporter; the bar appears at :meth:`start`."""
        self.description = description
        self._bar: tqdm[Any] | None = None

    def start(self, total: int | None, unit: str) -> None:
        """Draw a bar for ``total`` units."""
        self.close()
        self._bar = tqdm(
            total=total,
            unit=f" {unit}",
            unit_scale=True,
            desc=self.description,
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
            leave=False,
        )

    def advance(self, amount: int) -> None:
        """Move the bar on."""
        if self._bar is not None:
            self._bar.update(amount)

    def advance_to(self, done: int) -> None:
        """Move the bar to ``done`` units in all."""
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
