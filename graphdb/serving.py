"""What the API serves: product search, related products, basket completion, rules.

Every answer is one parameterised Cypher query over what runs wrote back
(``BOUGHT_WITH``, ``ASSOCIATED``, ``SIMILAR_TO``, ``(:Rule)``) and the curations in
force (``PINNED``, ``BLOCKED``); no model runs while a request waits. Each kind reads
the active run of its run kind only, so a new run is served from the moment it is
activated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import READ_ACCESS, Driver, ManagedTransaction, Record
from neo4j.exceptions import DriverError, Neo4jError

from basketgraph.exceptions import InputError


@dataclass(frozen=True)
class Kind:
    """Where one kind of related product comes from.

    The relationship type and the condition are fixed strings put into the query
    text (Cypher cannot take a relationship type as a parameter); they never come
    from input.
    """

    #: ``kind`` of the active run whose relationships are served.
    run_kind: str
    #: Relationship type from a product to its partners.
    rel_type: str
    #: Extra condition on the relationship ``r``.
    condition: str
    #: Expression of ``r`` that scores a related product (ranked by ``r.rank``).
    score: str
    #: Expression of ``r`` that scores a partner of a basket product.
    basket_score: str
    #: What the score means, for the API's description.
    meaning: str


#: Every kind of related product the API serves.
KINDS: dict[str, Kind] = {
    "rules": Kind(
        "mine",
        "BOUGHT_WITH",
        "true",
        "r.leverage",
        "r.confidence",
        "mined co-purchase statistics: leverage for related products, confidence "
        "(the share of baskets with the basket product that also hold this one) "
        "for basket completion",
    ),
    "similar": Kind(
        "embed",
        "SIMILAR_TO",
        "true",
        "r.score",
        "r.score",
        "cosine similarity of the product texts' embeddings",
    ),
    "learned": Kind(
        "train",
        "ASSOCIATED",
        "r.kind = 'learned'",
        "r.score",
        "r.score",
        "the trained graph model's score",
    ),
    "complement": Kind(
        "hybrid",
        "ASSOCIATED",
        "r.kind = 'complement'",
        "r.score",
        "r.score",
        "the hybrid's score for products bought together that are not alike",
    ),
    "substitute": Kind(
        "hybrid",
        "ASSOCIATED",
        "r.kind = 'substitute'",
        "r.score",
        "r.score",
        "the hybrid's score for alike products bought instead of each other",
    ),
}

#: Measures the rule list can be sorted by.
RULE_SORTS = ("lift", "confidence", "support", "leverage", "count", "conviction")

#: Most results one request may ask for.
MAX_K = 100

#: Most index hits fetched to answer one search: the indexes hold every dataset.
MAX_FETCH = 2_000


@dataclass(frozen=True)
class ProductFilter:
    """Which candidate products may be answered.

    Pins obey the filter too: a tool asking for one category sees only the pinned
    products of that category.
    """

    #: Category id or name; a product in it or in any category below it passes.
    category: str | None = None
    #: Least price, inclusive.
    min_price: float | None = None
    #: Highest price, inclusive.
    max_price: float | None = None
    #: Leave out postage, fees and other non-goods lines.
    merchandise_only: bool = True
    #: Skus never answered.
    exclude: Sequence[str] = field(default_factory=tuple)

    def params(self) -> dict[str, Any]:
        """Return the query parameters of the filter."""
        return {
            "category": self.category,
            "min_price": self.min_price,
            "max_price": self.max_price,
            "merchandise_only": self.merchandise_only,
            "exclude": list(self.exclude),
        }


_FILTER = """
(NOT $merchandise_only OR coalesce(q.merchandise, true))
AND ($min_price IS NULL OR q.price >= $min_price)
AND ($max_price IS NULL OR q.price <= $max_price)
AND NOT q.sku IN $exclude
AND ($category IS NULL OR EXISTS {
  MATCH (q)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..6]->(c:Category)
  WHERE c.id = $category OR c.name = $category
})
"""

# The served runs that explain each answer; each is at most one node, so the
# optional matches keep a single row.
_RUNS = """
OPTIONAL MATCH (mine:Run {dataset: $dataset, kind: 'mine', active: true})
OPTIONAL MATCH (train:Run {dataset: $dataset, kind: 'train', active: true})
"""

# Why ``q`` is answered for ``p``: the pair's co-purchase statistics, learned score
# and text similarity, each null when no served run has it. ``attended`` is what a
# GAT run stored on the pair: the skus the model attended to most when it placed
# the partner (absent for other models). The answers are grouped by ``p`` first so
# that its embedding is read once, not once per answer: decoding the vectors was
# the largest single cost of a basket in Neo4j (Java Flight Recorder). The
# answers are then collected into one list in their order (``tier``,
# ``position``, sku), so that a request is one row.
_ROWS = """
WITH p, collect({q: q, score: score, pin: pin, tier: tier, position: position})
     AS answers, mine, train
