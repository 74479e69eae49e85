"""One embedding run: product texts encoded, stored, indexed and linked by similarity.

Every product of the dataset, whether it was ever bought or not, gets a vector of
its title and category path, stored on the node as ``embedding`` (float32) beside
``embedding_key`` (:func:`basketgraph.text.text_key` of the text and the model) and
``embedding_model``. A product whose key has not changed keeps its vector and is not
encoded again. The vectors are searchable through the ``product_embedding`` vector
index, and each merchandise product is linked to its most similar merchandise
products by ``SIMILAR_TO`` relationships, which carry the run's id and are served
only once the run is active, as with mining.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from neo4j import Driver, ManagedTransaction

from basketgraph.config import check_dataset_name
from basketgraph.exceptions import ConfigurationError
from basketgraph.graphdb.batches import write_rows
from basketgraph.graphdb.runs import activate_run, start_run, stop_run
from basketgraph.graphdb.writeback import BATCH, clear_run
from basketgraph.text import (
    EmbeddingArray,
    TextEncoder,
    nearest_neighbours,
    product_text,
    text_key,
)

logger = logging.getLogger(__name__)

#: Name of the vector index over ``(:Product).embedding``, shared by all datasets.
VECTOR_INDEX = "product_embedding"
#: Seconds to wait for the vector index to come online.
INDEX_TIMEOUT = 600
#: Records the driver fetches per round trip while reading products.
FETCH_SIZE = 2_000
#: Texts per call of the encoder; progress is reported and vectors written after
#: each call.
ENCODE_CHUNK = 1_024

# Categories are named from the broadest down: the farther from the product, the
# earlier. Vectors are read for merchandise products only, the ones compared.
_PRODUCTS = """
MATCH (p:Product {dataset: $dataset})
CALL (p) {
  MATCH path = (p)-[:IN_CATEGORY]->(:Category)-[:PARENT*0..]->(c:Category)
  WHERE c.name IS NOT NULL
  WITH c, max(length(path)) AS depth ORDER BY depth DESC, c.name
  RETURN collect(c.name) AS categories
}
WITH p, categories, coalesce(p.merchandise, false) AS merchandise
RETURN p.sku AS sku, p.title AS title, categories, merchandise,
       p.embedding_key AS key,
       CASE WHEN merchandise THEN p.embedding END AS embedding
ORDER BY sku
"""

_SET_EMBEDDINGS = """
UNWIND $rows AS row
MATCH (p:Product {dataset: $dataset, sku: row.sku})
CALL db.create.setNodeVectorProperty(p, 'embedding', row.embedding)
SET p.embedding_key = row.key, p.embedding_model = $model
"""

_SIMILAR = """
UNWIND $rows AS row
MATCH (a:Product {dataset: $dataset, sku: row.product})
MATCH (b:Product {dataset: $dataset, sku: row.partner})
CREATE (a)-[:SIMILAR_TO {score: row.score, rank: row.rank, run_id: $run_id}]->(b)
"""


@dataclass(frozen=True)
class EmbedParams:
    """What an embedding run writes; every field has a working default.

    Raises:
        ConfigurationError: If a value is out of range.
    """

    #: Neighbours kept per merchandise product as ``SIMILAR_TO``.
    top_k: int = 20
    #: Least cosine similarity of a neighbour; weaker ones are not written.
    min_score: float = 0.3
    #: Products per write transaction of vectors (each vector is a few KiB).
    batch_size: int = 256

    def __post_init__(self) -> None:
        """Refuse values that cannot work."""
        if self.top_k < 1:
            raise ConfigurationError(f"top_k is {self.top_k!r}; use a number >= 1.")
        if not -1.0 <= self.min_score <= 1.0:
            raise ConfigurationError(
                f"min_score is {self.min_score!r}; a cosine lies in [-1, 1]."
            )
        if self.batch_size < 1:
            raise ConfigurationError(
                f"batch_size is {self.batch_size!r}; use a number >= 1."
            )


@dataclass
class EmbedSummary:
    """What one embedding run did."""

    run_id: str
    dataset: str
    model: str = ""
    dimensions: int = 0
    products: int = 0
    merchandise: int = 0
    #: Products with neither title nor category, left without a vector.
    without_text: int = 0
    encoded: int = 0
    reused: int = 0
    similar_written: int = 0
    seconds_read: float = 0.0
    seconds_encoding: float = 0.0
    seconds_writing: float = 0.0
    seconds_similar: float = 0.0

    @property
    def seconds(self) -> float:
        """Seconds of the whole run."""
        return (
            self.seconds_read
            + self.seconds_encoding
            + self.seconds_writing
            + self.seconds_similar
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain data."""
        return {**asdict(self), "seconds": round(self.seconds, 2)}


