"""Rows out of input files, and the normalised order line every format produces."""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, NamedTuple, Protocol

from basketgraph.exceptions import SourceError

#: One row of an input file: its line number (for Parquet, its 1-based row number)
#: and its fields as text.
RawRow = tuple[int, list[str]]


class RowError(ValueError):
    """A row that cannot be loaded; its message is the reason given to the user."""


class OrderLine(NamedTuple):
    """One normalised order line, whatever the input format."""

    order_id: str
    #: Milliseconds since the epoch, UTC; ``None`` when the source has no time.
    placed_at: int | None
    customer_id: str | None
    sku: str
    title: str | None
    quantity: int
    unit_price: float | None
    country: str | None
    #: Category path from the top level to the leaf, or ``None``.
    category: tuple[str, ...] | None
    #: An explicit goods flag from the source; ``None`` applies the rule.
    merchandise: bool | None
    #: An explicit return flag from the source; ``None`` lets the format decide.
    is_return: bool | None


class Format(Protocol):
    """What every input format provides to the loader."""

    #: The name given to ``--format``.
    name: str

    def open_rows(self, path: Path) -> Iterator[RawRow]:
        """Yield the file's data rows (never its header)."""

    def key(self, number: int, fields: list[str]) -> str | None:
        """Return the order id of a row without checking the rest, or ``None``."""

    def parse(self, number: int, fields: list[str]) -> list[OrderLine]:
        """Return the row's order lines, or raise :class:`RowError`."""


class HeaderFormat:
    """A format of one order line per row, under a header that names the columns.

    Subclasses name their columns in :attr:`required` and :attr:`optional`, the one
    holding the order id in :attr:`key_column`, and implement ``parse``; rows are
    checked for their width and encoding by :meth:`check_row`.

    Args:
        timezone (tzinfo): Zone of times without an offset (default: UTC).
    """

    #: The name given to ``--format``.
    name = ""
    #: Logical column → accepted spellings (see :func:`bind_columns`).
    required: Mapping[str, tuple[str, ...]] = {}
    #: The same, for columns that may be absent.
    optional: Mapping[str, tuple[str, ...]] = {}
    #: The logical column that holds the order id.
    key_column = ""

    def __init__(self, timezone: tzinfo = UTC) -> None:
        """Create a reader; columns are bound when a file is opened."""
        self._timestamps = TimestampParser(timezone)
        self._columns: dict[str, int] = {}
        self._width = 0

    def read_header(self, path: Path) -> tuple[list[str], Iterator[RawRow]]:
        """Return a file's column names and its data rows (CSV or gzipped CSV)."""
        return read_csv_header(path)

    def open_rows(self, path: Path) -> Iterator[RawRow]:
        """Yield the data rows, after binding the columns of the header."""
        header, rows = self.read_header(path)
        self._columns = bind_columns(
            path, header, self.required, self.optional, self.name
        )
        self._width = len(header)

        return rows

    def key(self, number: int, fields: list[str]) -> str | None:
        """Return the order id, or ``None`` for a malformed row."""
        if len(fields) != self._width:
            return None

        return fields[self._columns[self.key_column]].strip() or None

    def check_row(self, fields: list[str]) -> None:
        """Raise :class:`RowError` for a row of the wrong width or encoding."""
        if len(fields) != self._width:
            raise RowError(
                f"wrong column count: expected {self._width} fields, "
                f"found {len(fields)}"
            )
        check_encoding(fields)


# -- reading files ----------------------------------------------------------------


def open_text(path: Path) -> IO[str]:
    """Open a CSV file, plain or gzipped, for reading with the csv module.

    Bytes that are not UTF-8 are kept as surrogate escapes so that the row holding
    them can be rejected (:func:`check_encoding`) and written back unchanged.

    Raises:
        SourceError: If the file does not exist or cannot be read.
    """
    check_file(path)
    try:
        if path.name.endswith(".gz"):
            return gzip.open(
                path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline=""
            )

        return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as e:
        raise SourceError(f"Cannot read {str(path)!r}: {e.strerror or e}.") from e


def check_file(path: Path) -> None:
    """Raise :class:`SourceError` unless ``path`` is a readable file."""
    if not path.exists():
        raise SourceError(f"Input file {str(path)!r} does not exist.")
    if not path.is_file():
        raise SourceError(f"Input path {str(path)!r} is not a file.")


def iter_csv(stream: IO[str], delimiter: str = ",") -> Iterator[RawRow]:
    """Yield ``(first_line_number, fields)`` for every non-blank CSV record.

    Raises:
        SourceError: If the file is not valid CSV or gzip at some point.
    """
    reader = csv.reader(stream, delimiter=delimiter)
    previous = 0
    try:
        for fields in reader:
            start, previous = previous + 1, reader.line_num
            if fields:
                yield start, fields
    except (csv.Error, EOFError, OSError, gzip.BadGzipFile) as e:
        raise SourceError(
            f"The file cannot be read past line {previous}: {e}. Check that it is "
            "complete and in the format given."
        ) from e


def read_csv_header(
    path: Path, delimiter: str = ","
) -> tuple[list[str], Iterator[RawRow]]:
    """Open a CSV file and return its header and an iterator over its data rows.

    Raises:
        SourceError: If the file is missing, empty or unreadable.
    """
    stream = open_text(path)
    rows = _closing(stream, iter_csv(stream, delimiter))
    try:
        _, header = next(rows)
    except StopIteration:
        raise SourceError(f"Input file {str(path)!r} is empty.") from None

    return header, rows


