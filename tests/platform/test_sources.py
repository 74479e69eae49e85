"""Tests of the input formats and of reading whole orders out of them."""

from __future__ import annotations

import csv
import io
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from basketgraph.exceptions import (
    InputError,
    SourceError,
    StrictModeError,
    UnknownFormatError,
)
from basketgraph.sources import FORMATS, make_format
from basketgraph.sources.base import (
    OrderLine,
    RowError,
    TimestampParser,
    check_encoding,
    iter_csv,
    iter_parquet,
    parse_float,
    parse_int,
)
from basketgraph.sources.generic import GenericCsvFormat
from basketgraph.sources.groceries import GroceriesFormat
from basketgraph.sources.online_retail import OnlineRetailFormat
from basketgraph.sources.orders import (
    STRICT_REPORTED,
    Order,
    OrderReader,
    ProductFacts,
    RejectsFile,
)

# 2010-12-01 08:26:00 UTC in epoch milliseconds, from `date -u -d ... +%s`.
T0 = 1_291_191_960_000
MINUTE = 60_000

OR1_HEADER = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
)
OR2_HEADER = (
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
)

# Invoice 536365 is split around 536366, as in the real data set.
OR1_ROWS = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,"
    "17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,,United Kingdom",
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,12/1/2010 8:26,2.45,"
    "17850.0,United Kingdom",
    "C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527.0,United Kingdom",
]
# The same table as Online Retail II writes it: other names, ISO times, int ids.
OR2_ROWS = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,"
    "17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom",
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,2010-12-01 08:26:00,2.45,"
    "17850,United Kingdom",
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom",
]
# A good row of invoice A1 whose fields the bad-row cases below spoil one by one.
GOOD_A1 = "A1,85123A,HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom"

GENERIC_HEADER = (
    "order_id,placed_at,customer_id,sku,title,quantity,unit_price,country,"
    "category,merchandise,is_return"
)
GENERIC_ROWS = [
    "o1,2011-06-01T09:00:00+01:00,c1,mug,Mug,2,3.50,UK,Home > Kitchen > Mugs,,",
    "o1,2011-06-01T09:00:00+01:00,c1,SHIP1,Postage,1,5.00,UK,,,",
    "o2,2011-06-01 08:30:00,,mug,Mug,1,3.50,FR,Home > Kitchen > Mugs,,",
    "o1,2011-06-01T09:00:00+01:00,c1,mug,MUG,3,4.50,UK,Home>Kitchen>Mugs,,",
    "o3,2011-06-02,c2,mug,Mug,-1,3.50,UK,,,",
    "o4,2011-06-02,c2,card,Gift card,1,10,UK,Gifts,false,true",
]
GOOD_G1 = "g1,2011-06-01,c1,mug,Mug,1,3.5,UK,Home,,"
# 2011-06-01 08:00:00 UTC and 2011-06-02 00:00:00 UTC, from `date -u`.
JUNE_1_8H = 1_306_915_200_000
JUNE_2 = 1_306_972_800_000


def lines(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def mean_price(item: list[float]) -> float:
    return item[1] / item[2]


def or2_table() -> pa.Table:
    """Return the OR2_ROWS table with the column types pandas gives it."""
    times = [datetime(2010, 12, 1, 8, m) for m in (26, 26, 28, 26)]
    return pa.table(
        {
            "Invoice": ["536365", "536365", "536366", "536365", "C536379"],
            "StockCode": ["85123A", "71053", "22633", "85123A", "D"],
            "Description": [
                "WHITE HANGING HEART T-LIGHT HOLDER",
                "WHITE METAL LANTERN",
                "HAND WARMER UNION JACK",
                "WHITE HANGING HEART T-LIGHT HOLDER",
                "Discount",
            ],
            "Quantity": pa.array([6, 6, 6, 4, -1], pa.int64()),
            "InvoiceDate": pa.array(
                [*times, datetime(2010, 12, 1, 9, 41)], pa.timestamp("ns")
            ),
            "Price": pa.array([2.55, 3.39, 1.85, 2.45, 27.5], pa.float64()),
            "Customer ID": pa.array(
                [17850.0, 17850.0, None, 17850.0, 14527.0], pa.float64()
            ),
            "Country": ["United Kingdom"] * 5,
        }
    )


# -- field parsing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-12-01 08:26:00", T0),
        ("2010-12-01T08:26:00", T0),
        ("2010-12-01T08:26:00Z", T0),
        ("2010-12-01T09:26:00+01:00", T0),
        ("2010-12-01 08:26:00.250", T0 + 250),
        ("12/1/2010 8:26", T0),
        ("12/01/2010 08:26:00", T0),
        ("01.12.2010 08:26", T0),
        (" 12/1/2010 8:26 ", T0),
        ("2010-12-01", T0 - (8 * 60 + 26) * MINUTE),
    ],
)
def test_timestamps_become_epoch_milliseconds(text: str, expected: int) -> None:
    parse = TimestampParser()

    assert parse("InvoiceDate", text) == expected
    assert parse("InvoiceDate", text) == expected  # from the cache this time