WITH p, answers, p.embedding AS vector, p.embedding_model AS model, mine, train
UNWIND answers AS answer
WITH p, vector, model, answer, answer.q AS q, mine, train
OPTIONAL MATCH (p)-[b:BOUGHT_WITH]->(q) WHERE b.run_id = mine.id
OPTIONAL MATCH (p)-[a:ASSOCIATED]->(q) WHERE a.run_id = train.id
WITH answer.tier AS tier, answer.position AS position, q.sku AS sku, {
  sku: q.sku, title: q.title, price: q.price,
  merchandise: coalesce(q.merchandise, true), score: answer.score,
  pin: answer.pin, because: p.sku,
  explanation: {co_purchase_count: b.count, support: b.support,
    confidence: b.confidence, lift: b.lift, leverage: b.leverage,
    learned_score: a.score, learned_model: a.model, attended: a.attended,
    text_similarity: CASE WHEN q.embedding_model = model
      THEN 2 * vector.similarity.cosine(vector, q.embedding) - 1 END}
} AS row
ORDER BY tier, position, sku
RETURN collect(row) AS rows
"""


def related_query(kind: str) -> str:
    """Return the Cypher of the related products of one kind.

    Parameters: ``dataset``, ``sku``, ``k`` and those of :class:`ProductFilter`.
    It returns one row: ``known`` (whether the dataset holds the product) and
    ``rows``, the pinned products first, newest pin first, then the kind's
    partners by rank, blocked ones left out.
    """
    spec = KINDS[kind]

    return f"""
OPTIONAL MATCH (p:Product {{dataset: $dataset, sku: $sku}})
{_RUNS}
CALL (p, mine, train) {{
  CALL (p) {{
    MATCH (p)-[pin:PINNED]->(q:Product)
    WHERE {_FILTER}
    RETURN q, null AS score, 0 AS tier, -pin.at.epochMillis AS position,
           pin {{.id, .by, .note, at: toString(pin.at)}} AS pin
    UNION ALL
    MATCH (run:Run {{dataset: $dataset, kind: '{spec.run_kind}', active: true}})
    MATCH (p)-[r:{spec.rel_type} {{run_id: run.id}}]->(q:Product)
    WHERE {spec.condition} AND {_FILTER}
      AND NOT EXISTS {{ (p)-[:PINNED|BLOCKED]->(q) }}
    RETURN q, {spec.score} AS score, 1 AS tier, r.rank AS position, null AS pin
  }}
  WITH p, q, score, pin, tier, position, mine, train
  ORDER BY tier, position, q.sku LIMIT $k
  {_ROWS}
}}
RETURN p IS NOT NULL AS known, rows
"""


def basket_query(kind: str) -> str:
    """Return the Cypher of basket completion by one kind.

    Parameters: ``dataset``, ``skus``, ``k`` and those of :class:`ProductFilter`.
    A candidate scores as its best pair with a basket product (the maximum, not the
    sum, which would put the products related to everything first); the products
    pinned to any basket product come first, and a product blocked for any basket
    product is never answered. It returns one row: ``known`` (the basket's skus
    the dataset holds) and ``rows``.
    """
    spec = KINDS[kind]

    return f"""