@dataclass
class _Product:
    sku: str
    text: str
    key: str
    merchandise: bool
    #: The stored vector when it is still right, else ``None``.
    vector: EmbeddingArray | None
    reusable: bool


def run_embedding(
    driver: Driver,
    dataset: str,
    encoder: TextEncoder,
    params: EmbedParams | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    run_id: str | None = None,
) -> EmbedSummary:
    """Embed the products of ``dataset`` and make the result the active embed run.

    Args:
        driver (Driver): An open driver.
        dataset (str): The dataset whose products are embedded.
        encoder (TextEncoder): The text encoder.
        params (EmbedParams, optional): Neighbours and batches (default:
            ``EmbedParams()``).
        progress (Callable[[int], None], optional): Called with the number of
            products encoded so far, after each call of the encoder (default: no
            reports).
        run_id (str, optional): The run of a job (default: a new run).

    Returns:
        EmbedSummary: Counts and timings.
    """
    check_dataset_name(dataset)
    params = params or EmbedParams()
    record = {**asdict(params), "model": encoder.name, "dimensions": encoder.dimensions}
    run_id = start_run(driver, dataset, "embed", record, run_id)
    summary = EmbedSummary(
        run_id=run_id,
        dataset=dataset,
        model=encoder.name,
        dimensions=encoder.dimensions,
    )
    logger.info("Embed run %s of %s started with %s", run_id, dataset, encoder.name)
    try:
        _embed_into(driver, encoder, params, summary, progress)
    except BaseException as e:
        stop_run(driver, run_id, e)
        raise

    activate_run(driver, run_id, summary.to_dict())
    logger.info("Embed run %s of %s is active: %s", run_id, dataset, summary)

    return summary


def _embed_into(
    driver: Driver,
    encoder: TextEncoder,
    params: EmbedParams,
    summary: EmbedSummary,
    progress: Callable[[int], None] | None,
) -> None:
    started = time.perf_counter()
    products = _read_all(driver, summary.dataset, encoder.name)
    with_text = [p for p in products if p.text]
    merchandise = [p for p in with_text if p.merchandise]
    summary.products, summary.merchandise = len(products), len(merchandise)
    summary.without_text = len(products) - len(with_text)
    summary.reused = sum(p.reusable for p in with_text)
    summary.seconds_read = time.perf_counter() - started

    todo = [p for p in with_text if not p.reusable]
    vectors = _encode_and_store(driver, encoder, params, summary, todo, progress)
    started = time.perf_counter()
    ensure_vector_index(driver, encoder.dimensions)
    summary.seconds_writing += time.perf_counter() - started

    started = time.perf_counter()
    matrix = np.zeros((len(merchandise), encoder.dimensions), dtype=np.float32)
    for row, product in enumerate(merchandise):
        vector = vectors.get(product.sku, product.vector)
        assert vector is not None  # encoded now, or read back because reusable
        matrix[row] = vector

    rows = similar_rows([p.sku for p in merchandise], matrix, params)
    clear_run(driver, summary.dataset, summary.run_id)
    batches = write_rows(
        driver, _SIMILAR, rows, BATCH, dataset=summary.dataset, run_id=summary.run_id
    )
    summary.similar_written = sum(c.relationships_created for c in batches)
    summary.seconds_similar = time.perf_counter() - started


def _encode_and_store(
    driver: Driver,
    encoder: TextEncoder,
    params: EmbedParams,
    summary: EmbedSummary,
    todo: list[_Product],
    progress: Callable[[int], None] | None,
) -> dict[str, EmbeddingArray]:
    """Encode ``todo``, write each vector, and return the merchandise ones by sku."""
    vectors: dict[str, EmbeddingArray] = {}
    for start in range(0, len(todo), ENCODE_CHUNK):
        part = todo[start : start + ENCODE_CHUNK]
        started = time.perf_counter()
        encoded = encoder.encode([p.text for p in part])
        if encoded.shape != (len(part), encoder.dimensions):
            raise ValueError(
                f"Encoder {encoder.name!r} returned shape {encoded.shape!r} for "
                f"{len(part)} texts instead of ({len(part)}, {encoder.dimensions})."
            )

        summary.seconds_encoding += time.perf_counter() - started

        started = time.perf_counter()
        rows = []
        for product, vector in zip(part, encoded, strict=True):
            rows.append(
                {"sku": product.sku, "key": product.key, "embedding": vector.tolist()}
            )
            if product.merchandise:
                vectors[product.sku] = vector

        write_rows(
            driver,
            _SET_EMBEDDINGS,
            rows,
            params.batch_size,
            dataset=summary.dataset,
            model=encoder.name,
        )
        summary.encoded += len(part)
        summary.seconds_writing += time.perf_counter() - started
        if progress is not None:
            progress(summary.encoded)

    return vectors


