"""Ingest into the real server: the graph model, idempotency, bad rows, strict mode."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from neo4j import Driver

from basketgraph.exceptions import SourceError, StrictModeError
from basketgraph.graphdb.datasets import describe_datasets
from basketgraph.graphdb.ingest import IngestSummary, ingest_file
from basketgraph.synthetic import SyntheticConfig, generate
from tests.conftest import run_cli

pytestmark = pytest.mark.neo4j

HEADER = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
)


def load(
    driver: Driver, path: Path, dataset: str, fmt: str = "csv", **kw: object
) -> IngestSummary:
    return ingest_file(
        driver, path, fmt, dataset, rejects_path=path.with_suffix(".rejects.csv"), **kw
    )


def graph_totals(driver: Driver, dataset: str) -> dict[str, int]:
    record = driver.execute_query(
        "MATCH (o:Order {dataset: $ds})-[r:CONTAINS]->(p:Product) "
        "RETURN count(DISTINCT o) AS orders, count(DISTINCT p) AS products, "
        "count(r) AS contains, sum(r.quantity) AS quantity, sum(r.lines) AS lines",
        ds=dataset,
    ).records[0]
    customers = driver.execute_query(
        "MATCH (c:Customer {dataset: $ds}) RETURN count(c) AS n", ds=dataset
    ).records[0]["n"]

    return {**dict(record), "customers": customers}


def file_totals(
    frame: pd.DataFrame, order: str, sku: str, customer: str, qty: str
) -> dict[str, int]:
    return {
        "orders": frame[order].nunique(),
        "products": frame[sku].nunique(),
        "contains": len(frame[[order, sku]].drop_duplicates()),
        "quantity": int(frame[qty].sum()),
        "lines": len(frame),
        "customers": frame[customer].dropna().nunique(),
    }


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "orders.csv.gz"
    generate(SyntheticConfig(num_orders=2_000, num_products=300, seed=11), path)

    return path


def test_synthetic_ingest_matches_the_file_and_repeats_change_nothing(
    driver: Driver, dataset: str, synthetic_file: Path
) -> None:
    frame = pd.read_csv(synthetic_file, dtype={"customer_id": str})
    expected = file_totals(frame, "order_id", "sku", "customer_id", "quantity")

    first = load(driver, synthetic_file, dataset)

    assert graph_totals(driver, dataset) == expected
    assert first.rows_read == first.rows_loaded == len(frame)
    assert first.rows_rejected == 0 and first.rejects_file is None
    assert first.orders_created == expected["orders"]

    second = load(driver, synthetic_file, dataset)

    assert graph_totals(driver, dataset) == expected
    assert second.orders_unchanged == expected["orders"]
    assert second.orders_created == second.orders_updated == 0
    assert second.nodes_created == second.relationships_created == 0
    assert second.relationships_deleted == 0


def test_overlapping_file_adds_only_what_is_new(
    driver: Driver, dataset: str, synthetic_file: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(synthetic_file, dtype=str, keep_default_na=False)
    orders = frame["order_id"].drop_duplicates().tolist()
    early = frame[frame["order_id"].isin(orders[:1_200])]
    late = frame[frame["order_id"].isin(orders[800:])]
    early.to_csv(tmp_path / "early.csv", index=False)
    late.to_csv(tmp_path / "late.csv", index=False)

    load(driver, tmp_path / "early.csv", dataset)
    summary = load(driver, tmp_path / "late.csv", dataset)

    assert summary.orders_unchanged == 400
    assert summary.orders_created == len(orders) - 1_200
    assert graph_totals(driver, dataset)["orders"] == len(orders)
    assert graph_totals(driver, dataset)["contains"] == len(
        frame[["order_id", "sku"]].drop_duplicates()
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_online_retail_rows_become_the_graph_model(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "retail.csv",
        f"""{HEADER}
