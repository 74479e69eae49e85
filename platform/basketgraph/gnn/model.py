"""A product encoder with a basket decoder: the whole trainable model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from basketgraph.gnn.encoder import ProductEncoder
from basketgraph.gnn.gat import GATEncoder
from basketgraph.gnn.gcn import GCNEncoder
from basketgraph.gnn.lightgcn import LightGCNEncoder

#: The encoders :func:`make_encoder` builds, by name.
ENCODERS = ("gcn", "gat", "lightgcn")


def make_encoder(
    name: str,
    in_channels: int,
    num_products: int,
    channels: int = 64,
    num_layers: int = 2,
    heads: int = 4,
    dropout: float = 0.1,
    use_ids: bool = True,
) -> ProductEncoder:
    """Build the encoder called ``name``: ``"gcn"``, ``"gat"`` or ``"lightgcn"``.

    Raises:
        ValueError: If ``name`` is none of them.
    """
    if name == "gcn":
        return GCNEncoder(
            in_channels, num_products, channels, num_layers, dropout, use_ids
        )
    if name == "gat":
        return GATEncoder(
            in_channels, num_products, channels, num_layers, heads, dropout, use_ids
        )
    if name == "lightgcn":
        return LightGCNEncoder(num_products, channels, num_layers)
    raise ValueError(f"No encoder is named {name!r}; use one of {', '.join(ENCODERS)}.")


class BasketModel(nn.Module):
    r"""Score every product as the next one of a basket.

    A basket's context vector is the mean of its products' representations
    :math:`\mathbf{z}_i`; a candidate :math:`j` scores

    .. math::
        s(C, j) = \frac{1}{|C|} \sum_{i \in C} \mathbf{z}_i^\top \mathbf{z}_j + b_j

    With a context of one product this is the link score of the pair, so the same
    model ranks a product's partners and completes baskets.

    Args:
        encoder (ProductEncoder): Maps the graph to ``[num_products, channels]``.
        num_products (int): Products.
    """

    def __init__(self, encoder: ProductEncoder, num_products: int) -> None:
        """Wrap ``encoder`` and add a bias per product."""
        super().__init__()
        self.encoder = encoder
        self.bias = nn.Parameter(torch.zeros(num_products))

    def forward(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> Tensor:
        """Return ``[num_products, channels]`` product representations."""
        z: Tensor = self.encoder(x, edge_index, edge_weight)

        return z

    def score(self, z: Tensor, contexts: Sequence[Sequence[int]]) -> Tensor:
        """Return ``[len(contexts), num_products]`` scores of each context."""
        return self.context_vectors(z, contexts) @ z.T + self.bias

    @staticmethod
    def context_vectors(z: Tensor, contexts: Sequence[Sequence[int]]) -> Tensor:
        """Return ``[len(contexts), channels]``: each context's mean representation."""
        lengths = torch.tensor([len(c) for c in contexts], device=z.device)
        flat = torch.tensor(
            [i for c in contexts for i in c], dtype=torch.long, device=z.device
        )
        rows = torch.repeat_interleave(
            torch.arange(len(contexts), device=z.device), lengths
        )
        total = torch.zeros(len(contexts), z.shape[1], device=z.device)
        total.index_add_(0, rows, z[flat])

        return total / lengths.clamp(min=1).unsqueeze(1).to(z.dtype)

    def describe(self) -> dict[str, Any]:
        """Return the encoder's class and size, for the saved configuration."""
        return {
            "encoder": type(self.encoder).__name__,
            "parameters": sum(p.numel() for p in self.parameters()),
        }
