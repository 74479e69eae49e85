"""Ingest speed: the real batched ingest against one transaction per row, same run.

Loads the full UCI Online Retail file with ``ingest_file`` into a scratch dataset,
then the file's first 5,000 lines one transaction per row (MERGE of order, product,
customer and CONTAINS, as a straightforward loader would), and prints order lines per
second for both and their ratio. Needs the file in ../shared/data and a running Neo4j
(it starts the configured local one with ``basketgraph neo4j start``).

Usage: .venv/bin/python bench/ingest.py [PATH]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

from neo4j import Driver, ManagedTransaction

from basketgraph.config import Settings
from basketgraph.graphdb.connection import connect
from basketgraph.graphdb.datasets import drop_dataset
from basketgraph.graphdb.ingest import ingest_file
from basketgraph.sources.base import OrderLine
from basketgraph.sources.online_retail import OnlineRetailFormat

DEFAULT = (
    Path(__file__).resolve().parents[2]
    / "shared/data/uci_online_retail/online_retail.csv.gz"
)
NAIVE_LINES = 5_000
TARGET = 100_000


def naive_row(tx: ManagedTransaction, dataset: str, line: OrderLine) -> None:
    """Write one order line in its own transaction."""
    tx.run(
        """
MERGE (o:Order {dataset: $ds, id: $order})
  ON CREATE SET o.placed_at = datetime({epochMillis: $t}), o.country = $country
MERGE (p:Product {dataset: $ds, sku: $sku}) ON CREATE SET p.title = $title
MERGE (o)-[r:CONTAINS]->(p)
  ON CREATE SET r.quantity = $q, r.unit_price = $price, r.lines = 1
  ON MATCH SET r.quantity = r.quantity + $q, r.lines = r.lines + 1
WITH o WHERE $customer IS NOT NULL
MERGE (c:Customer {dataset: $ds, id: $customer})
MERGE (c)-[:PLACED]->(o)
""",
        ds=dataset,
        order=line.order_id,
        t=line.placed_at,
        country=line.country,
        sku=line.sku,
        title=line.title,
        q=line.quantity,
        price=line.unit_price,
        customer=line.customer_id,
    ).consume()


def run_naive(driver: Driver, path: Path, dataset: str) -> float:
    """Load the first lines one transaction per row; return lines per second."""
    fmt = OnlineRetailFormat()
    rows = list(islice(fmt.open_rows(path), NAIVE_LINES))
    started = time.perf_counter()
    with driver.session() as session:
        for number, fields in rows:
            (line,) = fmt.parse(number, fields)
            session.execute_write(naive_row, dataset, line)

    return len(rows) / (time.perf_counter() - started)


def main() -> None:
    """Run both loads and print their rates."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.is_file():
        sys.exit(f"{path} not found: pass the UCI Online Retail file as an argument.")
    subprocess.run(
        [sys.executable, "-m", "basketgraph", "neo4j", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    driver = connect(Settings.from_env())
    real, naive = "bench-ingest", "bench-naive"
    try:
        for name in (real, naive):
            drop_dataset(driver, name)
        with tempfile.TemporaryDirectory() as scratch:
            summary = ingest_file(
                driver,
                path,
                "online-retail",
                real,
                rejects_path=Path(scratch) / "rejects.csv",
            )
        naive_rate = run_naive(driver, path, naive)
    finally:
        for name in (real, naive):
            drop_dataset(driver, name)
        driver.close()
    rate = summary.rows_per_second
    print(f"file: {path} ({summary.rows_read:,} order lines)")
    print(
        f"batched ingest:      {rate:>10,.0f} lines/s "
        f"({summary.seconds:.1f} s for the whole file)"
    )
    print(f"one tx per row:      {naive_rate:>10,.0f} lines/s (first {NAIVE_LINES:,})")
    print(f"ratio:               {rate / naive_rate:>10.1f}x")
    print(
        f"target:              {TARGET:>10,} lines/s -> "
        f"{'met' if rate >= TARGET else f'not met ({rate / TARGET:.0%} of it)'}"
    )


if __name__ == "__main__":
    main()
