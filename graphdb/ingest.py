"""Load purchase data into one dataset of the graph, in batched explicit transactions.

The graph model is that of DESIGN.md. Each order is written whole, in one transaction
with the other orders of its batch, so a row is never half-written. An order's lines
in the file are authoritative for that order: an order already in the graph with the
same content (compared by a digest stored as ``content_hash``) is left untouched, one
with other content has its relationships replaced, and a new one is created. Loading
the same file twice therefore changes nothing, and an overlapping file adds only what
is new.

Batches are written by a small pool of threads, each with its own session, while the
main thread reads the file: Neo4j then uses both cores, and reading overlaps writing.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from threading import BoundedSemaphore
from typing import Any

from neo4j import Driver, ManagedTransaction, SummaryCounters

from basketgraph.config import check_dataset_name
from basketgraph.exceptions import ServiceError
from basketgraph.graphdb.batches import write_rows
from basketgraph.graphdb.migrations import apply_migrations
from basketgraph.progress import NoProgress, Progress
from basketgraph.sources import make_format
from basketgraph.sources.orders import Order, OrderReader, RejectsFile

logger = logging.getLogger(__name__)

#: Order lines per write transaction.
BATCH_LINES = 20_000
# TODO(ingest): 100,000 order lines/s is the target; 43,000-56,000 is reached on
# 2 cores (bench/ingest.py). Committing each 10,000 CONTAINS with their three
# properties costs the server about 0.1 s of CPU besides running the query, so the
# remaining gain lies server-side (fewer properties per line, or neo4j-admin import
# for a first load into an empty database).
#: Threads writing batches.
WRITERS = 2


@dataclass
class IngestSummary:
    """What one ingest did; printed as the command's closing line or as JSON."""

    dataset: str
    path: str
    format: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    products: int = 0
    customers: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of the whole load."""
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain data, with the rate."""
        return {**asdict(self), "rows_per_second": round(self.rows_per_second, 1)}

    def add_counters(self, counters: SummaryCounters) -> None:
        """Add a query's counters to the totals."""
        self.nodes_created += counters.nodes_created
        self.relationships_created += counters.relationships_created
        self.relationships_deleted += counters.relationships_deleted


@dataclass
class _BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    counters: list[SummaryCounters] = field(default_factory=list)


def ingest_file(
    driver: Driver,
    path: Path,
    format_name: str,
    dataset: str,
    *,
    rejects_path: Path,
    strict: bool = False,
    categories: Path | None = None,
    batch_lines: int = BATCH_LINES,
    writers: int = WRITERS,
    progress: Progress | None = None,
) -> IngestSummary:
    """Load one file into ``dataset``.

    The file is read and parsed in a child process while this one writes, so that
    parsing neither waits for Neo4j nor competes with the writers for the GIL.

    Args:
        driver (Driver): An open driver.
        path (Path): The input file.
        format_name (str): One of :data:`basketgraph.sources.FORMATS`.
        dataset (str): The dataset to load into.
        rejects_path (Path): Where bad rows are written (CSV: line, reason, raw);
            the file exists afterwards only if a row was rejected.
        strict (bool): Refuse the whole file, writing nothing, if any row is bad
            (default: ``False``).
        categories (Path, optional): A category file for ``groceries``
            (default: none).
        batch_lines (int): Order lines per transaction (default:
            :data:`BATCH_LINES`).
        writers (int): Threads writing batches (default: :data:`WRITERS`).
        progress (Progress, optional): Receives rows read (default: none).

    Returns:
        IngestSummary: Counts of what was read, loaded, rejected and created.

    Raises:
        basketgraph.exceptions.InputError: If the file or format is unusable, or,
            with ``strict``, if any row is bad; nothing is written then.
    """
    started = time.perf_counter()
    check_dataset_name(dataset)
    progress = progress or NoProgress()
    make_format(format_name, categories)  # fail fast on a bad format or option
    summary = IngestSummary(dataset=dataset, path=str(path), format=format_name)
    apply_migrations(driver)
    context = multiprocessing.get_context("spawn")
    messages: Queue[tuple[str, Any]] = context.Queue(maxsize=writers * 2)
    child = context.Process(
        target=read_orders_in_child,
        args=(messages, path, format_name, categories, rejects_path, strict),
        kwargs={"batch_lines": batch_lines},
        name="ingest-reader",
        daemon=True,
    )
    child.start()
    try:
        facts = _write_orders(
            driver,
            dataset,
            lambda: _next_message(messages, child),
            summary,
            writers,
            progress,
        )
    finally:
        progress.close()
        if child.is_alive():
            child.terminate()
        child.join()
    _write_products(driver, dataset, facts["products"], facts["categories"], summary)
    _write_customers(driver, dataset, facts["customers"], summary)
    summary.rows_read = facts["rows_read"]
    summary.rows_loaded = facts["rows_loaded"]
    summary.rows_rejected = facts["rejected"]
    summary.products = len(facts["products"])
    summary.customers = len(facts["customers"])
    summary.rejects_file = str(rejects_path) if facts["rejected"] else None
    summary.seconds = time.perf_counter() - started
    logger.info(
        "Ingested %s into dataset %s: %s rows, %s rejected, %.1f s",
        path,
        dataset,
        summary.rows_read,
        summary.rows_rejected,
        summary.seconds,
    )

    return summary


