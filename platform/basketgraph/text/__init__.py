"""Product texts as vectors: the encoder interface and exact nearest neighbours."""

from __future__ import annotations

from basketgraph.text.encoder import (
    DEFAULT_MODEL,
    EmbeddingArray,
    SentenceTransformerEncoder,
    TextEncoder,
    bundled_model_path,
    make_encoder,
    product_text,
    text_key,
)
from basketgraph.text.neighbours import nearest_neighbours

__all__ = [
    "DEFAULT_MODEL",
    "EmbeddingArray",
    "SentenceTransformerEncoder",
    "TextEncoder",
    "bundled_model_path",
    "make_encoder",
    "nearest_neighbours",
    "product_text",
    "text_key",
]
