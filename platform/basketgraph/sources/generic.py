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

from basketgraph.sources.base import (
    HeaderFormat,
    OrderLine,
    RowError,
    parse_float,
    parse_int,
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


class GenericCsvFormat(HeaderFormat):
    """Reader of the generic CSV format.

    Args:
        timezone (tzinfo): Zone of times without an offset (default: UTC).
    """

    name = "csv"

    required = _REQUIRED
    optional = _OPTIONAL
    key_column = "order"

    def parse(self, number: int, fields: list[str]) -> list[OrderLine]:
        """Return the row as its one order line, or raise :class:`RowError`."""
        self.check_row(fields)
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