def test_times_without_offset_are_read_in_the_given_zone() -> None:
    parse = TimestampParser(timezone(timedelta(hours=1)))

    assert parse("placed_at", "12/1/2010 9:26") == T0
    assert parse("placed_at", "2010-12-01T08:26:00Z") == T0


@pytest.mark.parametrize("text", ["", "yesterday", "2010-13-01", "31/12/2010 8:26"])
def test_unparseable_date_names_the_column_and_value(text: str) -> None:
    with pytest.raises(RowError) as info:
        TimestampParser()("InvoiceDate", text)

    assert str(info.value) == f"unparseable date in InvoiceDate: {text!r}"


@pytest.mark.parametrize(
    ("text", "expected"), [("6", 6), ("-2", -2), ("6.0", 6), (" 7 ", 7), ("1e2", 100)]
)
def test_parse_int_reads_whole_numbers(text: str, expected: int) -> None:
    assert parse_int("Quantity", text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.5", "Quantity is not a whole number: '1.5'"),
        ("nan", "Quantity is not a whole number: 'nan'"),
        ("six", "unparseable number in Quantity: 'six'"),
        ("", "unparseable number in Quantity: ''"),
    ],
)
def test_parse_int_refuses_other_text(text: str, reason: str) -> None:
    with pytest.raises(RowError) as info:
        parse_int("Quantity", text)

    assert str(info.value) == reason


@pytest.mark.parametrize(("text", "expected"), [("2.55", 2.55), ("-1", -1.0)])
def test_parse_float_reads_decimals(text: str, expected: float) -> None:
    assert parse_float("UnitPrice", text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nan", "UnitPrice is not a finite number: 'nan'"),
        ("inf", "UnitPrice is not a finite number: 'inf'"),
        ("2,55", "unparseable number in UnitPrice: '2,55'"),
    ],
)
def test_parse_float_refuses_other_text(text: str, reason: str) -> None:
    with pytest.raises(RowError) as info:
        parse_float("UnitPrice", text)

    assert str(info.value) == reason


def test_check_encoding_refuses_bytes_that_were_not_utf8() -> None:
    check_encoding(["plain", "café"])
    broken = b"caf\xe9".decode("utf-8", errors="surrogateescape")

    with pytest.raises(RowError, match="invalid UTF-8"):
        check_encoding(["plain", broken])


def test_iter_csv_numbers_records_by_their_first_physical_line() -> None:
    text = 'h1,h2\n"two\nlines",x\n\n\r\nc,d\ne,"f\n\ng"\ni,j\n'

    rows = list(iter_csv(io.StringIO(text, newline="")))

    assert rows == [
        (1, ["h1", "h2"]),
        (2, ["two\nlines", "x"]),
        (6, ["c", "d"]),
        (7, ["e", "f\n\ng"]),
        (10, ["i", "j"]),
    ]


def test_iter_parquet_gives_fields_as_the_csv_export_would(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = pa.table(
        {
            "when": pa.array([datetime(2010, 12, 1, 8, 26), None], pa.timestamp("us")),
            "whole": pa.array([17850.0, None], pa.float64()),
            "fraction": pa.array([2.55, float("nan")], pa.float64()),
            "count": pa.array([-3, None], pa.int64()),
            "text": ["abc", None],
        }
    )
    pq.write_table(table, path)

    names, rows = iter_parquet(path)
    fields = list(rows)

    assert names == ["when", "whole", "fraction", "count", "text"]
    assert [number for number, _ in fields] == [1, 2]
    first, second = (f for _, f in fields)
    assert first[0].startswith("2010-12-01 08:26:00")
    assert TimestampParser()("when", first[0]) == T0
    assert first[1:] == ["17850", "2.55", "-3", "abc"]
    assert second == ["", "", "", "", ""]


# -- formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("online-retail", OnlineRetailFormat),
        ("groceries", GroceriesFormat),
        ("csv", GenericCsvFormat),
    ],
)
def test_make_format_returns_a_fresh_reader(name: str, cls: type) -> None:
    fmt = make_format(name)

    assert isinstance(fmt, cls)
    assert fmt.name == name
    assert make_format(name) is not fmt
    assert name in FORMATS


@pytest.mark.parametrize("name", ["excel", "", "Online-Retail", "groceries "])
def test_unknown_format_is_refused(name: str) -> None:
    with pytest.raises(UnknownFormatError, match=repr(name)):
        make_format(name)


@pytest.mark.parametrize("name", ["online-retail", "csv", "excel"])
def test_categories_apply_to_groceries_only(name: str, tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match="groceries"):
        make_format(name, categories=tmp_path / "categories.csv")