MATCH (b:Product {{dataset: $dataset}}) WHERE b.sku IN $skus
WITH collect(b) AS basket
{_RUNS}
CALL (basket, mine, train) {{
  CALL (basket) {{
    UNWIND basket AS p
    MATCH (p)-[pin:PINNED]->(q:Product)
    WHERE NOT q IN basket AND {_FILTER}
    RETURN q, p, null AS score, 0 AS tier, -pin.at.epochMillis AS position,
           pin {{.id, .by, .note, at: toString(pin.at)}} AS pin
    UNION ALL
    MATCH (run:Run {{dataset: $dataset, kind: '{spec.run_kind}', active: true}})
    UNWIND basket AS p
    MATCH (p)-[r:{spec.rel_type} {{run_id: run.id}}]->(q:Product)
    WHERE {spec.condition} AND NOT q IN basket AND {_FILTER}
      AND NOT EXISTS {{ MATCH (x)-[:PINNED|BLOCKED]->(q) WHERE x IN basket }}
    RETURN q, p, {spec.basket_score} AS score, 1 AS tier,
           -{spec.basket_score} AS position, null AS pin
  }}
  WITH q, p, score, pin, tier, position, mine, train
  ORDER BY tier, position, p.sku
  WITH q, head(collect({{p: p, score: score, pin: pin, tier: tier,
                        position: position}})) AS best, mine, train
  ORDER BY best.tier, best.position, q.sku LIMIT $k
  WITH best.p AS p, q, best.score AS score, best.pin AS pin, best.tier AS tier,
       best.position AS position, mine, train
  {_ROWS}
}}
RETURN [b IN basket | b.sku] AS known, rows
"""


def _read_row(driver: Driver, query: str, params: dict[str, Any]) -> Record:
    """Run one read query that returns one row, and return the row.

    It runs as an auto-commit transaction: one statement is as atomic there as
    in a managed transaction, and it saves the BEGIN and COMMIT messages. With
    the answers collected into one row, a serving request spends about half the
    driver time it did (``bench/api.py``). An error that the driver calls
    retryable (a connection lost, a database not yet available) is tried once
    more on a fresh session, where a managed transaction would retry for up to
    its retry time.
    """
    try:
        return _run_row(driver, query, params)
    except (Neo4jError, DriverError) as error:
        if not error.is_retryable():
            raise
        return _run_row(driver, query, params)


def _run_row(driver: Driver, query: str, params: dict[str, Any]) -> Record:
    with driver.session(default_access_mode=READ_ACCESS) as session:
        return session.run(query, params).single(strict=True)


def related_products(
    driver: Driver,
    dataset: str,
    sku: str,
    kind: str,
    k: int = 10,
    where: ProductFilter | None = None,
) -> list[dict[str, Any]] | None:
    """Return the related products of one product, or ``None`` if it is unknown.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        sku (str): The product.
        kind (str): One of :data:`KINDS`.
        k (int): Most products returned (default: 10).
        where (ProductFilter, optional): Which products may be answered (default:
            merchandise only).

    Returns:
        list[dict[str, Any]] | None: ``sku``, ``title``, ``price``,
        ``merchandise``, ``score`` (``None`` for a pin), ``pin`` (who pinned it,
        when) and ``explanation``, best first.
    """
    _check_kind(kind)
    params = {"dataset": dataset, "sku": sku, "k": k}
    params |= (where or ProductFilter()).params()
    record = _read_row(driver, related_query(kind), params)
    if not record["known"]:
        return None

    return [_answer(row) for row in record["rows"]]


def complete_basket(
    driver: Driver,
    dataset: str,
    skus: Sequence[str],
    kind: str,
    k: int = 10,
    where: ProductFilter | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return ranked additions to a basket and the basket's unknown skus.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        skus (Sequence[str]): The basket.
        kind (str): One of :data:`KINDS`.
        k (int): Most products returned (default: 10).
        where (ProductFilter, optional): Which products may be answered (default:
            merchandise only).

    Returns:
        tuple[list[dict[str, Any]], list[str]]: The additions as for
        :func:`related_products`, each with ``because`` (the basket product that
        gave its best score), and the skus of the basket not in the dataset.
    """
    _check_kind(kind)
    basket = list(dict.fromkeys(skus))
    params = {"dataset": dataset, "skus": basket, "k": k}
    params |= (where or ProductFilter()).params()
    record = _read_row(driver, basket_query(kind), params)
    known = set(record["known"])

    return [_answer(row) for row in record["rows"]], [
        s for s in basket if s not in known
    ]


#: The fields of an answer, in the order the API gives them.
ANSWER_FIELDS = ("sku", "title", "price", "merchandise", "score", "pin", "because")

