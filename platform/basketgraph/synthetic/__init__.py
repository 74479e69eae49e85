"""Generate realistic synthetic purchase data in the generic CSV format.

The generator builds a catalogue (a three-level category tree, products with readable
titles and log-normal prices, power-law popularity, some seasonal products), a customer
population with skewed activity and fixed countries, and then simulates orders chunk by
chunk with numpy, streaming each chunk to the output file. Into that data it plants
structure whose truth it writes beside the CSV, so that mining can be checked against
it:

* complement pairs ``(A, B)`` in different leaf categories: when ``A`` is in a basket,
  ``B`` is added with :attr:`SyntheticConfig.complement_probability`, and when ``B`` is,
  ``A`` is added with the lower :attr:`SyntheticConfig.complement_reverse_probability`;
* substitute groups of 2 to 4 products in one leaf category whose titles differ in one
  word (a colour, a scent, a size), of which a basket never holds more than one.

The output has one row per order line, in the column order of :data:`CSV_COLUMNS`; all
lines of an order are contiguous, and orders appear in the order they were placed.
The same configuration (seed included) always gives byte-identical files.

The work is split by stage: :mod:`.vocabulary` holds the words and weights drawn
from, :mod:`.config` the settings, :mod:`.catalogue` builds the products,
:mod:`.simulation` simulates the orders and :mod:`.generator` writes the files.
"""

from __future__ import annotations

from basketgraph.synthetic.config import SyntheticConfig
from basketgraph.synthetic.generator import (
    CSV_COLUMNS,
    GenerationSummary,
    GroundTruth,
    generate,
)
from basketgraph.synthetic.simulation import expected_lines_per_order, orders_for_lines

__all__ = [
    "CSV_COLUMNS",
    "GenerationSummary",
    "GroundTruth",
    "SyntheticConfig",
    "expected_lines_per_order",
    "generate",
    "orders_for_lines",
]
