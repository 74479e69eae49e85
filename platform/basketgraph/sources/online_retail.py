"""The UCI Online Retail and Online Retail II layouts, as CSV, gzipped CSV or Parquet.

One row is one invoice line: ``InvoiceNo`` (``Invoice`` in II), ``StockCode``,
``Description``, ``Quantity``, ``InvoiceDate``, ``UnitPrice`` (``Price``),
``CustomerID`` (``Customer ID``) and ``Country``. An invoice whose number starts with
``C`` is a cancellation and becomes an ``:Order:Return``. A missing customer id makes
a guest order.
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
    iter_parquet,
    parse_float,
    parse_int,
    read_csv_header,
)

_REQUIRED = {
    "invoice": ("invoiceno", "invoice"),
    "sku": ("stockcode",),
    "quantity": ("quantity",),
    "date": ("invoicedate",),
    "price": ("unitprice", "price"),
}
_OPTIONAL = {
    "description": ("description",),
    "customer": ("customerid",),
    "country": ("country",),
}


class OnlineRetailFormat:
    """Reader of the UCI Online Retail layouts.

    Args:
        timezone (tzinfo): Zone of the invoice times, which carry no offset
            (default: UTC; the shop is in the United Kingdom).
    """

    name = "online-retail"

    def __init__(self, timezone: tzinfo = UTC) -> None:
        """Create a reader; columns are bound when a file is opened."""
        self._timestamps = TimestampParser(timezone)
        self._columns: dict[str, int] = {}
        self._width = 0

    def open_rows(self, path: Path) -> Iterator[RawRow]:
        """Yield the data rows of a CSV, gzipped CSV or Parquet file."""
        if path.suffix.lower() in (".parquet", ".pq"):
            header, rows = iter_parquet(path)
        else:
            header, rows = read_csv_header(path)
        self._columns = bind_columns(path, header, _REQUIRED, _OPTIONAL, self.name)
        self._width = len(header)

        return rows

    def key(self, number: int, fields: list[str]) -> str | None:
        """Return the invoice number, or ``None`` for a malformed row."""
        if len(fields) != self._width:
            return None

        return fields[self._columns["invoice"]].strip() or None

    def parse(self, number: int, fields: list[str]) -> list[OrderLine]:
        """Return the row as its one order line, or raise :class:`RowError`."""
        # The hot loop of an ingest: about two microseconds a row, so plain
        # indexing rather than helpers.
        if len(fields) != self._width:
            raise RowError(
                f"wrong column count: expected {self._width} fields, "
                f"found {len(fields)}"
            )
        check_encoding(fields)
        c = self._columns
        invoice = fields[c["invoice"]].strip()
        if not invoice:
            raise RowError("empty key InvoiceNo")
        sku = fields[c["sku"]].strip()
        if not sku:
            raise RowError("empty key StockCode")
        index = c.get("description")
        description = fields[index].strip() or None if index is not None else None
        index = c.get("customer")
        customer = fields[index].strip() or None if index is not None else None
        if customer is not None and customer.endswith(".0"):
            customer = customer[:-2]  # ids read as floats by a spreadsheet
        index = c.get("country")
        country = fields[index].strip() or None if index is not None else None
        line = OrderLine(
            invoice,
            self._timestamps("InvoiceDate", fields[c["date"]]),
            customer,
            sku,
            description,
            parse_int("Quantity", fields[c["quantity"]]),
            parse_float("UnitPrice", fields[c["price"]]),
            country,
            None,
            None,
            invoice[0] in "Cc",
        )

        return [line]
