"""Write a synthetic data set: the CSV file, its ground truth and a summary."""

from __future__ import annotations

import gzip
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from basketgraph.exceptions import InputError
from basketgraph.synthetic.catalogue import Catalogue
from basketgraph.synthetic.config import SyntheticConfig
from basketgraph.synthetic.simulation import (
    Lines,
    Model,
    Orders,
    build_model,
    chunk_spans,
    new_history,
    order_days,
    simulate_chunk,
    spawn_streams,
)
from basketgraph.synthetic.vocabulary import QUANTITY_TEXT

logger = logging.getLogger(__name__)

#: Columns of the generic CSV format, in file order.
CSV_COLUMNS = (
    "order_id",
    "placed_at",
    "customer_id",
    "sku",
    "title",
    "quantity",
    "unit_price",
    "country",
    "category",
)

#: Level of gzip compression: level 6 is about twice as fast as 9 and barely larger.
_GZIP_LEVEL = 6


@dataclass(frozen=True)
class GroundTruth:
    """What the generator planted, for checking that mining recovers it."""

    #: Complement pairs ``(A, B)`` as skus: ``B`` follows ``A`` at the higher rate.
    complement_pairs: list[tuple[str, str]]
    #: Substitute groups as lists of skus; a basket holds at most one of each group.
    substitute_groups: list[list[str]]
    #: Category path (``Level1 > Level2 > Leaf``) of every product in the catalogue,
    #: including products that happened to sell nothing.
    product_category: dict[str, str]
    #: Peak month (1 to 12) of every seasonal product.
    seasonal_products: dict[str, int] = field(default_factory=dict)
    #: The settings that produced the data, seed included.
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the truth as an indented JSON document.

        Returns:
            str: JSON text that :meth:`from_json` reads back.
        """
        document = {
            "seed": self.parameters.get("seed"),
            "parameters": self.parameters,
            "complement_pairs": [list(pair) for pair in self.complement_pairs],
            "substitute_groups": self.substitute_groups,
            "product_category": self.product_category,
            "seasonal_products": self.seasonal_products,
        }

        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Read a truth written by :meth:`to_json`.

        Args:
            text (str): The JSON document.

        Returns:
            GroundTruth: The truth it describes.

        Raises:
            InputError: If the text is not JSON or lacks a required key.
        """
        try:
            document = json.loads(text)
            return cls(
                complement_pairs=[(a, b) for a, b in document["complement_pairs"]],
                substitute_groups=[list(g) for g in document["substitute_groups"]],
                product_category=dict(document["product_category"]),
                seasonal_products=dict(document.get("seasonal_products", {})),
                parameters=dict(document.get("parameters", {})),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(
                f"The ground truth is not valid ({e!r}); regenerate it with "
                "basketgraph.synthetic.generate."
            ) from e


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote."""

    #: Orders written.
    orders: int
    #: Order lines written (rows of the CSV, header excluded).
    lines: int
    #: Distinct products that appear in the file.
    products: int
    #: Distinct registered customers that appear in the file.
    customers: int
    #: The CSV file written.
    output: Path
    #: The ground-truth JSON file written.
    truth: Path
    #: Wall-clock seconds the generation took.
    seconds: float


def _format_chunk(model: Model, first: int, orders: Orders, lines: Lines) -> str:
    """Format a chunk's lines as CSV rows, orders numbered from ``first``."""
    stamps = np.datetime_as_string(orders.stamp, unit="s").tolist()
    customers = model.customer_ids[orders.customer].tolist()
    heads = np.array(
        [
            f"G{first + i + 1:07d},{stamp},{customer},"
            for i, (stamp, customer) in enumerate(zip(stamps, customers, strict=True))
        ],
        dtype=object,
    )
    columns = (
        heads[lines.order].tolist(),
        model.product_head[lines.product].tolist(),
        QUANTITY_TEXT[lines.quantity].tolist(),
        model.product_price[lines.product].tolist(),
        model.country_names[orders.country[lines.order]].tolist(),
        model.product_tail[lines.product].tolist(),
    )

    return "".join(
        [a + b + c + d + e + f for a, b, c, d, e, f in zip(*columns, strict=True)]
    )


@contextmanager
def _open_for_writing(path: Path) -> Iterator[Callable[[bytes], object]]:
    """Yield a writer into ``path``, gzip when it ends in ``.gz``, renamed when done."""
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(partial, "wb") as raw:
            if path.suffix == ".gz":
                # No file name and a zero time stamp, so that the bytes depend on the
                # data alone.
                with gzip.GzipFile(
                    filename="",
                    mode="wb",
                    fileobj=raw,
                    compresslevel=_GZIP_LEVEL,
                    mtime=0,
                ) as zipped:
                    yield zipped.write
            else:
                yield raw.write
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

    os.replace(partial, path)


def _write_orders(
    config: SyntheticConfig,
    model: Model,
    write: Callable[[bytes], object],
    rngs: tuple[np.random.Generator, np.random.Generator],
    progress: Callable[[int], None] | None,
) -> tuple[int, int, int]:
    """Simulate all orders chunk by chunk and write them.

    Returns:
        tuple[int, int, int]: Lines written, distinct products sold and distinct
        registered customers who ordered.
    """
    calendar_rng, order_rng = rngs
    calendar = order_days(config, calendar_rng, config.num_orders)
    history = new_history(config)
    sold = np.zeros(config.num_products, dtype=bool)
    buyers = np.zeros(config.num_customers, dtype=bool)
    written = 0
    write((",".join(CSV_COLUMNS) + "\n").encode("utf-8"))
    for first, stop in chunk_spans(calendar[1], config.chunk_orders):
        began = time.perf_counter()
        orders, lines = simulate_chunk(
            config, model, history, order_rng, calendar, (first, stop)
        )
        write(_format_chunk(model, first, orders, lines).encode("utf-8"))
        sold[lines.product] = True
        buyers[orders.customer[orders.customer >= 0]] = True
        written += lines.order.size
        logger.debug(
            "Wrote orders %s to %s (%s lines) in %.3f s",
            first + 1,
            stop,
            lines.order.size,
            time.perf_counter() - began,
        )
        if progress is not None:
            progress(written)

    return written, int(sold.sum()), int(buyers.sum())


def _ground_truth(config: SyntheticConfig, catalogue: Catalogue) -> GroundTruth:
    """Describe what the catalogue plants, by sku."""
    skus = catalogue.skus
    seasonal = np.flatnonzero(catalogue.peak_month >= 0).tolist()

    return GroundTruth(
        complement_pairs=[(skus[a], skus[b]) for a, b in catalogue.complement_pairs],
        substitute_groups=[[skus[p] for p in g] for g in catalogue.substitute_groups],
        product_category={
            sku: catalogue.leaf_paths[int(leaf)]
            for sku, leaf in zip(skus, catalogue.leaf, strict=True)
        },
        seasonal_products={skus[p]: int(catalogue.peak_month[p]) + 1 for p in seasonal},
        parameters=config.to_parameters(),
    )


def generate(
    config: SyntheticConfig,
    output: Path,
    truth_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerationSummary:
    """Generate a synthetic data set into a generic CSV file and its ground truth.

    Memory stays bounded by :attr:`SyntheticConfig.chunk_orders`, the catalogue and
    the customers, whatever the number of orders.

    Args:
        config (SyntheticConfig): What to generate.
        output (Path): The CSV file to write; gzip-compressed when it ends in
            ``.gz``. Written under a ``.partial`` name and renamed when complete.
        truth_path (Path | None): Where to write the ground truth JSON
            (default: ``output`` with ``.truth.json`` appended).
        progress (Callable[[int], None] | None): Called after each chunk with the
            number of lines written so far (default: ``None``).

    Returns:
        GenerationSummary: Counts, paths and the time taken.
    """
    began = time.perf_counter()
    output = Path(output)
    truth = Path(truth_path or output.with_name(output.name + ".truth.json"))
    catalogue_rng, customer_rng, calendar_rng, order_rng, _ = spawn_streams(config.seed)
    model = build_model(config, catalogue_rng, customer_rng)
    logger.info(
        "Generating %s orders over %s products into %s (seed %s)",
        config.num_orders,
        config.num_products,
        output,
        config.seed,
    )
    with _open_for_writing(output) as write:
        lines, products, customers = _write_orders(
            config, model, write, (calendar_rng, order_rng), progress
        )

    truth.write_text(_ground_truth(config, model.catalogue).to_json(), "utf-8")
    summary = GenerationSummary(
        orders=config.num_orders,
        lines=lines,
        products=products,
        customers=customers,
        output=output,
        truth=truth,
        seconds=time.perf_counter() - began,
    )
    logger.info("Wrote %s lines to %s in %.1f s", lines, output, summary.seconds)

    return summary