def test_online_retail_csv_gives_whole_orders(
    write_file: Any, read_orders: Any
) -> None:
    path = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))

    result = read_orders(OnlineRetailFormat(), path)

    # Each order comes out when its last row is read.
    assert result.ids == ["536366", "536365", "C536379"]
    assert result.rejects == []
    split = result.by_id["536365"]
    assert (split.placed_at, split.customer_id) == (T0, "17850")
    assert (split.country, split.is_return) == ("United Kingdom", False)
    assert sorted(split.items) == ["71053", "85123A"]
    heart = split.items["85123A"]
    assert (heart[0], heart[2], heart[3]) == (10, 2, 2)
    assert mean_price(heart) == pytest.approx((2.55 + 2.45) / 2)
    assert split.items["71053"] == [6, pytest.approx(3.39), 1, 1]
    guest = result.by_id["536366"]
    assert guest.customer_id is None
    assert guest.placed_at == T0 + 2 * MINUTE
    cancelled = result.by_id["C536379"]
    assert cancelled.is_return is True
    assert cancelled.placed_at == T0 + 75 * MINUTE
    assert cancelled.customer_id == "14527"
    assert cancelled.items == {"D": [-1, pytest.approx(27.5), 1, 1]}


def test_online_retail_reader_collects_products_and_customers(
    write_file: Any, read_orders: Any
) -> None:
    path = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))

    result = read_orders(OnlineRetailFormat(), path)
    reader = result.reader

    assert reader.customers == {"17850": "United Kingdom", "14527": "United Kingdom"}
    assert set(reader.products) == {"85123A", "71053", "22633", "D"}
    assert reader.products["85123A"].title() == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert reader.products["D"].is_merchandise("D") is False
    assert reader.products["71053"].is_merchandise("71053") is True
    assert (reader.rows_read, reader.rows_loaded, reader.rejected) == (5, 5, 0)


@pytest.mark.parametrize("invoice", ["C536379", "c536379"])
def test_invoice_starting_with_c_is_a_return_even_with_positive_quantity(
    invoice: str, write_file: Any, read_orders: Any
) -> None:
    row = f"{invoice},22633,HAND WARMER,2,12/1/2010 9:41,1.85,14527,France"
    path = write_file("retail.csv", lines(OR1_HEADER, [row]))

    (order,) = read_orders(OnlineRetailFormat(), path).orders

    assert order.is_return is True


def test_negative_quantities_without_c_are_no_return(
    write_file: Any, read_orders: Any
) -> None:
    row = "536999,22633,HAND WARMER,-2,12/1/2010 9:41,1.85,14527,France"
    path = write_file("retail.csv", lines(OR1_HEADER, [row]))

    (order,) = read_orders(OnlineRetailFormat(), path).orders

    assert order.is_return is False


def test_online_retail_ii_header_gives_the_same_orders(
    write_file: Any, read_orders: Any
) -> None:
    first = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))
    second = write_file("retail-ii.csv", lines(OR2_HEADER, OR2_ROWS))

    expected = read_orders(OnlineRetailFormat(), first).orders
    orders = read_orders(OnlineRetailFormat(), second).orders

    assert [o.id for o in expected] == ["536366", "536365", "C536379"]
    assert orders == expected


def test_gzipped_csv_with_bom_gives_the_same_orders(
    write_file: Any, read_orders: Any
) -> None:
    plain = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))
    packed = write_file(
        "retail.csv.gz",
        "\ufeff" + lines(OR1_HEADER, OR1_ROWS).replace("\n", "\r\n"),
        gz=True,
    )

    expected = read_orders(OnlineRetailFormat(), plain).orders
    assert len(expected) == 3
    assert read_orders(OnlineRetailFormat(), packed).orders == expected


@pytest.mark.parametrize(
    "customers",
    [
        pa.array([17850.0, 17850.0, None, 17850.0, 14527.0], pa.float64()),
        pa.array([17850, 17850, None, 17850, 14527], pa.int64()),
        pa.array(["17850.0", "17850.0", None, "17850.0", "14527"], pa.string()),
    ],
    ids=["float", "int", "text"],
)
def test_parquet_gives_the_same_orders_as_csv(
    customers: pa.Array, write_file: Any, read_orders: Any, tmp_path: Path
) -> None:
    csv_path = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))
    parquet_path = tmp_path / "retail.parquet"
    table = or2_table().set_column(6, "Customer ID", customers)
    pq.write_table(table, parquet_path)

    expected = read_orders(OnlineRetailFormat(), csv_path).orders
    orders = read_orders(OnlineRetailFormat(), parquet_path).orders

    assert len(expected) == 3
    assert orders == expected


def test_parquet_rejects_are_numbered_by_row(read_orders: Any, tmp_path: Path) -> None:
    table = or2_table()
    quantities = pa.array([6, None, 6, 4, -1], pa.int64())
    table = table.set_column(3, "Quantity", quantities)
    path = tmp_path / "retail.parquet"
    pq.write_table(table, path)

    result = read_orders(OnlineRetailFormat(), path)

    assert [(r.line, r.reason) for r in result.rejects] == [
        (2, "unparseable number in Quantity: ''")
    ]
    assert result.by_id["536365"].items["85123A"][0] == 10
    assert "71053" not in result.by_id["536365"].items


