"""Save a trained model with everything needed to score again, and load it back.

A checkpoint is one ``.pt`` file (``torch.save`` of plain tensors and data, loaded
with ``weights_only=True``) and a ``.json`` file beside it with the same metadata
for people and tools: model and configuration, metrics, the hash of the data it
was trained on, the code version, and the product ids. The graph the model
represents products on is saved too, so a loaded model scores without Neo4j.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from basketgraph import __version__
from basketgraph.gnn.graph import ProductGraph
from basketgraph.gnn.model import BasketModel, make_encoder
from basketgraph.gnn.training import TrainConfig, TrainResult, product_vectors

#: Bumped when the layout of a checkpoint changes.
FORMAT = 1


@dataclass
class Checkpoint:
    """A loaded model, its graph and what is known about it."""

    model: BasketModel
    graph: ProductGraph
    config: TrainConfig
    metadata: dict[str, Any]

    def vectors(self) -> npt.NDArray[np.float32]:
        """Return ``[num_products, channels]`` unit product vectors."""
        return product_vectors(self.model, self.graph)


def code_version() -> str:
    """Return the package version, with the git commit when run from a checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__

    return f"{__version__}+g{commit}" if commit else __version__


def save_checkpoint(
    path: Path, result: TrainResult, extra: dict[str, Any] | None = None
) -> Path:
    """Write ``result`` to ``path`` (``.pt``) and its metadata beside it (``.json``).

    Args:
        path (Path): The ``.pt`` file to write; folders are created.
        result (TrainResult): The trained model and its graph.
        extra (dict[str, Any], optional): More metadata, such as the dataset
            and the run id.

    Returns:
        Path: ``path``.
    """
    graph = result.graph
    metadata = {
        "format": FORMAT,
        "model": result.config.model,
        "config": asdict(result.config),
        "metrics": {k: v for k, v in result.metrics().items() if k != "config"},
        "data_hash": graph.data_hash,
        "code_version": code_version(),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "num_products": graph.num_products,
        "feature_names": graph.feature_names,
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "metadata": json.dumps(metadata, default=str),
            "state_dict": result.model.state_dict(),
            "product_ids": [str(p) for p in graph.product_ids],
            "x": torch.from_numpy(graph.x),
            "edge_index": torch.from_numpy(graph.edge_index),
            "edge_weight": torch.from_numpy(graph.edge_weight),
            "popularity": torch.from_numpy(graph.popularity),
        },
        path,
    )
    path.with_suffix(".json").write_text(
        json.dumps(metadata, indent=2, default=str) + "\n", encoding="utf-8"
    )

    return path


def load_checkpoint(path: Path, device: str = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint`.

    Raises:
        FileNotFoundError: If there is no file at ``path``.
        ValueError: If the file is not a checkpoint of a known format.
    """
    saved = torch.load(path, map_location=device, weights_only=True)
    metadata = json.loads(saved["metadata"])
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{path} is a checkpoint of format {metadata.get('format')!r}; this "
            f"version reads format {FORMAT}. Train the model again."
        )
    config = TrainConfig(**metadata["config"])
    graph = ProductGraph(
        product_ids=np.asarray(saved["product_ids"], dtype=object),
        x=saved["x"].numpy(),
        feature_names=list(metadata["feature_names"]),
        edge_index=saved["edge_index"].numpy(),
        edge_weight=saved["edge_weight"].numpy(),
        popularity=saved["popularity"].numpy(),
    )
    encoder = make_encoder(
        config.model,
        graph.x.shape[1],
        graph.num_products,
        config.channels,
        config.num_layers,
        config.heads,
        config.dropout,
        config.use_ids,
    )
    model = BasketModel(encoder, graph.num_products).to(device)
    model.load_state_dict(saved["state_dict"])
    model.eval()

    return Checkpoint(model, graph, config, metadata)
