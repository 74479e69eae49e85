"""Whole orders out of order lines, with what the file says about each product.

Lines of one order need not be next to each other in a file (Online Retail has an
invoice split in two places). A first, light pass over the file records the row on
which each order ends, so the second pass can hand out every order complete, as soon
as its last row is read, while holding only the orders still open. Memory grows with
the number of orders (their ids and last rows), products and customers, never with
the lines.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from basketgraph.exceptions import StrictModeError
from basketgraph.sources.base import Format, OrderLine, RowError, raw_text
from basketgraph.sources.merchandise import is_merchandise

#: How many bad rows a strict load names in its error.
STRICT_REPORTED = 10


@dataclass
class Order:
    """One order with its lines summed per product."""

    id: str
    placed_at: int | None
    customer_id: str | None
    country: str | None
    is_return: bool
    #: sku → ``[quantity, sum of unit prices, priced lines, lines]``.
    items: dict[str, list[float]] = field(default_factory=dict)
    #: Whether a source gave a return flag; else every quantity < 0 makes a return.
    explicit_return: bool = False

    def add(self, line: OrderLine) -> None:
        """Add one line; repeated lines of a product are summed."""
        item = self.items.get(line.sku)
        if item is None:
            item = self.items[line.sku] = [0, 0.0, 0, 0]
        item[0] += line.quantity
        if line.unit_price is not None:
            item[1] += line.unit_price
            item[2] += 1
        item[3] += 1

    def finish(self) -> None:
        """Settle what depends on all lines: the return flag."""
        if not self.explicit_return and not self.is_return:
            self.is_return = all(item[0] < 0 for item in self.items.values())

    def content_hash(self) -> str:
        """Return a digest of everything this order writes to the graph."""
        parts = [
            self.id,
            str(self.placed_at),
            str(self.customer_id),
            str(self.country),
            str(self.is_return),
        ]
        for sku in sorted(self.items):
            q, price_sum, priced, lines = self.items[sku]
            parts.append(f"{sku}\x1f{q}\x1f{price_sum!r}\x1f{priced}\x1f{lines}")

        return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=12).hexdigest()


@dataclass
class ProductFacts:
    """What one file says about one product."""

    titles: Counter[str] = field(default_factory=Counter)
    prices: Counter[float] = field(default_factory=Counter)
    category: tuple[str, ...] | None = None
    merchandise: bool | None = None

    def title(self) -> str | None:
        """Return the most frequent title; ties go to the one seen first."""
        if not self.titles:
            return None

        return self.titles.most_common(1)[0][0]

    def aliases(self) -> list[str]:
        """Return the other titles seen, most frequent first."""
        title = self.title()

        return [t for t, _ in self.titles.most_common() if t != title]

    def price(self) -> float | None:
        """Return the most frequent positive unit price (the list price)."""
        if not self.prices:
            return None

        return self.prices.most_common(1)[0][0]

    def is_merchandise(self, sku: str) -> bool:
        """Return the source's goods flag, or the rule's verdict."""
        if self.merchandise is not None:
            return self.merchandise

        return is_merchandise(sku, self.title())


@dataclass(frozen=True)
class Reject:
    """A row that was not loaded."""

    line: int
    reason: str
    raw: str


class RejectsFile:
    """Writes rejected rows to a CSV file (line, reason, raw), created on first use.

    Args:
        path (Path): Where to write; an older file there is replaced.
    """

    def __init__(self, path: Path) -> None:
        """Remove a rejects file left by an earlier load of the same input."""
        self.path = path
        self.count = 0
        self._stream: IO[str] | None = None
        self._writer: Any = None
        path.unlink(missing_ok=True)

    def write(self, reject: Reject) -> None:
        """Append one rejected row."""
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # surrogateescape writes bytes that were not UTF-8 back unchanged.
            self._stream = self.path.open(
                "w", encoding="utf-8", errors="surrogateescape", newline=""
            )
            self._writer = csv.writer(self._stream)
            self._writer.writerow(["line", "reason", "raw"])
        self._writer.writerow([reject.line, reject.reason, reject.raw])
        self.count += 1

    def close(self) -> None:
        """Flush and close the file, if any row was written."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None


@dataclass
class ScanResult:
    """What the first pass learned."""

    #: Rows in the file.
    rows: int
    #: Order id → number of the last row that names it.
    last_row: dict[str, int]