def test_parquet_zoned_timestamps_keep_their_instant(
    read_orders: Any, tmp_path: Path
) -> None:
    table = or2_table()
    summer = pa.array(
        [datetime(2011, 6, 1, 8, 0, tzinfo=UTC)] * 5,
        pa.timestamp("us", tz="Europe/London"),
    )
    path = tmp_path / "retail.parquet"
    pq.write_table(table.set_column(4, "InvoiceDate", summer), path)

    orders = read_orders(OnlineRetailFormat(), path).orders

    assert {o.placed_at for o in orders} == {JUNE_1_8H}


def test_generic_csv_gives_whole_orders(write_file: Any, read_orders: Any) -> None:
    path = write_file("orders.csv", lines(GENERIC_HEADER, GENERIC_ROWS))

    result = read_orders(GenericCsvFormat(), path)

    assert result.ids == ["o2", "o1", "o3", "o4"]
    assert result.rejects == []
    o1 = result.by_id["o1"]
    assert (o1.placed_at, o1.customer_id, o1.country) == (JUNE_1_8H, "c1", "UK")
    assert o1.is_return is False
    mug = o1.items["mug"]
    assert (mug[0], mug[2], mug[3]) == (5, 2, 2)
    assert mean_price(mug) == pytest.approx(4.0)
    assert o1.items["SHIP1"] == [1, pytest.approx(5.0), 1, 1]
    o2 = result.by_id["o2"]
    assert o2.customer_id is None
    assert o2.placed_at == JUNE_1_8H + 30 * MINUTE
    assert result.by_id["o3"].placed_at == JUNE_2
    # Every quantity negative and no flag: a return.
    assert result.by_id["o3"].is_return is True
    assert result.by_id["o4"].is_return is True


def test_generic_csv_product_facts(write_file: Any, read_orders: Any) -> None:
    path = write_file("orders.csv", lines(GENERIC_HEADER, GENERIC_ROWS))

    products = read_orders(GenericCsvFormat(), path).reader.products

    mug = products["mug"]
    assert mug.title() == "Mug"
    assert mug.aliases() == ["MUG"]
    # 3.50 twice on sales, 4.50 once; the return's 3.50 does not count.
    assert mug.price() == 3.5
    assert mug.prices == {3.5: 2, 4.5: 1}
    assert mug.category == ("Home", "Kitchen", "Mugs")
    assert mug.is_merchandise("mug") is True
    assert products["SHIP1"].is_merchandise("SHIP1") is False
    assert products["card"].is_merchandise("card") is False
    assert products["card"].category == ("Gifts",)


def test_generic_csv_with_only_the_required_columns(
    write_file: Any, read_orders: Any
) -> None:
    path = write_file("orders.csv", "Order ID,Product_ID\r\nA,x\r\nA,x\r\nB,y\r\n")

    result = read_orders(GenericCsvFormat(), path)

    assert result.ids == ["A", "B"]
    a = result.by_id["A"]
    assert a.items == {"x": [2, 0.0, 0, 2]}
    assert (a.placed_at, a.customer_id, a.country, a.is_return) == (
        None,
        None,
        None,
        False,
    )
    facts = result.reader.products["x"]
    assert (facts.title(), facts.price(), facts.category) == (None, None, None)


def test_groceries_one_basket_per_line(write_file: Any, read_orders: Any) -> None:
    text = (
        "citrus fruit,semi-finished bread,margarine,ready soups\n"
        "tropical fruit,yogurt,coffee,yogurt\n"
        "\n"
        " whole milk \n"
    )
    path = write_file("groceries.csv", text)

    result = read_orders(GroceriesFormat(), path, one_row_per_order=True)

    assert result.ids == ["1", "2", "4"]
    first = result.by_id["1"]
    assert first.items == {
        item: [1, 0.0, 0, 1]
        for item in ("citrus fruit", "semi-finished bread", "margarine", "ready soups")
    }
    assert result.by_id["2"].items["yogurt"] == [2, 0.0, 0, 2]
    assert result.by_id["4"].items == {"whole milk": [1, 0.0, 0, 1]}
    assert all(o.customer_id is None and o.placed_at is None for o in result.orders)
    assert not any(o.is_return for o in result.orders)
    facts = result.reader.products["yogurt"]
    assert (facts.title(), facts.category) == ("yogurt", None)
    assert facts.is_merchandise("yogurt") is True


@pytest.mark.parametrize("item_column", ["item", "labels"])
def test_groceries_categories_file(
    item_column: str, write_file: Any, read_orders: Any
) -> None:
    categories = write_file(
        "categories.csv",
        f"{item_column},level2,level1\n"
        "yogurt,dairy,fresh products\n"
        "coffee,coffee,drinks\n",
    )
    path = write_file("groceries.csv", "yogurt,coffee,whole milk\n")

    result = read_orders(
        make_format("groceries", categories), path, one_row_per_order=True
    )
    products = result.reader.products

    assert products["yogurt"].category == ("fresh products", "dairy")
    assert products["coffee"].category == ("drinks", "coffee")
    assert products["whole milk"].category is None