# -- reading, in a child process --------------------------------------------------


def read_orders_in_child(
    messages: Queue[tuple[str, Any]],
    path: Path,
    format_name: str,
    categories: Path | None,
    rejects_path: Path,
    strict: bool,
    batch_lines: int = BATCH_LINES,
) -> None:
    """Read ``path`` and send its orders to the writing process, batch by batch.

    Messages are ``("total", rows)``, ``("rows", n)`` for progress,
    ``("batch", rows)`` with order rows ready for Cypher, then either
    ``("done", facts)`` or ``("error", exception)``.
    """
    try:
        fmt = make_format(format_name, categories)
        rejects = RejectsFile(rejects_path)
        reader = OrderReader(
            fmt, path, rejects.write, one_row_per_order=format_name == "groceries"
        )
        try:
            scan = None
            if strict or format_name != "groceries":
                scan = reader.scan(strict=strict)
            messages.put(("total", scan.rows if scan else None))
            orders = reader.orders(scan, lambda n: messages.put(("rows", n)))
            for batch in _batches(orders, batch_lines):
                messages.put(("batch", [_order_row(o) for o in batch]))
        finally:
            rejects.close()
        messages.put(("done", _reader_facts(reader)))
    except Exception as e:  # handed to the parent, which raises it
        messages.put(("error", e))


def _reader_facts(reader: OrderReader) -> dict[str, Any]:
    products = [
        {
            "sku": sku,
            "title": facts.title(),
            "aliases": facts.aliases(),
            "price": facts.price(),
            "merch": facts.is_merchandise(sku),
            "cat": " > ".join(facts.category) if facts.category else None,
        }
        for sku, facts in reader.products.items()
    ]
    categories: dict[str, dict[str, Any]] = {}
    for facts in reader.products.values():
        path = facts.category or ()
        for level in range(1, len(path) + 1):
            key = " > ".join(path[:level])
            categories[key] = {
                "id": key,
                "name": path[level - 1],
                "level": level,
                "parent": " > ".join(path[: level - 1]) or None,
            }

    return {
        "products": products,
        "categories": sorted(categories.values(), key=lambda c: c["level"]),
        "customers": reader.customers,
        "rows_read": reader.rows_read,
        "rows_loaded": reader.rows_loaded,
        "rejected": reader.rejected,
    }


# -- orders -----------------------------------------------------------------------


def _next_message(
    messages: Queue[tuple[str, Any]], child: BaseProcess
) -> tuple[str, Any]:
    """Return the reader's next message, or raise if it died without one."""
    while True:
        try:
            return messages.get(timeout=1.0)
        except queue.Empty:
            if not child.is_alive():
                raise ServiceError(
                    f"The ingest's reader process stopped (exit code "
                    f"{child.exitcode}) before it finished the file; what was "
                    "written so far is whole. Run the ingest again: orders already "
                    "loaded are skipped."
                ) from None