#: The fields of an answer's explanation, in order; those no served run knows are
#: left out.
EXPLANATION_FIELDS = (
    "co_purchase_count",
    "support",
    "confidence",
    "lift",
    "leverage",
    "learned_score",
    "learned_model",
    "attended",
    "text_similarity",
)


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    """Return one answer with its fields in order (a Cypher map has none).

    The explanation leaves out what no served run knows.
    """
    answer = {name: row[name] for name in ANSWER_FIELDS}
    explanation = row["explanation"]
    answer["explanation"] = {
        name: explanation[name]
        for name in EXPLANATION_FIELDS
        if explanation[name] is not None
    }

    return answer


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InputError(
            f"Kind {kind!r} is not known: choose one of {', '.join(KINDS)}."
        )


def get_product(driver: Driver, dataset: str, sku: str) -> dict[str, Any] | None:
    """Return one product's attributes, categories and order count, or ``None``."""
    with driver.session() as session:
        return session.execute_read(_product, dataset, sku)


def _product(tx: ManagedTransaction, dataset: str, sku: str) -> dict[str, Any] | None:
    record = tx.run(
        """
MATCH (p:Product {dataset: $dataset, sku: $sku})
OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
WITH p, collect(c {.id, .name, .level}) AS categories
RETURN p.sku AS sku, p.title AS title, p.price AS price,
       coalesce(p.merchandise, true) AS merchandise,
       coalesce(p.aliases, []) AS aliases, categories,
       COUNT { (p)<-[:CONTAINS]-(:Order) } AS orders,
       p.embedding IS NOT NULL AS embedded
""",
        dataset=dataset,
        sku=sku,
    ).single()

    return dict(record) if record is not None else None


_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


def lucene_terms(text: str) -> str:
    """Return ``text`` as a Lucene query of its words, every special sign escaped.

    The last word also matches as a prefix, so that a search box finds products
    while a word is being typed.
    """
    words = [_LUCENE_SPECIAL.sub(r"\\\1", w) for w in text.split()]
    words = [w for w in words if w.upper() not in ("AND", "OR", "NOT", "TO")]
    if not words:
        return ""
    last = words[-1]

    return " ".join([*words[:-1], f"({last} OR {last}*)"])


def search_products(
    driver: Driver, dataset: str, text: str, k: int = 10
) -> list[dict[str, Any]]:
    """Return the products whose title, aliases or sku match ``text``, best first.

    A product whose sku is ``text`` comes first; the rest come from the full-text
    index ``product_text`` by its relevance score.
    """
    query = lucene_terms(text)
    with driver.session() as session:
        return session.execute_read(_search, dataset, text.strip(), query, k)


def _search(
    tx: ManagedTransaction, dataset: str, sku: str, query: str, k: int
) -> list[dict[str, Any]]:
    exact = tx.run(
        "MATCH (p:Product {dataset: $dataset, sku: $sku}) "
        "RETURN p.sku AS sku, p.title AS title, p.price AS price, "
        "coalesce(p.merchandise, true) AS merchandise, null AS score",
        dataset=dataset,
        sku=sku,
    ).data()
    if not query:
        return exact
    # TODO(scale): the index holds every dataset, so with many datasets fewer than
    # k of the fetched hits may be this one's; an index per dataset would fix it.
    hits = tx.run(
        """
CALL db.index.fulltext.queryNodes('product_text', $lucene, {limit: $fetch})
YIELD node, score
WHERE node.dataset = $dataset AND node.sku <> $sku
RETURN node.sku AS sku, node.title AS title, node.price AS price,
       coalesce(node.merchandise, true) AS merchandise, score
ORDER BY score DESC, sku LIMIT $k
""",
        lucene=query,
        fetch=min(20 * k, MAX_FETCH),
        dataset=dataset,
        sku=sku,
        k=k,
    ).data()

    return (exact + hits)[:k]


def products_like(
    driver: Driver, dataset: str, sku: str, k: int = 10
) -> list[dict[str, Any]] | None:
    """Return the products nearest to one by the vector index, or ``None``.

    It reads the product's stored embedding, so it needs no encoder and finds
    products without any ``SIMILAR_TO`` (such as ones embedded after the run).
    ``None`` means the product is unknown; an empty list that it has no embedding.
    """
    with driver.session() as session:
        return session.execute_read(_like, dataset, sku, k)