def test_groceries_categories_file_without_levels_is_a_source_error(
    write_file: Any, read_orders: Any
) -> None:
    categories = write_file("categories.csv", "labels,level2\nyogurt,dairy\n")
    path = write_file("groceries.csv", "yogurt\n")

    with pytest.raises(SourceError, match="level1"):
        read_orders(GroceriesFormat(categories), path, one_row_per_order=True)


def test_groceries_strict_scan_checks_every_basket(
    write_file: Any, read_orders: Any
) -> None:
    path = write_file("groceries.csv", "milk\n,,\nbread\n")

    with pytest.raises(StrictModeError) as info:
        read_orders(GroceriesFormat(), path, one_row_per_order=True, strict=True)

    assert info.value.rejects == [(2, "empty basket: the line lists no item")]


# -- orders spread over a file ----------------------------------------------------


def test_non_contiguous_order_comes_out_once_with_all_lines(
    write_file: Any, read_orders: Any
) -> None:
    rows = ["A,a1,1", "B,b1,1", "A,a2,2", "B,b1,3", "A,a1,4", "C,c1,1"]
    header = "order_id,sku,quantity"
    path = write_file("orders.csv", lines(header, rows))

    result = read_orders(GenericCsvFormat(), path)

    assert result.ids == ["B", "A", "C"]
    assert result.by_id["A"].items == {"a1": [5, 0.0, 0, 2], "a2": [2, 0.0, 0, 1]}
    assert result.by_id["B"].items == {"b1": [4, 0.0, 0, 2]}


def test_order_whose_last_row_is_rejected_is_still_emitted(
    write_file: Any, read_orders: Any
) -> None:
    rows = [
        GOOD_A1,
        "B1,22633,HAND WARMER,6,12/1/2010 8:28,1.85,,United Kingdom",
        "A1,71053,LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom",
        "A1,22632,HAND WARMER,2,not a date,1.85,17850,United Kingdom",
        "C1,22633,HAND WARMER,1,12/1/2010 8:30,1.85,,United Kingdom",
    ]
    path = write_file("retail.csv", lines(OR1_HEADER, rows))

    result = read_orders(OnlineRetailFormat(), path)

    # A1 comes out at its rejected last row, before C1 is read.
    assert result.ids == ["B1", "A1", "C1"]
    assert sorted(result.by_id["A1"].items) == ["71053", "85123A"]
    assert [r.line for r in result.rejects] == [5]


def test_order_with_only_rejected_rows_is_not_emitted(
    write_file: Any, read_orders: Any
) -> None:
    rows = [GOOD_A1, "B1,22633,HAND WARMER,six,12/1/2010 8:28,1.85,,United Kingdom"]
    path = write_file("retail.csv", lines(OR1_HEADER, rows))

    result = read_orders(OnlineRetailFormat(), path)

    assert result.ids == ["A1"]
    assert [r.line for r in result.rejects] == [3]


# -- bad rows ---------------------------------------------------------------------

OR_BAD_ROWS = [
    pytest.param(
        GOOD_A1 + ",extra", "wrong column count: expected 8 fields, found 9", id="wide"
    ),
    pytest.param(
        "A1,85123A,HEART,6,12/1/2010 8:26,2.55", "wrong column count", id="narrow"
    ),
    pytest.param(
        GOOD_A1.replace("12/1/2010 8:26", "1st of December"),
        "unparseable date in InvoiceDate: '1st of December'",
        id="date",
    ),
    pytest.param(
        GOOD_A1.replace("2.55", "2.5x"),
        "unparseable number in UnitPrice: '2.5x'",
        id="price",
    ),
    pytest.param(
        GOOD_A1.replace(",6,", ",six,"),
        "unparseable number in Quantity: 'six'",
        id="quantity",
    ),
    pytest.param(
        GOOD_A1.replace(",6,", ",1.5,"),
        "Quantity is not a whole number: '1.5'",
        id="fraction",
    ),
    pytest.param(GOOD_A1.replace("A1,", " ,", 1), "empty key InvoiceNo", id="invoice"),
    pytest.param(GOOD_A1.replace("85123A", ""), "empty key StockCode", id="sku"),
    pytest.param(
        GOOD_A1.replace("HEART", "C\xc9ur").encode("latin-1"),
        "invalid UTF-8 encoding",
        id="encoding",
    ),
]


@pytest.mark.parametrize(("bad", "reason"), OR_BAD_ROWS)
def test_online_retail_bad_row_is_rejected_and_good_rows_kept(
    bad: str | bytes, reason: str, write_file: Any, read_orders: Any
) -> None:
    bad_bytes = bad if isinstance(bad, bytes) else bad.encode()
    good = GOOD_A1.encode()
    second = GOOD_A1.replace("85123A", "71053").encode()
    text = b"\n".join([OR1_HEADER.encode(), good, bad_bytes, second]) + b"\n"
    path = write_file("retail.csv", text)

    result = read_orders(OnlineRetailFormat(), path)

    assert [r.line for r in result.rejects] == [3]
    assert result.rejects[0].reason.startswith(reason)
    assert result.ids == ["A1"]
    assert sorted(result.by_id["A1"].items) == ["71053", "85123A"]
    assert result.reader.rejected == 1


