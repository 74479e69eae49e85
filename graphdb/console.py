"""The analysts' Cypher console: any read query, in a read-only transaction.

Safety does not rest on reading the query's text. Each query runs in a transaction
opened in READ access mode, so Neo4j itself refuses anything that writes data or
changes the schema, however it is spelled (case, comments, a write inside a
subquery, a write procedure). Two things a read transaction allows are refused
before the query runs, by the operators of the plan that Neo4j compiles for it:
``LOAD CSV``, which reads files and URLs from the server's side, and administrative
commands and procedures (``SHOW SETTINGS``, ``TERMINATE TRANSACTIONS``,
``dbms.listConfig``). Every query has a time limit and a cap on the rows returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ClientError, Neo4jError
from neo4j.graph import Node, Path, Relationship

from basketgraph.exceptions import InputError

logger = logging.getLogger(__name__)

#: Plan operators of statements that read but must not run from the console:
#: server-side file and URL access, and administration of the server.
REFUSED_OPERATORS = {
    "LoadCSV": "LOAD CSV reads files and URLs on the database server",
    "TerminateTransactions": "terminating transactions is administration",
    "ShowTransactions": "listing other users' transactions is administration",
    "ShowSettings": "the server's settings are administration",
    "ShowServers": "the cluster's servers are administration",
    "ShowDatabases": "databases are administration",
    "AdministrationCommand": "administration commands are not allowed",
}

#: Neo4j's code for a write attempted in a read transaction.
ACCESS_MODE_CODE = "Neo.ClientError.Statement.AccessMode"


class QueryRefusedError(InputError):
    """The console will not run a query; ``by`` says who refused it.

    ``by`` is ``"read-only transaction"`` when Neo4j refused a write inside the
    read transaction, ``"plan"`` when the compiled plan holds a refused operator.
    """

    def __init__(self, message: str, by: str) -> None:
        """Create the error."""
        super().__init__(message)
        self.by = by


@dataclass
class ConsoleResult:
    """What a console query returned."""

    columns: list[str]
    #: Each row's values, made JSON-able (nodes and relationships as maps).
    rows: list[list[Any]]
    #: Whether more rows existed than the cap.
    truncated: bool
    #: Nodes and relationships met in the rows, for a graph view.
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_read_query(
    driver: Driver,
    query: str,
    parameters: dict[str, Any] | None = None,
    *,
    timeout: float = 10.0,
    row_cap: int = 1_000,
) -> ConsoleResult:
    """Run an analyst's query in a read-only transaction.

    Args:
        driver (Driver): An open driver.
        query (str): Any Cypher.
        parameters (dict[str, Any], optional): Its parameters (default: none).
        timeout (float): Seconds before Neo4j stops the transaction (default: 10).
        row_cap (int): Most rows returned (default: 1,000).

    Returns:
        ConsoleResult: Columns, rows and the graph elements among them.

    Raises:
        QueryRefusedError: If the query writes, changes the schema, loads files
            or administers the server.
        InputError: If Neo4j cannot compile it or it passes the time limit.
    """
    if not query.strip():
        raise InputError("The query is empty: write a Cypher query to run.")
    work = neo4j.unit_of_work(timeout=timeout)(_run)
    try:
        with driver.session(default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work, query, parameters or {}, row_cap)
    except ClientError as e:
        if e.code == ACCESS_MODE_CODE:
            raise QueryRefusedError(
                "Refused: the console runs every query in a read-only transaction, "
                "and Neo4j refused this one because it writes data or changes the "
                f"schema ({e.message}). Run only queries that read.",
                by="read-only transaction",
            ) from e
        if e.code is not None and "TransactionTimedOut" in e.code:
            raise InputError(
                f"The query ran longer than the console's limit of {timeout:g} s "
                "and was stopped: narrow it, or add a LIMIT."
            ) from e
        raise InputError(f"Neo4j could not run the query: {e.message}") from e
    except Neo4jError as e:
        if e.code is not None and "Transaction" in e.code and "Timed" in e.code:
            raise InputError(
                f"The query ran longer than the console's limit of {timeout:g} s "
                "and was stopped: narrow it, or add a LIMIT."
            ) from e
        raise


def _run(
    tx: ManagedTransaction, query: str, parameters: dict[str, Any], row_cap: int
) -> ConsoleResult:
    _check_plan(tx, query, parameters)
    result = tx.run(query, parameters)
    columns = list(result.keys())
    out = ConsoleResult(columns=columns, rows=[], truncated=False)
    for record in result:
        if len(out.rows) == row_cap:
            out.truncated = True
            break
        out.rows.append([_plain(value, out) for value in record.values()])
    result.consume()

    return out


def _check_plan(tx: ManagedTransaction, query: str, parameters: dict[str, Any]) -> None:
    summary = tx.run(f"EXPLAIN {query}", parameters).consume()
    plan = summary.plan if isinstance(summary.plan, dict) else {}
    operators = _operators(plan)
    for operator in operators:
        name = operator.split("@", 1)[0]
        if name in REFUSED_OPERATORS:
            raise QueryRefusedError(
                f"Refused: {REFUSED_OPERATORS[name]}, which the console does not "
                f"allow (plan operator {name!r}). Run only queries that read the "
                "graph.",
                by="plan",
            )
    # A read-only procedure call that Neo4j files under schema/DBMS ('s') is an
    # administrative one, such as dbms.listConfig or db.clearQueryCaches; schema
    # changes are also 's' but are left to the read transaction, which refuses
    # them itself.
    if summary.query_type == "s" and any(
        op.startswith("ProcedureCall") for op in operators
    ):
        raise QueryRefusedError(
            "Refused: administrative procedures (dbms.*, cache and server "
            "management) are not allowed in the console. Run only queries that "
            "read the graph.",
            by="plan",
        )


def _operators(plan: dict[str, Any]) -> list[str]:
    found = [str(plan.get("operatorType", ""))]
    for child in plan.get("children", []):
        found += _operators(child)

    return found


def _plain(value: Any, out: ConsoleResult) -> Any:
    """Return a JSON-able value, recording nodes and relationships for the graph."""
    if isinstance(value, Node):
        return _node(value, out)
    if isinstance(value, Relationship):
        return _edge(value, out)
    if isinstance(value, Path):
        for node in value.nodes:
            _node(node, out)
        return [_edge(r, out) for r in value.relationships]
    if isinstance(value, list):
        return [_plain(v, out) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, out) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, str | int | float | bool) or value is None:
        return value

    return str(value)


def _properties(entity: Node | Relationship) -> dict[str, Any]:
    # Embeddings are hundreds of floats: unreadable in a table.
    return {
        k: (f"[{len(v)} numbers]" if k == "embedding" and isinstance(v, list) else v)
        for k, v in entity.items()
    }


def _node(node: Node, out: ConsoleResult) -> dict[str, Any]:
    props = {k: _plain(v, out) for k, v in _properties(node).items()}
    label = ":".join(sorted(node.labels))
    caption = props.get("title") or props.get("name") or props.get("id") or label
    out.nodes[node.element_id] = {
        "id": node.element_id,
        "labels": sorted(node.labels),
        "caption": str(caption)[:40],
    }

    return {"labels": sorted(node.labels), "properties": props}


def _edge(rel: Relationship, out: ConsoleResult) -> dict[str, Any]:
    for node in rel.nodes:
        if node is not None and node.element_id not in out.nodes:
            _node(node, out)
    start = rel.start_node.element_id if rel.start_node is not None else ""
    end = rel.end_node.element_id if rel.end_node is not None else ""
    props = {k: _plain(v, out) for k, v in _properties(rel).items()}
    out.edges[rel.element_id] = {
        "id": rel.element_id,
        "source": start,
        "target": end,
        "type": rel.type,
    }

    return {"type": rel.type, "properties": props}
