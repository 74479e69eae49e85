"""Baskets one per line, items separated by commas, as in the arules Groceries data.

Basket *n* (the *n*-th line of the file) becomes order ``n``, placed by a guest at no
known time. Each item is a product whose sku and title are the item's name; an item
listed twice in a basket counts quantity 2. An optional category file (CSV with a
header ``item,level2,level1``, as arules' ``itemInfo``) puts every item in the
category ``level1 > level2``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from basketgraph.exceptions import SourceError
from basketgraph.sources.base import (
    OrderLine,
    RawRow,
    RowError,
    check_encoding,
    iter_csv,
    normalise_header,
    open_text,
)


class GroceriesFormat:
    """Reader of one-basket-per-line files.

    Args:
        categories (Path, optional): The category file (default: none).
    """

    name = "groceries"

    def __init__(self, categories: Path | None = None) -> None:
        """Create a reader; the category file is read when a file is opened."""
        self._categories_path = categories
        self._categories: dict[str, tuple[str, ...]] = {}

    def open_rows(self, path: Path) -> Iterator[RawRow]:
        """Yield each basket line as its list of items."""
        if self._categories_path is not None:
            self._categories = read_categories(self._categories_path)
        stream = open_text(path)

        def rows() -> Iterator[RawRow]:
            with stream:
                yield from iter_csv(stream)

        return rows()

    def key(self, number: int, fields: list[str]) -> str | None:
        """Return the basket's order id: its line number."""
        return str(number)

    def parse(self, number: int, fields: list[str]) -> list[OrderLine]:
        """Return a basket's lines, one per item, or raise :class:`RowError`."""
        check_encoding(fields)
        items = [f.strip() for f in fields if f.strip()]
        if not items:
            raise RowError("empty basket: the line lists no item")
        order_id = str(number)

        return [
            OrderLine(
                order_id=order_id,
                placed_at=None,
                customer_id=None,
                sku=item,
                title=item,
                quantity=1,
                unit_price=None,
                country=None,
                category=self._categories.get(item),
                merchandise=True,
                is_return=False,
            )
            for item in items
        ]


def read_categories(path: Path) -> dict[str, tuple[str, ...]]:
    """Read an ``item,level2,level1`` file into item → ``(level1, level2)``.

    Raises:
        SourceError: If the file is missing or lacks those columns.
    """
    stream = open_text(path)
    with stream:
        rows = iter_csv(stream)
        try:
            _, header = next(rows)
        except StopIteration:
            raise SourceError(f"Category file {str(path)!r} is empty.") from None
        names = [normalise_header(h) for h in header]
        if not {"level1", "level2"} <= set(names) or not {"item", "labels"} & set(
            names
        ):
            raise SourceError(
                f"Category file {str(path)!r} needs the columns item, level2 and "
                f"level1; its header is {header!r}."
            )
        item = names.index("item") if "item" in names else names.index("labels")
        l1, l2 = names.index("level1"), names.index("level2")
        categories = {}
        for _, fields in rows:
            if len(fields) == len(header) and fields[item].strip():
                path_ = tuple(p.strip() for p in (fields[l1], fields[l2]) if p.strip())
                categories[fields[item].strip()] = path_

    return categories
