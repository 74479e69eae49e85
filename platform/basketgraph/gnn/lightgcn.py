"""LightGCN product encoder: PyG's :class:`~torch_geometric.nn.models.LightGCN`."""

from __future__ import annotations

from torch import Tensor
from torch_geometric.nn import LightGCN

from basketgraph.gnn.encoder import ProductEncoder


class LightGCNEncoder(ProductEncoder):
    r"""Encode products by LightGCN propagation of free product vectors.

    From `He et al., LightGCN: Simplifying and Powering Graph Convolution Network
    for Recommendation <https://arxiv.org/abs/2002.02126>`_ (SIGIR 2020): no
    feature transformation and no nonlinearity, only the weighted mean of the
    vectors propagated over ``num_layers`` hops. It reads no node features, so a
    product without purchases cannot be represented: it stays at zero.

    Args:
        num_products (int): Products.
        channels (int): Size of the representations (default: 64).
        num_layers (int): Propagation hops (default: 2).

    Shapes:
        - **input:** edge indices ``[2, num_edges]``, edge weights ``[num_edges]``
          (node features are ignored)
        - **output:** ``[num_products, channels]``
    """

    def __init__(self, num_products: int, channels: int = 64, num_layers: int = 2):
        """Create the product vectors."""
        super().__init__(
            0, num_products, channels, dropout=0.0, use_ids=False, needs_input=False
        )
        self.lightgcn = LightGCN(num_products, channels, num_layers)

    def embed_input(self, x: Tensor) -> Tensor:
        """Return the free product vectors; features are not used."""
        weight: Tensor = self.lightgcn.embedding.weight

        return weight

    def propagate_layers(
        self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> Tensor:
        """Return LightGCN's layer-averaged representations."""
        embedding: Tensor = self.lightgcn.get_embedding(edge_index, edge_weight)

        return embedding
