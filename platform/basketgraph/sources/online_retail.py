"""The UCI Online Retail and Online Retail II layouts, as CSV, gzipped CSV or Parquet.

One row is one invoice line: ``InvoiceNo`` (``Invoice`` in II), ``StockCode``,
``Description``, ``Quantity``, ``InvoiceDate``, ``UnitPrice`` (``Price``),
``CustomerID`` (``Customer ID``) and ``Country``. An invoice whose number starts with
``C`` is a cancellation and becomes an ``:Order:Return``. A missing customer id makes
a guest order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from basketgraph.sources.base import (
    HeaderFormat,
    OrderLine,
    RawRow,
    RowError,
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


class OnlineRetailFormat(HeaderFormat):
    """Reader of the UCI Online Retail layouts.

    Args:
        timezone (tzinfo): Zone of the invoice times, which carry no offset
            (default: UTC; the shop is in the United Kingdom).
    """

    name = "online-retail"

    required = _REQUIRED
    optional = _OPTIONAL
    key_column = "invoice"

    def read_header(self, path: Path) -> tuple[list[str], Iterator[RawRow]]:
        """Return the column names and data rows of a CSV or Parquet file."""
        if path.suffix.lower() in (".parquet", ".pq"):
            return iter_parquet(path)

        return read_csv_header(path)

    def parse(self, number: int, fields: list[str]) -> list[OrderLine]:
        """Return the row as its one order line, or raise :class:`RowError`."""
        # The hot loop of an ingest: about two microseconds a row, so plain
        # indexing rather than helpers.
        self.check_row(fields)
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
