"""Read queries over the graph, shared by the command line and the API."""

from __future__ import annotations

from typing import Any

from neo4j import Driver


def bestseller_partners(driver: Driver, dataset: str, run_id: str) -> dict[str, Any]:
    """Return the most ordered product and its five best partners in a run."""
    records = driver.execute_query(
        """
MATCH (p:Product {dataset: $dataset})<-[:CONTAINS]-(o:Order)
WHERE p.merchandise AND NOT o:Return
WITH p, count(o) AS orders ORDER BY orders DESC LIMIT 1
MATCH (p)-[r:BOUGHT_WITH {run_id: $run_id}]->(q)
RETURN p.title AS title, q.title AS partner, r.lift AS lift, r.count AS count
ORDER BY r.rank LIMIT 5
""",
        dataset=dataset,
        run_id=run_id,
    ).records
    if not records:
        return {}

    return {
        "title": records[0]["title"],
        "partners": [
            {"title": r["partner"], "lift": r["lift"], "count": r["count"]}
            for r in records
        ],
    }
