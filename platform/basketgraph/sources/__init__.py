"""Readers of purchase data: each input format yields normalised order lines.

=================  ===========================================================
``online-retail``  UCI Online Retail and Online Retail II (CSV, .csv.gz, Parquet)
``groceries``      one basket per line, optional ``item,level2,level1`` categories
``csv``            the documented generic CSV (:mod:`basketgraph.sources.generic`)
=================  ===========================================================
"""

from __future__ import annotations

from pathlib import Path

from basketgraph.exceptions import UnknownFormatError
from basketgraph.sources.base import Format, OrderLine, RowError
from basketgraph.sources.generic import GenericCsvFormat
from basketgraph.sources.groceries import GroceriesFormat
from basketgraph.sources.online_retail import OnlineRetailFormat

#: The names accepted by ``--format``.
FORMATS = ("online-retail", "groceries", "csv")

__all__ = ["FORMATS", "Format", "OrderLine", "RowError", "make_format"]


def make_format(name: str, categories: Path | None = None) -> Format:
    """Return the reader of the format called ``name``.

    Args:
        name (str): One of :data:`FORMATS`.
        categories (Path, optional): A category file, for ``groceries`` only
            (default: none).

    Returns:
        Format: A fresh reader.

    Raises:
        UnknownFormatError: If no format has that name, or an option does not apply.
    """
    if categories is not None and name != "groceries":
        raise UnknownFormatError(
            f"--categories applies to the 'groceries' format only, not {name!r}; "
            "other formats carry categories in their rows."
        )
    if name == "online-retail":
        return OnlineRetailFormat()
    if name == "groceries":
        return GroceriesFormat(categories)
    if name == "csv":
        return GenericCsvFormat()
    raise UnknownFormatError(
        f"Unknown format {name!r}: choose one of {', '.join(FORMATS)}."
    )
