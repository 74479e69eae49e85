"""Read queries over the graph, shared by the command line and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neo4j import Driver

if TYPE_CHECKING:
    from basketgraph.text import TextEncoder

#: Most nodes :func:`products_like_text` asks the vector index for; the index holds
#: every dataset, so it is asked for more than it returns.
MAX_VECTOR_FETCH = 5_000


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


def similar_products(
    driver: Driver, dataset: str, sku: str, k: int = 10
) -> list[dict[str, Any]]:
    """Return the products most similar in text to one, by the active embed run.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        sku (str): The product.
        k (int): Most products returned (default: 10).

    Returns:
        list[dict[str, Any]]: ``sku``, ``title``, ``score`` (the cosine) and
        ``rank``, nearest first; empty when the product is unknown, has no
        neighbours, or no embed run is active.
    """
    records = driver.execute_query(
        """
MATCH (run:Run {dataset: $dataset, kind: 'embed', active: true})
MATCH (:Product {dataset: $dataset, sku: $sku})-[r:SIMILAR_TO]->(q:Product)
WHERE r.run_id = run.id
RETURN q.sku AS sku, q.title AS title, r.score AS score, r.rank AS rank
ORDER BY r.rank LIMIT $k
""",
        dataset=dataset,
        sku=sku,
        k=k,
    ).records

    return [dict(r) for r in records]


def products_like_text(
    driver: Driver, dataset: str, text: str, encoder: TextEncoder, k: int = 10
) -> list[dict[str, Any]]:
    """Return the products whose embedded text is nearest to ``text``.

    It needs no purchase: a product that was never bought is found as soon as an
    embed run has stored its vector. Only vectors of ``encoder``'s model count.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        text (str): Any text, such as a new product's title.
        encoder (TextEncoder): The encoder the products were embedded with.
        k (int): Most products returned (default: 10).

    Returns:
        list[dict[str, Any]]: ``sku``, ``title`` and ``score`` (the cosine),
        nearest first.
    """
    vector = encoder.encode([text])[0].tolist()
    fetch = min(max(10 * k, 100), MAX_VECTOR_FETCH)
    # The index quantises its vectors, so its scores are off by about 0.002: each
    # hit is scored again exactly, and as a cosine, as on SIMILAR_TO, rather than
    # as Neo4j's (1 + cosine) / 2.
    # TODO(scale): with many datasets in one graph, fewer than k of the fetched
    # nodes may belong to this one; a filtered vector search (Neo4j 2025) or an
    # index per dataset would make the answer exact.
    records = driver.execute_query(
        """
CALL db.index.vector.queryNodes('product_embedding', $fetch, $vector)
YIELD node
WHERE node.dataset = $dataset AND node.embedding_model = $model
WITH node, 2 * vector.similarity.cosine(node.embedding, $vector) - 1 AS score
RETURN node.sku AS sku, node.title AS title, score
ORDER BY score DESC, sku LIMIT $k
""",
        fetch=fetch,
        vector=vector,
        dataset=dataset,
        model=encoder.name,
        k=k,
    ).records

    return [dict(r) for r in records]