class OrderReader:
    """Reads a file as whole orders, rejecting bad rows without stopping.

    Args:
        fmt (Format): The input format.
        path (Path): The input file.
        on_reject (Callable[[Reject], None]): Called with every bad row.
        one_row_per_order (bool): Each row is a whole order (baskets), so no first
            pass is needed (default: ``False``).
    """

    def __init__(
        self,
        fmt: Format,
        path: Path,
        on_reject: Callable[[Reject], None],
        one_row_per_order: bool = False,
    ) -> None:
        """Prepare to read; nothing is opened yet."""
        self.fmt = fmt
        self.path = path
        self.on_reject = on_reject
        self.one_row_per_order = one_row_per_order
        #: sku → what the file says about it, filled while orders are read.
        self.products: dict[str, ProductFacts] = {}
        #: customer id → the country of their last order in the file.
        self.customers: dict[str, str | None] = {}
        #: Rows read, and rows that went into an order.
        self.rows_read = 0
        self.rows_loaded = 0
        self.rejected = 0

    def scan(self, strict: bool = False) -> ScanResult:
        """Read the file once to find where each order ends.

        Args:
            strict (bool): Parse every row, and refuse the file if any is bad
                (default: ``False``).

        Returns:
            ScanResult: The row count and each order's last row.

        Raises:
            StrictModeError: In strict mode, if any row is bad; it names the first
                :data:`STRICT_REPORTED` of them.
        """
        last_row: dict[str, int] = {}
        bad: list[tuple[int, str]] = []
        bad_count = rows = 0
        for number, fields in self.fmt.open_rows(self.path):
            rows += 1
            if strict:
                try:
                    self.fmt.parse(number, fields)
                except RowError as e:
                    bad_count += 1
                    if len(bad) < STRICT_REPORTED:
                        bad.append((number, str(e)))
            if not self.one_row_per_order:
                key = self.fmt.key(number, fields)
                if key is not None:
                    last_row[key] = number
        if bad_count:
            listed = "\n".join(f"  line {n}: {reason}" for n, reason in bad)
            raise StrictModeError(
                f"{bad_count} of {rows} rows in {str(self.path)!r} are bad, so "
                f"--strict wrote nothing. The first of them:\n{listed}\n"
                "Fix them, or load without --strict to keep the good rows and get "
                "the bad ones in a rejects file.",
                rejects=bad,
            )

        return ScanResult(rows=rows, last_row=last_row)

    def orders(
        self, scan: ScanResult | None, progress: Callable[[int], None] | None = None
    ) -> Iterator[Order]:
        """Yield every order, complete, in the order its last row appears.

        Args:
            scan (ScanResult, optional): The first pass's result; ``None`` only
                when each row is a whole order.
            progress (Callable[[int], None], optional): Called with the number of
                rows read since the previous call, every few thousand rows.
        """
        open_orders: dict[str, Order] = {}
        last_row = scan.last_row if scan is not None else {}
        since_progress = 0
        for number, fields in self.fmt.open_rows(self.path):
            self.rows_read += 1
            since_progress += 1
            if progress is not None and since_progress >= 8192:
                progress(since_progress)
                since_progress = 0
            try:
                lines = self.fmt.parse(number, fields)
            except RowError as e:
                self.rejected += 1
                self.on_reject(Reject(number, str(e), raw_text(fields)))
                key = self.fmt.key(number, fields)
                if (
                    key is not None
                    and last_row.get(key) == number
                    and (key in open_orders)
                ):
                    yield self._close(open_orders.pop(key))
                continue
            self.rows_loaded += 1
            order_id = lines[0].order_id
            order = open_orders.get(order_id)
            if order is None:
                first = lines[0]
                order = open_orders[order_id] = Order(
                    id=order_id,
                    placed_at=first.placed_at,
                    customer_id=first.customer_id,
                    country=first.country,
                    is_return=bool(first.is_return),
                    explicit_return=first.is_return is not None,
                )
            for line in lines:
                order.add(line)
                self._note_product(line)
            if self.one_row_per_order or last_row.get(order_id, number) <= number:
                yield self._close(open_orders.pop(order_id))
        if progress is not None and since_progress:
            progress(since_progress)
        # Orders whose last row the first pass saw but this one did not (the file
        # changed in between) are still whole as far as this pass knows.
        for order in open_orders.values():
            yield self._close(order)

    def _close(self, order: Order) -> Order:
        order.finish()
        if order.customer_id is not None:
            self.customers[order.customer_id] = order.country

        return order

    def _note_product(self, line: OrderLine) -> None:
        facts = self.products.get(line.sku)
        if facts is None:
            facts = self.products[line.sku] = ProductFacts()
        if line.title is not None:
            facts.titles[line.title] += 1
        if line.unit_price is not None and line.unit_price > 0 and line.quantity > 0:
            facts.prices[line.unit_price] += 1
        if line.category is not None:
            facts.category = line.category
        if line.merchandise is not None:
            facts.merchandise = line.merchandise