def _like(
    tx: ManagedTransaction, dataset: str, sku: str, k: int
) -> list[dict[str, Any]] | None:
    record = tx.run(
        "MATCH (p:Product {dataset: $dataset, sku: $sku}) "
        "RETURN p.embedding IS NOT NULL AS embedded",
        dataset=dataset,
        sku=sku,
    ).single()
    if record is None:
        return None
    if not record["embedded"]:
        return []

    return tx.run(
        """
MATCH (p:Product {dataset: $dataset, sku: $sku})
CALL db.index.vector.queryNodes('product_embedding', $fetch, p.embedding)
YIELD node
WHERE node.dataset = $dataset AND node <> p
  AND node.embedding_model = p.embedding_model
WITH node, 2 * vector.similarity.cosine(node.embedding, p.embedding) - 1 AS score
RETURN node.sku AS sku, node.title AS title, node.price AS price,
       coalesce(node.merchandise, true) AS merchandise, score
ORDER BY score DESC, sku LIMIT $k
""",
        dataset=dataset,
        sku=sku,
        fetch=min(max(10 * k, 100), MAX_FETCH),
        k=k,
    ).data()


@dataclass(frozen=True)
class RuleQuery:
    """Which rules of the active mining run to list, and in which order."""

    min_lift: float | None = None
    min_confidence: float | None = None
    min_support: float | None = None
    #: A sku the rule must hold, on either side.
    item: str | None = None
    #: A sku the rule's antecedent must hold.
    antecedent: str | None = None
    #: The sku of the rule's consequent.
    consequent: str | None = None
    #: One of :data:`RULE_SORTS`.
    sort: str = "lift"
    descending: bool = True
    offset: int = 0
    limit: int = 50

    def params(self, dataset: str) -> dict[str, Any]:
        """Return the query parameters."""
        if self.sort not in RULE_SORTS:
            raise InputError(
                f"Sort {self.sort!r} is not known: choose one of "
                f"{', '.join(RULE_SORTS)}."
            )
        return {
            "dataset": dataset,
            "min_lift": self.min_lift,
            "min_confidence": self.min_confidence,
            "min_support": self.min_support,
            "item": self.item,
            "antecedent": self.antecedent,
            "consequent": self.consequent,
            "sort": self.sort,
            "offset": self.offset,
            "limit": self.limit,
        }


_RULE_MATCH = """
MATCH (run:Run {dataset: $dataset, kind: 'mine', active: true})
MATCH (rule:Rule {dataset: $dataset, run_id: run.id})
WHERE ($min_lift IS NULL OR rule.lift >= $min_lift)
  AND ($min_confidence IS NULL OR rule.confidence >= $min_confidence)
  AND ($min_support IS NULL OR rule.support >= $min_support)
  AND ($item IS NULL OR EXISTS {
    MATCH (rule)-[:ANTECEDENT|CONSEQUENT]->(:Product {dataset: $dataset, sku: $item})
  })
  AND ($antecedent IS NULL OR EXISTS {
    MATCH (rule)-[:ANTECEDENT]->(:Product {dataset: $dataset, sku: $antecedent})
  })
  AND ($consequent IS NULL OR EXISTS {
    MATCH (rule)-[:CONSEQUENT]->(:Product {dataset: $dataset, sku: $consequent})
  })
"""


def list_rules(
    driver: Driver, dataset: str, query: RuleQuery
) -> tuple[list[dict[str, Any]], int, str | None]:
    """Return a page of the active mining run's rules, their total and the run id.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset.
        query (RuleQuery): Filters, order and page.

    Returns:
        tuple[list[dict[str, Any]], int, str | None]: The rules (``id``,
        ``antecedent`` and ``consequent`` as products, and the measures), how many
        match in all, and the run they come from (``None`` without a mining run).
    """
    params = query.params(dataset)
    order = "DESC" if query.descending else "ASC"
    # ``sort`` is checked against RULE_SORTS; the order keyword is one of two.
    page = f"""
{_RULE_MATCH}
WITH rule ORDER BY rule[$sort] {order}, rule.id SKIP $offset LIMIT $limit
CALL (rule) {{
  MATCH (rule)-[:ANTECEDENT]->(a:Product)
  RETURN collect(a {{.sku, .title}}) AS antecedent
}}
MATCH (rule)-[:CONSEQUENT]->(c:Product)
RETURN rule.id AS id, antecedent, c {{.sku, .title}} AS consequent,
       rule.support AS support, rule.confidence AS confidence, rule.lift AS lift,
       rule.leverage AS leverage, rule.conviction AS conviction,
       rule.count AS count, rule.run_id AS run_id
"""
    with driver.session() as session:
        return session.execute_read(_rules, page, params)


