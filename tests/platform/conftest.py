"""Fixtures of the platform tests: small input files, a reader run, a clean env."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.sources.base import Format
from basketgraph.sources.orders import Order, OrderReader, Reject


@dataclass
class ReadResult:
    """Everything one read of a file gave: orders in yield order, and rejects."""

    orders: list[Order]
    rejects: list[Reject]
    reader: OrderReader

    @property
    def by_id(self) -> dict[str, Order]:
        return {order.id: order for order in self.orders}

    @property
    def ids(self) -> list[str]:
        return [order.id for order in self.orders]


WriteFile = Callable[..., Path]
ReadOrders = Callable[..., ReadResult]


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Return a function writing text or raw bytes to a file under ``tmp_path``.

    Text is written as UTF-8 with its line ends unchanged; ``gz=True`` gzips it.
    """

    def write(name: str, content: str | bytes, gz: bool = False) -> Path:
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    return write


@pytest.fixture
def read_orders() -> ReadOrders:
    """Return a function reading a file as the ingest does: scan, then orders."""

    def read(
        fmt: Format,
        path: Path,
        one_row_per_order: bool = False,
        strict: bool = False,
    ) -> ReadResult:
        rejects: list[Reject] = []
        reader = OrderReader(fmt, path, rejects.append, one_row_per_order)
        scan = None
        if strict or not one_row_per_order:
            scan = reader.scan(strict=strict)
        orders = list(reader.orders(scan))
        return ReadResult(orders, rejects, reader)

    return read


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Remove every basketgraph and Neo4j variable; make ``tmp_path`` the home.

    Returns:
        Path: The home folder that ``Path.home()`` now gives.
    """
    for name in list(os.environ):
        if name.startswith(("BASKETGRAPH_", "NEO4J_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def tiny() -> BasketMatrix:
    """Seven baskets, one empty: every measure and score can be worked by hand.

    Columns: A=0, B=1, C=2, D=3, E=4. Counts: A 4, B 4, C 2, D 2, E 1; pairs AB 3,
    AC 2, AD 1, BC 1, BD 2, and E is never bought with anything.
    """
    return BasketMatrix.from_baskets(
        [
            ("o1", ["A", "B", "C"]),
            ("o2", ["A", "B"]),
            ("o3", ["A", "C"]),
            ("o4", ["B", "D"]),
            ("o5", []),
            ("o6", ["A", "B", "D"]),
            ("o7", ["E"]),
        ]
    )