GENERIC_BAD_ROWS = [
    pytest.param(GOOD_G1 + ",", "wrong column count", id="wide"),
    pytest.param(
        GOOD_G1.replace("2011-06-01", "June 1st"),
        "unparseable date in placed_at: 'June 1st'",
        id="date",
    ),
    pytest.param(
        GOOD_G1.replace("3.5", "3.5 EUR"),
        "unparseable number in unit_price: '3.5 EUR'",
        id="price",
    ),
    pytest.param(
        GOOD_G1.replace(",1,", ",2.5,"),
        "quantity is not a whole number: '2.5'",
        id="fraction",
    ),
    pytest.param(GOOD_G1.replace("g1,", ",", 1), "empty key order_id", id="order"),
    pytest.param(GOOD_G1.replace(",mug,", ",,"), "empty key sku", id="sku"),
    pytest.param(
        GOOD_G1 + "maybe",
        "is_return must be true or false, not 'maybe'",
        id="flag",
    ),
    pytest.param(
        GOOD_G1.replace("Mug", "Tasse \xe0 caf\xe9").encode("cp1252"),
        "invalid UTF-8 encoding",
        id="encoding",
    ),
]


@pytest.mark.parametrize(("bad", "reason"), GENERIC_BAD_ROWS)
def test_generic_bad_row_is_rejected_and_good_rows_kept(
    bad: str | bytes, reason: str, write_file: Any, read_orders: Any
) -> None:
    bad_bytes = bad if isinstance(bad, bytes) else bad.encode()
    second = GOOD_G1.replace("mug", "cup").encode()
    rows = [GENERIC_HEADER.encode(), GOOD_G1.encode(), bad_bytes, second]
    path = write_file("orders.csv", b"\n".join(rows) + b"\n")

    result = read_orders(GenericCsvFormat(), path)

    assert [r.line for r in result.rejects] == [3]
    assert result.rejects[0].reason.startswith(reason)
    assert result.ids == ["g1"]
    assert sorted(result.by_id["g1"].items) == ["cup", "mug"]


def test_groceries_bad_baskets_are_rejected(write_file: Any, read_orders: Any) -> None:
    path = write_file("groceries.csv", b"milk\n , ,\ncaf\xe9,bread\nbread,butter\n")

    result = read_orders(GroceriesFormat(), path, one_row_per_order=True)

    assert [(r.line, r.reason.split(":")[0]) for r in result.rejects] == [
        (2, "empty basket"),
        (3, "invalid UTF-8 encoding"),
    ]
    assert result.ids == ["1", "4"]


def test_reject_lines_are_physical_lines_of_the_file(
    write_file: Any, read_orders: Any
) -> None:
    rows = [
        # A quoted description spanning lines 2 and 3, then a blank line 4.
        'A1,85123A,"HEART\nTWO LINES",6,12/1/2010 8:26,2.55,17850,United Kingdom',
        "",
        "A1,71053,LANTERN,x,12/1/2010 8:26,3.39,17850,United Kingdom",
        "A1,22633,WARMER,1,12/1/2010 8:26,1.85,17850,United Kingdom,extra",
    ]
    path = write_file("retail.csv", lines(OR1_HEADER, rows))

    result = read_orders(OnlineRetailFormat(), path)

    assert [r.line for r in result.rejects] == [5, 6]
    assert result.by_id["A1"].items == {"85123A": [6, pytest.approx(2.55), 1, 1]}


# -- the rejects file -------------------------------------------------------------


def read_rejects(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        return list(csv.reader(f))


def run_with_rejects_file(path: Path, rejects_path: Path) -> RejectsFile:
    rejects = RejectsFile(rejects_path)
    reader = OrderReader(OnlineRetailFormat(), path, rejects.write)
    try:
        list(reader.orders(reader.scan()))
    finally:
        rejects.close()
    return rejects


def test_rejects_file_lists_line_reason_and_raw_row(
    write_file: Any, tmp_path: Path
) -> None:
    wide = GOOD_A1 + ",extra"
    broken = GOOD_A1.replace("HEART", "C\xc9UR").encode("latin-1")
    text = b"\n".join([OR1_HEADER.encode(), GOOD_A1.encode(), wide.encode(), broken])
    path = write_file("retail.csv", text + b"\n")
    rejects_path = tmp_path / "rejects" / "retail.csv.rejects.csv"

    rejects = run_with_rejects_file(path, rejects_path)

    assert rejects.count == 2
    rows = read_rejects(rejects_path)
    assert rows[0] == ["line", "reason", "raw"]
    assert rows[1] == ["3", "wrong column count: expected 8 fields, found 9", wide]
    assert rows[2][:2] == ["4", "invalid UTF-8 encoding: re-save the file as UTF-8"]
    assert rows[2][2] == broken.decode("utf-8", errors="surrogateescape")
    # The bad bytes go back to the file unchanged.
    assert broken in rejects_path.read_bytes()
    assert len(rows) == 3


def test_no_rejects_file_without_rejects_and_an_old_one_is_removed(
    write_file: Any, tmp_path: Path
) -> None:
    path = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))
    rejects_path = tmp_path / "retail.rejects.csv"
    rejects_path.write_text("line,reason,raw\n9,old,row\n")

    rejects = run_with_rejects_file(path, rejects_path)

    assert rejects.count == 0
    assert not rejects_path.exists()