536365,85123A,WHITE HEART HOLDER,6,2010-12-01 08:26:00,2.55,17850,UK
536365,85123A,WHITE HEART HOLDER,2,2010-12-01 08:26:00,2.65,17850,UK
536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.0,17850,UK
536366,85123A,CREAM HEART HOLDER,1,2010-12-01 09:00:00,2.55,,France
537000,85123A,WHITE HEART HOLDER,3,2010-12-02 10:00:00,2.55,17850,UK
C537001,85123A,WHITE HEART HOLDER,-2,2010-12-03 10:00:00,2.55,17850,UK
""",
    )
    load(driver, path, dataset, "online-retail")

    rel = driver.execute_query(
        "MATCH (:Order {dataset: $ds, id: '536365'})-[r:CONTAINS]->"
        "(:Product {sku: '85123A'}) RETURN r.quantity AS q, r.lines AS l, "
        "r.unit_price AS p",
        ds=dataset,
    ).records
    assert [(r["q"], r["l"], r["p"]) for r in rel] == [(8, 2, pytest.approx(2.60))]

    product = driver.execute_query(
        "MATCH (p:Product {dataset: $ds}) RETURN p.sku AS sku, p.title AS title, "
        "p.aliases AS aliases, p.merchandise AS merchandise, p.price AS price "
        "ORDER BY sku",
        ds=dataset,
    ).records
    assert [dict(r) for r in product] == [
        {
            "sku": "85123A",
            "title": "WHITE HEART HOLDER",
            "aliases": ["CREAM HEART HOLDER"],
            "merchandise": True,
            "price": 2.55,
        },
        {
            "sku": "POST",
            "title": "POSTAGE",
            "aliases": [],
            "merchandise": False,
            "price": 18.0,
        },
    ]

    orders = driver.execute_query(
        "MATCH (o:Order {dataset: $ds}) OPTIONAL MATCH (c:Customer)-[:PLACED]->(o) "
        "RETURN o.id AS id, o:Return AS ret, c.id AS customer, o.country AS country, "
        "o.placed_at AS placed_at ORDER BY id",
        ds=dataset,
    ).records
    by_id = {r["id"]: r for r in orders}
    assert by_id["C537001"]["ret"] is True
    assert by_id["536365"]["ret"] is False
    assert by_id["536366"]["customer"] is None  # a guest order
    assert by_id["536365"]["customer"] == "17850"
    assert by_id["536366"]["country"] == "France"
    placed = by_id["536365"]["placed_at"].to_native()
    assert placed == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    customer = driver.execute_query(
        "MATCH (c:Customer {dataset: $ds}) RETURN c.id AS id, c.country AS country",
        ds=dataset,
    ).records
    assert [dict(r) for r in customer] == [{"id": "17850", "country": "UK"}]


def test_a_changed_order_replaces_its_lines(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    before = write(
        tmp_path / "v1.csv",
        "order_id,sku,quantity,customer_id\nA,p1,1,c1\nA,p2,1,c1\nB,p1,5,c2\n",
    )
    after = write(
        tmp_path / "v2.csv",
        "order_id,sku,quantity,customer_id\nA,p1,4,c3\nB,p1,5,c2\n",
    )
    load(driver, before, dataset)
    summary = load(driver, after, dataset)

    assert (summary.orders_updated, summary.orders_unchanged) == (1, 1)
    lines = driver.execute_query(
        "MATCH (c:Customer)-[:PLACED]->(o:Order {dataset: $ds, id: 'A'})"
        "-[r:CONTAINS]->(p) RETURN c.id AS c, p.sku AS sku, r.quantity AS q",
        ds=dataset,
    ).records
    assert [dict(r) for r in lines] == [{"c": "c3", "sku": "p1", "q": 4}]


BAD_FILE = f"""{HEADER}
1001,A1,Good one,1,2011-01-01 10:00:00,1.5,100,UK
1001,A2,Bad date,1,2011-13-45 10:00:00,1.5,100,UK
1001,A3,Bad quantity,lots,2011-01-01 10:00:00,1.5,100,UK
,A4,No invoice,1,2011-01-01 10:00:00,1.5,100,UK
1002,A1,Too few fields,1,2011-01-01 10:00:00,1.5,100
1002,A5,Good two,2,2011-01-01 11:00:00,2.5,100,UK
1003,,No stock code,1,2011-01-01 12:00:00,1.0,101,UK
1003,A6,"Good, with a comma",1,2011-01-01 12:00:00,1.0,101,UK
"""


def test_bad_rows_are_rejected_with_line_and_reason_and_good_rows_kept(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        BAD_FILE.encode()
        + b"1003,A7,Broken \xff\xfe bytes,1,2011-01-01 12:00:00,1,101,UK\n"
    )
    summary = load(driver, path, dataset, "online-retail")

    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (9, 3, 6)
    with open(
        summary.rejects_file or "",
        newline="",
        encoding="utf-8",
        errors="surrogateescape",
    ) as f:
        rejects = list(csv.DictReader(f))
    assert [(int(r["line"]), r["reason"].split(":")[0]) for r in rejects] == [
        (3, "unparseable date in InvoiceDate"),
        (4, "unparseable number in Quantity"),
        (5, "empty key InvoiceNo"),
        (6, "wrong column count"),
        (8, "empty key StockCode"),
        (10, "invalid UTF-8 encoding"),
    ]
    assert rejects[1]["raw"].startswith("1001,A3,Bad quantity,lots")
    assert "\xff" not in rejects[5]["raw"]  # the raw bytes come back unchanged
    assert b"\xff\xfe" in Path(summary.rejects_file or "").read_bytes()
    loaded = driver.execute_query(
        "MATCH (o:Order {dataset: $ds})-[:CONTAINS]->(p) "
        "RETURN o.id AS o, p.sku AS p ORDER BY o, p",
        ds=dataset,
    ).records
    assert [(r["o"], r["p"]) for r in loaded] == [
        ("1001", "A1"),
        ("1002", "A5"),
        ("1003", "A6"),
    ]


def test_strict_mode_writes_nothing_and_names_the_bad_rows(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.csv", BAD_FILE)

    with pytest.raises(StrictModeError) as caught:
        load(driver, path, dataset, "online-retail", strict=True)

    assert [line for line, _ in caught.value.rejects] == [3, 4, 5, 6, 8]
    assert "line 3: unparseable date" in str(caught.value)
    assert describe_datasets(driver, dataset)[0].orders == 0
    assert describe_datasets(driver, dataset)[0].products == 0


def test_groceries_baskets_with_a_category_hierarchy(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    baskets = write(tmp_path / "b.csv", "milk,bread\nbread\n\nmilk,milk,butter\n")
    items = write(
        tmp_path / "items.csv",
        "item,level2,level1\n"
        "milk,dairy,fresh\nbutter,dairy,fresh\nbread,bakery,fresh\n",
    )
    summary = ingest_file(
        driver,
        baskets,
        "groceries",
        dataset,
        rejects_path=tmp_path / "rejects.csv",
        categories=items,
    )

    assert summary.rows_loaded == 3
    milk = driver.execute_query(
        "MATCH (:Order {dataset: $ds, id: '4'})-[r:CONTAINS]->(:Product {sku: 'milk'}) "
        "RETURN r.quantity AS q",
        ds=dataset,
    ).records
    assert [r["q"] for r in milk] == [2]
    tree = driver.execute_query(
        "MATCH (p:Product {dataset: $ds})-[:IN_CATEGORY]->(leaf:Category)"
        "-[:PARENT]->(top:Category) "
        "RETURN p.sku AS sku, leaf.name AS leaf, leaf.level AS l, top.name AS top, "
        "top.level AS t ORDER BY sku",
        ds=dataset,
    ).records
    assert [tuple(r.values()) for r in tree] == [
        ("bread", "bakery", 2, "fresh", 1),
        ("butter", "dairy", 2, "fresh", 1),
        ("milk", "dairy", 2, "fresh", 1),
    ]


def test_generic_csv_categories_and_explicit_flags(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "g.csv",
        "order_id,placed_at,sku,title,category,merchandise\n"
        "o1,2024-05-01T10:00:00+02:00,s1,Mug,Home > Kitchen > Mugs,true\n"
        "o1,2024-05-01T10:00:00+02:00,fee,Service fee,,false\n",
    )
    load(driver, path, dataset)

    records = driver.execute_query(
        "MATCH (p:Product {dataset: $ds}) OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c) "
        "RETURN p.sku AS sku, p.merchandise AS m, c.id AS cat ORDER BY sku",
        ds=dataset,
    ).records
    assert [tuple(r.values()) for r in records] == [
        ("fee", False, None),
        ("s1", True, "Home > Kitchen > Mugs"),
    ]
    placed = driver.execute_query(
        "MATCH (o:Order {dataset: $ds}) RETURN o.placed_at AS t", ds=dataset
    ).records[0]["t"]
    assert placed.to_native() == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_cli_ingest_prints_a_summary_and_json(
    dataset: str, driver: Driver, tmp_path: Path
) -> None:
    path = write(tmp_path / "g.csv", "order_id,sku\no1,s1\no1,s2\no2,s1\n")

    human = run_cli("ingest", str(path), "--format", "csv", "--dataset", dataset)
    assert "3 rows read, 3 loaded, 0 rejected" in human.stdout
    data = json.loads(
        run_cli(
            "ingest", str(path), "--format", "csv", "--dataset", dataset, "--json"
        ).stdout
    )
    assert data["orders_unchanged"] == 2
    assert data["relationships_created"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/no/such/file.csv", "--format", "csv"], "does not exist"),
        (["ingest", "{tmp}/g.csv", "--format", "online-retail"], "lacks the column"),
        (
            ["ingest", "{tmp}/g.csv", "--format", "csv", "--categories", "{tmp}/g.csv"],
            "applies to the 'groceries' format only",
        ),
        (
            ["ingest", "{tmp}/g.csv", "--format", "csv", "--dataset", "bad name!"],
            "is not valid",
        ),
    ],
)
def test_cli_reports_bad_input_in_one_line_without_a_traceback(
    neo4j_server: object, tmp_path: Path, args: list[str], message: str
) -> None:
    write(tmp_path / "g.csv", "order_id,sku\no1,s1\n")
    result = run_cli(*[a.format(tmp=tmp_path) for a in args], check=False)

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_rejects_an_unknown_format(tmp_path: Path) -> None:
    result = run_cli("ingest", str(tmp_path), "--format", "xlsx", check=False)

    assert result.returncode == 2
    assert "'xlsx' is not one of" in result.stderr


def test_unreadable_gzip_is_a_source_error(
    driver: Driver, dataset: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv.gz"
    rows = "".join(f"o{i},s{i * 7919 % 1013}\n" for i in range(5_000))
    whole = gzip.compress(f"order_id,sku\n{rows}".encode())
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(SourceError, match="cannot be read past line"):
        load(driver, path, dataset)


def test_a_reader_process_that_dies_fails_the_ingest_instead_of_hanging() -> None:
    import multiprocessing
    import os

    from basketgraph.exceptions import ServiceError
    from basketgraph.graphdb.ingest import _next_message

    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    child = context.Process(target=os._exit, args=(3,))
    child.start()
    child.join()

    with pytest.raises(ServiceError, match=r"exit code 3\) before it finished"):
        _next_message(messages, child)