def _rules(
    tx: ManagedTransaction, page: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], int, str | None]:
    rows = tx.run(page, params).data()
    total = tx.run(f"{_RULE_MATCH} RETURN count(rule) AS n", params).single(
        strict=True
    )["n"]
    run = tx.run(
        "MATCH (run:Run {dataset: $dataset, kind: 'mine', active: true}) "
        "RETURN run.id AS id",
        dataset=params["dataset"],
    ).single()

    return rows, int(total), run["id"] if run is not None else None


class RunStateError(InputError):
    """A run cannot be made active in the state it is in."""


def choose_active_run(driver: Driver, dataset: str, run_id: str) -> dict[str, Any]:
    """Make a complete run the active one of its kind, as an operator chooses.

    It is the same switch as at the end of a run: one transaction, so readers see
    the previous active run or this one, never neither.

    Returns:
        dict[str, Any]: ``id``, ``kind`` and ``previous`` (the run that was active).

    Raises:
        LookupError: If the dataset has no run with this id.
        RunStateError: If the run is not complete (still running, failed, pruned).
    """
    with driver.session() as session:
        found = session.execute_write(_choose, dataset, run_id)
    if found is None:
        raise LookupError(f"Dataset {dataset!r} has no run with id {run_id!r}.")
    if found["status"] != "complete":
        raise RunStateError(
            f"Run {run_id!r} is {found['status']!r}: only a complete run can be "
            "served; choose another run."
        )

    return {"id": run_id, "kind": found["kind"], "previous": found["previous"]}


def _choose(tx: ManagedTransaction, dataset: str, run_id: str) -> dict[str, Any] | None:
    record = tx.run(
        "MATCH (run:Run {dataset: $dataset, id: $id}) "
        "RETURN run.status AS status, run.kind AS kind",
        dataset=dataset,
        id=run_id,
    ).single()
    if record is None or record["status"] != "complete":
        return dict(record) if record is not None else None
    switched = tx.run(
        """
MATCH (run:Run {dataset: $dataset, id: $id})
OPTIONAL MATCH (old:Run {dataset: $dataset, kind: run.kind, active: true})
WHERE old <> run
SET old.active = false
SET run.active = true
RETURN run.kind AS kind, old.id AS previous
""",
        dataset=dataset,
        id=run_id,
    ).single(strict=True)

    return {"status": "complete", **dict(switched)}


def graph_counts(driver: Driver, dataset: str) -> dict[str, int]:
    """Return how many nodes and derived relationships the dataset holds, by kind."""
    with driver.session() as session:
        return session.execute_read(_counts, dataset)


def _counts(tx: ManagedTransaction, dataset: str) -> dict[str, int]:
    record = tx.run(
        """
CALL () { MATCH (n:Product {dataset: $dataset}) RETURN count(n) AS products }
CALL () { MATCH (n:Order {dataset: $dataset}) RETURN count(n) AS orders }
CALL () { MATCH (n:Customer {dataset: $dataset}) RETURN count(n) AS customers }
CALL () { MATCH (n:Category {dataset: $dataset}) RETURN count(n) AS categories }
CALL () {
  MATCH (run:Run {dataset: $dataset, kind: 'mine', active: true})
  MATCH (n:Rule {dataset: $dataset, run_id: run.id}) RETURN count(n) AS rules
}
CALL () {
  MATCH (:Product {dataset: $dataset})-[c:PINNED|BLOCKED]->()
  RETURN count(c) AS curations
}
RETURN products, orders, customers, categories, rules, curations
""",
        dataset=dataset,
    ).single(strict=True)

    return {key: int(value) for key, value in dict(record).items()}


def neighbourhood(
    driver: Driver, dataset: str, sku: str, k: int = 8
) -> dict[str, list[dict[str, Any]]]:
    """Return a product's served partners of every kind as graph elements.

    Returns:
        dict[str, list[dict[str, Any]]]: ``nodes`` (``sku``, ``title``) and
        ``edges`` (``source``, ``target``, ``kind``, ``score``), for a graph view.
    """
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    for kind in KINDS:
        for row in related_products(driver, dataset, sku, kind, k) or []:
            nodes[row["sku"]] = {"sku": row["sku"], "title": row["title"]}
            edges.append(
                {
                    "source": sku,
                    "target": row["sku"],
                    "kind": "pinned" if row["pin"] else kind,
                    "score": row["score"],
                }
            )

    return {"nodes": list(nodes.values()), "edges": edges}