def test_rejects_file_replaces_an_older_one(write_file: Any, tmp_path: Path) -> None:
    path = write_file("retail.csv", lines(OR1_HEADER, [GOOD_A1, GOOD_A1 + ",x"]))
    rejects_path = tmp_path / "retail.rejects.csv"
    rejects_path.write_text("line,reason,raw\n9,old,row\n")

    run_with_rejects_file(path, rejects_path)

    assert [row[0] for row in read_rejects(rejects_path)] == ["line", "3"]


# -- strict mode ------------------------------------------------------------------


def test_strict_mode_names_the_first_bad_rows(
    write_file: Any, read_orders: Any
) -> None:
    bad = [GOOD_A1.replace("12/1/2010 8:26", f"day {n}") for n in range(12)]
    path = write_file("retail.csv", lines(OR1_HEADER, [GOOD_A1, *bad, GOOD_A1]))

    with pytest.raises(StrictModeError) as info:
        read_orders(OnlineRetailFormat(), path, strict=True)

    error = info.value
    assert isinstance(error, InputError)
    assert STRICT_REPORTED == 10
    assert error.rejects == [
        (line, f"unparseable date in InvoiceDate: 'day {line - 3}'")
        for line in range(3, 13)
    ]
    message = str(error)
    assert "12 of 14 rows" in message
    assert repr(str(path)) in message
    for line in range(3, 13):
        assert f"line {line}: unparseable date in InvoiceDate" in message
    assert "line 13:" not in message
    assert "line 14:" not in message


def test_strict_mode_passes_a_clean_file(write_file: Any, read_orders: Any) -> None:
    path = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))

    result = read_orders(OnlineRetailFormat(), path, strict=True)

    assert result.ids == ["536366", "536365", "C536379"]


def test_strict_mode_error_survives_pickling(write_file: Any) -> None:
    rows = [GOOD_A1 + ",x", GOOD_A1.replace("6", "6.5", 1)]
    path = write_file("retail.csv", lines(OR1_HEADER, rows))
    reader = OrderReader(OnlineRetailFormat(), path, lambda reject: None)
    with pytest.raises(StrictModeError) as info:
        reader.scan(strict=True)

    copy = pickle.loads(pickle.dumps(info.value))

    assert type(copy) is StrictModeError
    assert str(copy) == str(info.value)
    assert copy.rejects == info.value.rejects
    assert [line for line, _ in copy.rejects] == [2, 3]


# -- files that cannot be read ----------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        (OnlineRetailFormat(), "missing.csv"),
        (OnlineRetailFormat(), "missing.csv.gz"),
        (OnlineRetailFormat(), "missing.parquet"),
        (GenericCsvFormat(), "missing.csv"),
        (GroceriesFormat(), "missing.csv"),
    ],
    ids=["retail", "retail-gz", "retail-parquet", "generic", "groceries"],
)
def test_missing_file_is_a_source_error(fmt: Any, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    reader = OrderReader(fmt, path, lambda reject: None)

    with pytest.raises(SourceError, match="does not exist") as info:
        reader.scan()

    assert str(path) in str(info.value)


def test_missing_categories_file_is_a_source_error(
    write_file: Any, tmp_path: Path
) -> None:
    path = write_file("groceries.csv", "milk\n")
    categories = tmp_path / "no-categories.csv"

    with pytest.raises(SourceError, match=r"no-categories\.csv"):
        list(GroceriesFormat(categories).open_rows(path))


def test_a_folder_is_not_an_input_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is not a file"):
        OnlineRetailFormat().open_rows(tmp_path)


@pytest.mark.parametrize("fmt", [OnlineRetailFormat(), GenericCsvFormat()])
@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_empty_file_is_a_source_error(fmt: Any, content: str, write_file: Any) -> None:
    path = write_file("empty.csv", content)

    with pytest.raises(SourceError, match="is empty") as info:
        fmt.open_rows(path)

    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("fmt", "header", "missing"),
    [
        (
            OnlineRetailFormat(),
            "InvoiceNo,Description,Quantity,UnitPrice,CustomerID",
            "sku, date",
        ),
        (GenericCsvFormat(), "order_id,title,quantity", "sku"),
        (GenericCsvFormat(), "order,sku", "order"),
    ],
)
def test_missing_required_columns_are_named(
    fmt: Any, header: str, missing: str, write_file: Any
) -> None:
    path = write_file("input.csv", header + "\n1,2,3,4,5\n")

    with pytest.raises(SourceError) as info:
        fmt.open_rows(path)

    message = str(info.value)
    assert f"lacks the column(s) {missing} " in message
    assert str(path) in message


