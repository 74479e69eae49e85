"""The real UCI Online Retail data loaded whole: counts, repeats, corrupted rows."""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path

import pandas as pd
import pytest
from neo4j import Driver

from basketgraph.exceptions import StrictModeError
from basketgraph.graphdb.datasets import describe_datasets
from basketgraph.graphdb.ingest import ingest_file

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

RETAIL = Path("uci_online_retail") / "online_retail.csv.gz"
RETAIL_II = (
    Path("uci_online_retail_ii_2009_2010") / "online_retail_ii_year_2009_2010.parquet"
)


def expected_counts(frame: pd.DataFrame, invoice: str, customer: str) -> dict[str, int]:
    customers = frame[customer].astype(str).str.removesuffix(".0")
    # Keys are trimmed on ingest: Online Retail II has both '47503J' and '47503J '.
    keys = frame.assign(sku=frame["StockCode"].str.strip())
    return {
        "orders": frame[invoice].nunique(),
        "products": keys["sku"].nunique(),
        "customers": customers[~customers.isin(["", "nan", "None"])].nunique(),
        "contains": len(keys[[invoice, "sku"]].drop_duplicates()),
    }


def graph_counts(driver: Driver, dataset: str) -> dict[str, int]:
    counts = describe_datasets(driver, dataset)[0]
    return {
        "orders": counts.orders,
        "products": counts.products,
        "customers": counts.customers,
        "contains": counts.contains,
    }


@pytest.fixture(scope="module")
def retail_file(shared_data: Path) -> Path:
    path = shared_data / RETAIL
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_full_file_counts_equal_pandas_and_a_second_load_changes_nothing(
    driver: Driver, dataset: str, retail_file: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(retail_file, dtype=str, keep_default_na=False)
    expected = expected_counts(frame, "InvoiceNo", "CustomerID")
    # The figures the data set's documentation gives.
    assert expected["orders"] == 25_900
    assert expected["products"] == 4_070
    assert expected["customers"] == 4_372

    first = ingest_file(
        driver, retail_file, "online-retail", dataset, rejects_path=tmp_path / "r.csv"
    )
    assert graph_counts(driver, dataset) == expected
    assert first.rows_read == first.rows_loaded == len(frame) == 541_909

    second = ingest_file(
        driver, retail_file, "online-retail", dataset, rejects_path=tmp_path / "r.csv"
    )
    assert graph_counts(driver, dataset) == expected
    assert second.orders_unchanged == 25_900
    assert second.nodes_created == second.relationships_created == 0
    assert second.relationships_deleted == 0


def corrupt(source: Path, target: Path, count: int, seed: int = 5) -> dict[int, str]:
    """Copy ``source`` with ``count`` rows broken; return line number → reason."""
    with gzip.open(source, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rng = random.Random(seed)
    broken = sorted(rng.sample(range(1, len(rows)), count))
    kinds = ["date", "number", "key", "columns", "encoding"]
    reasons: dict[int, str] = {}
    out = io.BytesIO()
    chosen = {index: kinds[i % len(kinds)] for i, index in enumerate(broken)}
    for index, fields in enumerate(rows):
        kind = chosen.get(index)
        raw_tail = b""
        if kind == "date":
            fields = [*fields[:4], "31/31/2011 99:99", *fields[5:]]
            reasons[index + 1] = "unparseable date in InvoiceDate"
        elif kind == "number":
            fields = [*fields[:3], "12x", *fields[4:]]
            reasons[index + 1] = "unparseable number in Quantity"
        elif kind == "key":
            fields = ["", *fields[1:]]
            reasons[index + 1] = "empty key InvoiceNo"
        elif kind == "columns":
            fields = fields[:-1]
            reasons[index + 1] = "wrong column count"
        elif kind == "encoding":
            fields = [*fields[:2], "BROKEN", *fields[3:]]
            raw_tail = b"\xff"
            reasons[index + 1] = "invalid UTF-8 encoding"
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow(fields)
        data = line.getvalue().encode()
        if raw_tail:
            data = data.replace(b"BROKEN", b"BROKEN" + raw_tail)
        out.write(data)
    with gzip.open(target, "wb") as f:
        f.write(out.getvalue())

    return reasons


def test_corrupted_copy_loads_every_good_row_and_reports_every_bad_one(
    driver: Driver, dataset: str, retail_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "corrupted.csv.gz"
    reasons = corrupt(retail_file, copy, count=300)
    frame = pd.read_csv(retail_file, dtype=str, keep_default_na=False)
    good = frame.drop(index=[line - 2 for line in reasons])
    rejects = tmp_path / "rejects.csv"

    summary = ingest_file(driver, copy, "online-retail", dataset, rejects_path=rejects)

    assert summary.rows_rejected == 300
    assert summary.rows_loaded == len(good)
    with rejects.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        reported = {int(r["line"]): r["reason"] for r in csv.DictReader(f)}
    assert set(reported) == set(reasons)
    for line, reason in reasons.items():
        assert reported[line].startswith(reason), (line, reported[line])
    assert graph_counts(driver, dataset) == expected_counts(
        good, "InvoiceNo", "CustomerID"
    )

    with pytest.raises(StrictModeError) as caught:
        ingest_file(
            driver,
            copy,
            "online-retail",
            f"{dataset}-strict",
            rejects_path=rejects,
            strict=True,
        )
    assert [line for line, _ in caught.value.rejects] == sorted(reasons)[:10]
    assert "300 of 541909 rows" in str(caught.value)
    assert describe_datasets(driver, f"{dataset}-strict")[0].orders == 0


def test_online_retail_ii_parquet_counts_equal_pandas(
    driver: Driver, dataset: str, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / RETAIL_II
    if not path.is_file():
        pytest.skip(f"{path} not found")
    frame = pd.read_parquet(path)
    frame["Customer ID"] = frame["Customer ID"].map(
        lambda v: "" if pd.isna(v) else str(int(v))
    )

    summary = ingest_file(
        driver, path, "online-retail", dataset, rejects_path=tmp_path / "r.csv"
    )

    assert summary.rows_rejected == 0
    assert graph_counts(driver, dataset) == expected_counts(
        frame, "Invoice", "Customer ID"
    )