def iter_parquet(path: Path) -> tuple[list[str], Iterator[RawRow]]:
    """Return a Parquet file's column names and its rows as text fields.

    Timestamps become ``YYYY-MM-DD HH:MM:SS``, whole floats lose their ``.0`` and
    nulls become empty strings, so that a Parquet file parses exactly like the CSV
    export of the same table.

    Raises:
        SourceError: If the file is missing or not Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_file(path)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        raise SourceError(f"{str(path)!r} is not a readable Parquet file: {e}.") from e
    names = list(parquet.schema_arrow.names)

    def rows() -> Iterator[RawRow]:
        number = 0
        for batch in parquet.iter_batches(batch_size=65_536):
            columns = [
                _arrow_column_as_text(batch.column(i)) for i in range(len(names))
            ]
            for fields in zip(*columns, strict=True):
                number += 1
                yield number, list(fields)

    return names, rows()


def _arrow_column_as_text(column: object) -> list[str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    col = column
    if pa.types.is_timestamp(col.type):  # type: ignore[attr-defined]
        # A zone-aware column keeps its offset, as a CSV export of it would.
        zoned = col.type.tz is not None  # type: ignore[attr-defined]
        fmt = "%Y-%m-%dT%H:%M:%S%z" if zoned else "%Y-%m-%d %H:%M:%S"
        values = pc.strftime(col, format=fmt).to_pylist()
    elif pa.types.is_floating(col.type):  # type: ignore[attr-defined]
        values = [_float_text(v) for v in col.to_pylist()]  # type: ignore[attr-defined]
    else:
        values = pc.cast(col, pa.string()).to_pylist()

    return ["" if v is None else v for v in values]


def _float_text(value: float | None) -> str | None:
    if value is None or math.isnan(value):
        return None
    if value.is_integer():
        return str(int(value))

    return repr(value)


def _closing(stream: IO[str], rows: Iterator[RawRow]) -> Iterator[RawRow]:
    with stream:
        yield from rows


# -- parsing fields ---------------------------------------------------------------


def check_encoding(fields: list[str]) -> None:
    """Raise :class:`RowError` if any field holds bytes that were not UTF-8."""
    try:
        "".join(fields).encode("utf-8")
    except UnicodeEncodeError as e:
        raise RowError("invalid UTF-8 encoding: re-save the file as UTF-8") from e


def parse_int(column: str, text: str) -> int:
    """Parse a whole number such as ``6``, ``-2`` or ``6.0``."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"unparseable number in {column}: {text!r}") from None
    if not value.is_integer():
        raise RowError(f"{column} is not a whole number: {text!r}")

    return int(value)


def parse_float(column: str, text: str) -> float:
    """Parse a finite decimal number."""
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"unparseable number in {column}: {text!r}") from None
    if not math.isfinite(value):
        raise RowError(f"{column} is not a finite number: {text!r}")

    return value


_TIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H:%M")


class TimestampParser:
    """Parse order timestamps to epoch milliseconds, caching repeated texts.

    Accepts ISO 8601 (``2010-12-01 08:26:00``, ``2010-12-01T08:26:00+01:00``, a
    date alone) and the US ``12/1/2010 8:26`` of some Online Retail exports. Times
    without an offset are read in ``timezone``.

    Args:
        timezone (tzinfo): Zone of times that carry no offset (default: UTC).
    """

    def __init__(self, timezone: tzinfo = UTC) -> None:
        """Create a parser with an empty cache."""
        self.timezone = timezone
        self._cache: dict[str, int] = {}

    def __call__(self, column: str, text: str) -> int:
        """Return ``text`` as milliseconds since the epoch, or raise RowError."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = self._parse(text.strip())
        if value is None:
            raise RowError(f"unparseable date in {column}: {text!r}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.timezone)
        millis = int(value.timestamp() * 1000)
        if len(self._cache) < 1_000_000:  # bounded: a file of distinct times
            self._cache[text] = millis

        return millis

    @staticmethod
    def _parse(text: str) -> datetime | None:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
        for fmt in _TIME_FORMATS:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue

        return None


def normalise_header(name: str) -> str:
    """Return a column name without case, spaces, dashes or underscores."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def bind_columns(
    path: Path,
    header: list[str],
    required: Mapping[str, tuple[str, ...]],
    optional: Mapping[str, tuple[str, ...]],
    format_name: str,
) -> dict[str, int]:
    """Map each logical column to its index in ``header``.

    Args:
        path (Path): The file, for messages.
        header (list[str]): The file's column names.
        required (Mapping[str, tuple[str, ...]]): Logical name to accepted spellings
            (compared by :func:`normalise_header`); all must be present.
        optional (Mapping[str, tuple[str, ...]]): The same, for columns that may be
            absent.
        format_name (str): The format, for messages.

    Returns:
        dict[str, int]: Logical name to column index, for the columns present.

    Raises:
        SourceError: If a required column is missing.
    """
    index = {normalise_header(h): i for i, h in enumerate(header)}
    bound: dict[str, int] = {}
    missing = []
    for table, is_required in ((required, True), (optional, False)):
        for logical, spellings in table.items():
            found = next((index[s] for s in spellings if s in index), None)
            if found is not None:
                bound[logical] = found
            elif is_required:
                missing.append(logical)
    if missing:
        raise SourceError(
            f"{str(path)!r} lacks the column(s) {', '.join(missing)} that format "
            f"{format_name!r} needs; its header is {header!r}. Check --format."
        )

    return bound


def raw_text(fields: list[str]) -> str:
    """Return fields joined back into one CSV record, for the rejects file."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)

    return buffer.getvalue()