def test_missing_columns_in_parquet_are_named(tmp_path: Path) -> None:
    path = tmp_path / "retail.parquet"
    pq.write_table(or2_table().drop_columns(["Price"]), path)

    with pytest.raises(SourceError, match=r"lacks the column\(s\) price "):
        OnlineRetailFormat().open_rows(path)


def test_file_that_is_not_parquet_is_a_source_error(write_file: Any) -> None:
    path = write_file("retail.parquet", lines(OR1_HEADER, OR1_ROWS))

    with pytest.raises(SourceError, match="not a readable Parquet file"):
        OnlineRetailFormat().open_rows(path)


def test_truncated_gzip_is_a_source_error(write_file: Any, tmp_path: Path) -> None:
    whole = write_file("whole.csv.gz", lines(OR1_HEADER, OR1_ROWS * 50), gz=True)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole.read_bytes()[:-20])
    reader = OrderReader(OnlineRetailFormat(), path, lambda reject: None)

    with pytest.raises(SourceError, match="cannot be read past line"):
        reader.scan()


# -- product facts and order digests ----------------------------------------------


def test_most_frequent_title_wins_and_others_are_aliases() -> None:
    facts = ProductFacts()
    facts.titles.update(["Heart holder", "HEART HOLDER", "HEART HOLDER", "Heart"])

    assert facts.title() == "HEART HOLDER"
    assert facts.aliases() == ["Heart holder", "Heart"]


def test_title_ties_go_to_the_first_seen() -> None:
    facts = ProductFacts()
    facts.titles.update(["zebra mug", "apple mug", "apple mug", "zebra mug"])

    assert facts.title() == "zebra mug"
    assert facts.aliases() == ["apple mug"]


def test_product_without_titles_or_prices() -> None:
    facts = ProductFacts()

    assert (facts.title(), facts.aliases(), facts.price()) == (None, [], None)


def test_price_is_the_modal_positive_sale_price(
    write_file: Any, read_orders: Any
) -> None:
    rows = [
        "o1,x,Mug,1,2.0",
        "o2,x,Mug,1,2.5",
        "o3,x,Mug,2,2.5",
        # More frequent than 2.5, but free or returned lines do not count.
        "o4,x,Mug,1,0",
        "o5,x,Mug,1,0.0",
        "o6,x,Mug,1,-1",
        "o7,x,Mug,-1,9.0",
        "o8,x,Mug,-1,9.0",
        "o9,x,Mug,-1,9.0",
    ]
    path = write_file("orders.csv", lines("order_id,sku,title,quantity,price", rows))

    facts = read_orders(GenericCsvFormat(), path).reader.products["x"]

    assert facts.price() == 2.5


def make_order(
    heart_quantity: int = 6, skus: tuple[str, ...] = ("85123A", "71053")
) -> Order:
    order = Order("536365", T0, "17850", "United Kingdom", is_return=False)
    prices = {"85123A": 2.55, "71053": 3.39}
    for sku in skus:
        quantity = heart_quantity if sku == "85123A" else 6
        order.add(
            OrderLine(
                "536365",
                T0,
                "17850",
                sku,
                None,
                quantity,
                prices[sku],
                "United Kingdom",
                None,
                None,
                False,
            )
        )
    order.finish()
    return order


def test_content_hash_is_stable_for_equal_orders() -> None:
    first, second = make_order(), make_order()
    reversed_lines = make_order(skus=("71053", "85123A"))

    assert first.content_hash() == second.content_hash()
    assert first.content_hash() == reversed_lines.content_hash()
    assert len(first.content_hash()) == 24


def test_content_hash_changes_with_a_quantity() -> None:
    assert make_order(6).content_hash() != make_order(7).content_hash()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("placed_at", T0 + 1),
        ("customer_id", None),
        ("country", "France"),
        ("is_return", True),
        ("id", "536366"),
    ],
)
def test_content_hash_changes_with_what_the_order_writes(
    field: str, value: object
) -> None:
    changed = make_order()
    setattr(changed, field, value)

    assert changed.content_hash() != make_order().content_hash()


def test_same_file_read_twice_gives_the_same_hashes(
    write_file: Any, read_orders: Any
) -> None:
    path = write_file("retail.csv", lines(OR1_HEADER, OR1_ROWS))

    first = read_orders(OnlineRetailFormat(), path).orders
    second = read_orders(OnlineRetailFormat(), path).orders

    hashes = [o.content_hash() for o in first]
    assert hashes == [o.content_hash() for o in second]
    assert len(set(hashes)) == 3
