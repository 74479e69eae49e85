"""The documented generic CSV: one order line per row, named columns.

Required columns: ``order_id`` and ``sku``. Optional: ``placed_at`` (ISO 8601; times
without an offset are UTC), ``customer_id`` (empty for a guest), ``title``,
``quantity`` (whole number, default 1), ``unit_price``, ``country``, ``category`` (a
path from the top level to the leaf, levels separated by ``>``), ``merchandise``
(``true``/``false``; default: the rule of :mod:`basketgraph.sources.merchandise`) and
``is_return`` (``true``/``false``; default: true when every quantity is negative).
Column names are matched without case, spaces or underscores.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, tzinfo
from pathlib import Path

from basketgraph.sources.base import (
    OrderLine,
    RawRow,
    RowError,
    TimestampParser,
    bind_columns,
    check_encoding,
    parse_float,
    parse_int,
    read_csv_header,
)

_REQUIRED = {"order": ("orderid",), "sku": ("sku", "productid")}
_OPTIONAL = {
    "placed_at": ("placedat", "timestamp"),
    "customer": ("customerid",),
    "title": ("title",),
    "quantity": ("quantity",),
    "price": ("unitprice", "price"),
    "country": ("country",),
    "category": ("category",),
    "merchandise": ("merchandise",),
    "is_return": ("isreturn",),
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class GenericCsvFormat:
    """Reader of the generic CSV format.

    Args:
        timezone (tzinfo): Zone of times without an offset (default: UTC).
    """

    name = "csv"

    def __init__(self, timezone: tzinfo = UTC) -> None:
        """Create a reader; columns are bound when a file is opened."""
        self._timestamps = TimestampParser(timezone)
        self._columns: dict[str, int] = {}
        self._width = 0

    def open_rows(self, path: Path) -> Iterator[RawRow]:
        """Yield the data rows of a CSV or gzipped CSV file."""
        header, rows = read_csv_header(path)
        self._columns = bind_columns(path, header, _REQUIRED, _OPTIONAL, self.name)
        self._width = len(header)

        return rows

    def key(self, number: int, fields: list[str]) -> str | None:
        """Return the order id, or ``None`` for a malformed row."""
        if len(fields) != self._width:
            return None

        return fields[self._columns["order"]].strip() or None

    def parse(self, number: int, fields: list[str]) -> list[OrderLine]:
        """Return the row as its one order line, or raise :class:`RowError`."""
        if len(fields) != self._width:
            raise RowError(
                f"wrong column count: expected {self._width} fields, "
                f"found {len(fields)}"
            )
        check_encoding(fields)
        c = self._columns

        def text(name: str) -> str | None:
            index = c.get(name)
            return None if index is None else (fields[index].strip() or None)

        order_id = text("order")
        if order_id is None:
            raise RowError("empty key order_id")
        sku = text("sku")
        if sku is None:
            raise RowError("empty key sku")
        placed_at = text("placed_at")
        quantity = text("quantity")
        price = text("price")
        category = text("category")
        line = OrderLine(
            order_id=order_id,
            placed_at=None
            if placed_at is None
            else self._timestamps("placed_at", placed_at),
            customer_id=text("customer"),
            sku=sku,
            title=text("title"),
            quantity=1 if quantity is None else parse_int("quantity", quantity),
            unit_price=None if price is None else parse_float("unit_price", price),
            country=text("country"),
            category=None
            if category is None
            else tuple(p.strip() for p in category.split(">") if p.strip()),
            merchandise=_flag("merchandise", text("merchandise")),
            is_return=_flag("is_return", text("is_return")),
        )

        return [line]


def _flag(column: str, value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(f"{column} must be true or false, not {value!r}")