def _write_orders(
    driver: Driver,
    dataset: str,
    next_message: Callable[[], tuple[str, Any]],
    summary: IngestSummary,
    writers: int,
    progress: Progress,
) -> dict[str, Any]:
    """Write the batches the reader sends; return its closing facts."""
    known_skus: set[str] = set()
    known_customers: set[str] = set()
    in_flight = BoundedSemaphore(writers * 2)
    futures: list[Future[_BatchResult]] = []
    with ThreadPoolExecutor(writers, thread_name_prefix="ingest-writer") as pool:
        while True:
            kind, payload = next_message()
            if kind == "rows":
                progress.advance(payload)
            elif kind == "total":
                progress.start(payload, "rows")
            elif kind == "error":
                raise payload
            elif kind == "done":
                break
            else:
                batch: list[dict[str, Any]] = payload
                # Products and customers first, in a small transaction of their
                # own, so that concurrent order batches only ever match them.
                new_skus = {s for row in batch for s in row["skus"]} - known_skus
                new_customers = {
                    row["cust"] for row in batch if row["cust"] is not None
                } - known_customers
                if new_skus or new_customers:
                    with driver.session() as session:
                        counters = session.execute_write(
                            _merge_keys,
                            dataset,
                            sorted(new_skus),
                            sorted(new_customers),
                        )
                    summary.add_counters(counters)
                    known_skus |= new_skus
                    known_customers |= new_customers
                in_flight.acquire()
                future = pool.submit(_write_batch, driver, dataset, batch)
                future.add_done_callback(lambda _: in_flight.release())
                futures.append(future)
                _collect_finished(futures, summary)
        for future in futures:
            _add_batch(summary, future.result())

    return payload  # type: ignore[no-any-return]  # the facts of "done"


def _collect_finished(
    futures: list[Future[_BatchResult]], summary: IngestSummary
) -> None:
    while futures and futures[0].done():
        _add_batch(summary, futures.pop(0).result())


def _add_batch(summary: IngestSummary, result: _BatchResult) -> None:
    summary.orders_created += result.created
    summary.orders_updated += result.updated
    summary.orders_unchanged += result.unchanged
    for counters in result.counters:
        summary.add_counters(counters)


def _batches(orders: Iterator[Order], batch_lines: int) -> Iterator[list[Order]]:
    batch: list[Order] = []
    lines = 0
    for order in orders:
        batch.append(order)
        lines += len(order.items)
        if lines >= batch_lines:
            yield batch
            batch, lines = [], 0
    if batch:
        yield batch


def _merge_keys(
    tx: ManagedTransaction, dataset: str, skus: list[str], customers: list[str]
) -> SummaryCounters:
    counters = (
        tx.run(
            "UNWIND $skus AS sku "
            "MERGE (p:Product {dataset: $dataset, sku: sku}) "
            "ON CREATE SET p.merchandise = true, p.aliases = []",
            dataset=dataset,
            skus=skus,
        )
        .consume()
        .counters
    )
    more = (
        tx.run(
            "UNWIND $ids AS id MERGE (:Customer {dataset: $dataset, id: id})",
            dataset=dataset,
            ids=customers,
        )
        .consume()
        .counters
    )
    counters.nodes_created += more.nodes_created

    return counters


def _write_batch(
    driver: Driver, dataset: str, rows: list[dict[str, Any]]
) -> _BatchResult:
    with driver.session() as session:
        return session.execute_write(_write_batch_tx, dataset, rows)


def _write_batch_tx(
    tx: ManagedTransaction, dataset: str, rows: list[dict[str, Any]]
) -> _BatchResult:
    # Runs again from the start if Neo4j reports a transient error (a deadlock
    # between writer threads, say): it reads what exists before deciding anything.
    existing = {
        record["id"]: record["hash"]
        for record in tx.run(
            "UNWIND $ids AS id "
            "MATCH (o:Order {dataset: $dataset, id: id}) "
            "RETURN o.id AS id, o.content_hash AS hash",
            dataset=dataset,
            ids=[row["id"] for row in rows],
        )
    }
    result = _BatchResult()
    new = [row for row in rows if row["id"] not in existing]
    changed = [
        row for row in rows if row["id"] in existing and existing[row["id"]] != row["h"]
    ]
    result.unchanged = len(rows) - len(new) - len(changed)
    if new:
        summary = tx.run(_CREATE_ORDERS, dataset=dataset, orders=new).consume()
        result.counters.append(summary.counters)
        result.created = len(new)
    if changed:
        summary = tx.run(_REPLACE_ORDERS, dataset=dataset, orders=changed).consume()
        result.counters.append(summary.counters)
        result.updated = len(changed)

    return result


def _order_row(order: Order) -> dict[str, Any]:
    skus = list(order.items)
    items = [order.items[s] for s in skus]

    return {
        "id": order.id,
        "h": order.content_hash(),
        "t": order.placed_at,
        "cust": order.customer_id,
        "country": order.country,
        "ret": order.is_return,
        "skus": skus,
        "q": [int(i[0]) for i in items],
        "p": [i[1] / i[2] if i[2] else None for i in items],
        "l": [int(i[3]) for i in items],
    }


