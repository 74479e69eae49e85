"""GCN product encoder, built on PyG's :class:`~torch_geometric.nn.conv.GCNConv`."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GCNConv

from basketgraph.gnn.encoder import ProductEncoder


class GCNEncoder(ProductEncoder):
    r"""Encode products by graph convolution over the co-purchase graph.

    From `Kipf and Welling, Semi-Supervised Classification with Graph
    Convolutional Networks <https://arxiv.org/abs/1609.02907>`_ (ICLR 2017). Each
    layer adds the normalised, weighted mean of the neighbours to a product's
    representation (a residual connection), so that a product without purchases
    keeps the representation of its own features:

    .. math::
        \mathbf{H}^{(l+1)} = \mathbf{H}^{(l)} + \sigma\left(\hat{\mathbf{D}}^{-1/2}
        \hat{\mathbf{A}} \hat{\mathbf{D}}^{-1/2} \mathbf{H}^{(l)}
        \mathbf{\Theta}^{(l)}\right)

    Args:
        in_channels (int): Node features per product.
        num_products (int): Products, for the optional id embedding.
        channels (int): Size of the representations (default: 64).
        num_layers (int): Graph convolutions (default: 2).
        dropout (float): Dropout on the input of each layer (default: 0.1).
        use_ids (bool): Learn a free vector per product besides its features
            (default: ``True``).

    Shapes:
        - **input:** node features ``[num_products, in_channels]``, edge indices
          ``[2, num_edges]``, edge weights ``[num_edges]``
        - **output:** ``[num_products, channels]``
    """

    def __init__(
        self,
        in_channels: int,
        num_products: int,
        channels: int = 64,
        num_layers: int = 2,
        dropout: float = 0.1,
        use_ids: bool = True,
    ) -> None:
        """Create the layers."""
        super().__init__(in_channels, num_products, channels, dropout, use_ids)
        self.convs = nn.ModuleList(
            GCNConv(channels, channels, cached=True) for _ in range(num_layers)
        )

    def propagate_layers(
        self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> Tensor:
        """Apply the graph convolutions to ``[num_products, channels]`` inputs."""
        for conv in self.convs:
            update = conv(self.drop(h), edge_index, edge_weight)
            h = h + F.relu(update)

        return h

    def reset_cache(self) -> None:
        """Forget the cached normalised graph, before using another graph."""
        for conv in self.convs:
            assert isinstance(conv, GCNConv)
            conv._cached_edge_index = None