def _read_all(driver: Driver, dataset: str, model: str) -> list[_Product]:
    """Read every product of ``dataset`` with its text and its reusable vector."""
    with driver.session(fetch_size=FETCH_SIZE) as session:
        return session.execute_read(_read_products, dataset, model)


def _read_products(tx: ManagedTransaction, dataset: str, model: str) -> list[_Product]:
    products = []
    for record in tx.run(_PRODUCTS, dataset=dataset):
        text = product_text(record["title"], record["categories"])
        key = text_key(model, text)
        stored = record["embedding"]
        merchandise = bool(record["merchandise"])
        # A merchandise product needs its vector back to be compared; without
        # it the product is encoded again even when its key is current.
        reusable = record["key"] == key and (not merchandise or stored is not None)
        products.append(
            _Product(
                sku=record["sku"],
                text=text,
                key=key,
                merchandise=merchandise,
                vector=(
                    np.asarray(stored, dtype=np.float32)
                    if reusable and stored is not None
                    else None
                ),
                reusable=reusable,
            )
        )

    return products


def similar_rows(
    skus: list[str], embeddings: EmbeddingArray, params: EmbedParams
) -> list[dict[str, Any]]:
    """Return ``SIMILAR_TO`` rows: each product's nearest neighbours by cosine.

    Args:
        skus (list[str]): The products, one per row of ``embeddings``.
        embeddings (np.ndarray): ``[len(skus), d]`` unit vectors.
        params (EmbedParams): ``top_k`` and ``min_score``.

    Returns:
        list[dict[str, Any]]: Rows with ``product``, ``partner``, ``score`` (the
        cosine) and ``rank`` (1 for the nearest), at most ``top_k`` per product,
        none below ``min_score``.
    """
    rows, cols, scores = nearest_neighbours(embeddings, params.top_k)
    if len(rows) == 0:
        return []

    k = len(rows) // len(skus)
    # Each row's neighbours come best first, so the ones kept are a prefix.
    ranks = np.tile(np.arange(1, k + 1), len(skus))
    keep = scores >= params.min_score

    return [
        {"product": skus[a], "partner": skus[b], "score": s, "rank": r}
        for a, b, s, r in zip(
            rows[keep].tolist(),
            cols[keep].tolist(),
            scores[keep].tolist(),
            ranks[keep].tolist(),
            strict=True,
        )
    ]


def ensure_vector_index(driver: Driver, dimensions: int) -> None:
    """Create the ``product_embedding`` vector index, and wait until it is online.

    The index is shared by all datasets. If it exists with another length of
    vector, it is dropped and made again, and a warning says so: products whose
    vectors have the old length are no longer found by vector search.

    Args:
        driver (Driver): An open driver.
        dimensions (int): Length of the vectors of the current encoder.
    """
    records = driver.execute_query(
        "SHOW INDEXES YIELD name, type, options WHERE name = $name "
        "RETURN type, options",
        name=VECTOR_INDEX,
    ).records
    if records:
        config = records[0]["options"].get("indexConfig", {})
        existing = config.get("vector.dimensions")
        if records[0]["type"] != "VECTOR" or existing != dimensions:
            logger.warning(
                "Replacing index %s (%s, %s dimensions) by a vector index of %s "
                "dimensions; products embedded by another encoder drop out of "
                "vector search until they are embedded again.",
                VECTOR_INDEX,
                records[0]["type"],
                existing,
                dimensions,
            )
            driver.execute_query(f"DROP INDEX {VECTOR_INDEX} IF EXISTS")

    # Index names cannot be parameters; VECTOR_INDEX is ours.
    driver.execute_query(
        f"CREATE VECTOR INDEX {VECTOR_INDEX} IF NOT EXISTS "
        "FOR (p:Product) ON (p.embedding) OPTIONS {indexConfig: {"
        "`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}}",
        dimensions=dimensions,
    )
    driver.execute_query(
        "CALL db.awaitIndex($name, $timeout)", name=VECTOR_INDEX, timeout=INDEX_TIMEOUT
    )