# The parts of an order below its node: customer and lines. Parameters are columnar
# per order (parallel lists) because packing lists is cheaper than packing maps.
_ORDER_BODY = """
SET ord.placed_at = CASE WHEN o.t IS NULL THEN null
                         ELSE datetime({epochMillis: o.t}) END,
    ord.country = o.country,
    ord.content_hash = o.h,
    ord.written_at = datetime()
FOREACH (_ IN CASE WHEN o.ret THEN [1] ELSE [] END | SET ord:Return)
WITH ord, o
OPTIONAL MATCH (c:Customer {dataset: $dataset, id: o.cust})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END | CREATE (c)-[:PLACED]->(ord))
WITH ord, o
UNWIND range(0, size(o.skus) - 1) AS i
MATCH (p:Product {dataset: $dataset, sku: o.skus[i]})
CREATE (ord)-[:CONTAINS {quantity: o.q[i], unit_price: o.p[i], lines: o.l[i]}]->(p)
"""

_CREATE_ORDERS = (
    "UNWIND $orders AS o CREATE (ord:Order {dataset: $dataset, id: o.id})" + _ORDER_BODY
)

_REPLACE_ORDERS = (
    """
UNWIND $orders AS o
MATCH (ord:Order {dataset: $dataset, id: o.id})
CALL (ord) { MATCH (ord)-[r:CONTAINS]->() DELETE r }
CALL (ord) { MATCH ()-[r:PLACED]->(ord) DELETE r }
REMOVE ord:Return
"""
    + _ORDER_BODY
)


# -- products, categories, customers ---------------------------------------------


def _write_products(
    driver: Driver,
    dataset: str,
    products: list[dict[str, Any]],
    categories: list[dict[str, Any]],
    summary: IngestSummary,
) -> None:
    if categories:
        with driver.session() as session:
            summary.add_counters(
                session.execute_write(_merge_categories, dataset, categories)
            )
    for counters in write_rows(driver, _SET_PRODUCTS, products, 5_000, dataset=dataset):
        summary.add_counters(counters)


def _merge_categories(
    tx: ManagedTransaction, dataset: str, categories: list[dict[str, Any]]
) -> SummaryCounters:
    counters = (
        tx.run(
            "UNWIND $rows AS row "
            "MERGE (c:Category {dataset: $dataset, id: row.id}) "
            "SET c.name = row.name, c.level = row.level",
            dataset=dataset,
            rows=categories,
        )
        .consume()
        .counters
    )
    parents = (
        tx.run(
            "UNWIND $rows AS row WITH row WHERE row.parent IS NOT NULL "
            "MATCH (c:Category {dataset: $dataset, id: row.id}) "
            "MATCH (parent:Category {dataset: $dataset, id: row.parent}) "
            "MERGE (c)-[:PARENT]->(parent)",
            dataset=dataset,
            rows=categories,
        )
        .consume()
        .counters
    )
    counters.relationships_created += parents.relationships_created

    return counters


# The old title becomes an alias when this file's most frequent title differs.
_SET_PRODUCTS = """
UNWIND $rows AS row
MATCH (p:Product {dataset: $dataset, sku: row.sku})
WITH p, row, coalesce(row.title, p.title) AS title
WITH p, row, title,
     [t IN coalesce(p.aliases, []) + [p.title] + row.aliases
        WHERE t IS NOT NULL AND t <> title] AS names
SET p.title = title,
    p.price = coalesce(row.price, p.price),
    p.merchandise = row.merch,
    p.aliases = reduce(acc = [], t IN names |
                       CASE WHEN t IN acc THEN acc ELSE acc + t END)
WITH p, row WHERE row.cat IS NOT NULL
MATCH (c:Category {dataset: $dataset, id: row.cat})
CALL (p, c) {
  MATCH (p)-[old:IN_CATEGORY]->(other) WHERE other <> c DELETE old
}
MERGE (p)-[:IN_CATEGORY]->(c)
"""

_SET_CUSTOMERS = """
UNWIND $rows AS row
MATCH (c:Customer {dataset: $dataset, id: row.id})
SET c.country = coalesce(row.country, c.country)
"""


def _write_customers(
    driver: Driver,
    dataset: str,
    customers: dict[str, str | None],
    summary: IngestSummary,
) -> None:
    rows = [{"id": c, "country": country} for c, country in customers.items()]
    for counters in write_rows(driver, _SET_CUSTOMERS, rows, 10_000, dataset=dataset):
        summary.add_counters(counters)
