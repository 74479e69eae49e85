"""GAT product encoder, built on PyG's :class:`~torch_geometric.nn.conv.GATConv`."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv

from basketgraph.gnn.encoder import ProductEncoder


class GATEncoder(ProductEncoder):
    r"""Encode products by attention over their co-purchase neighbours.

    From `Veličković et al., Graph Attention Networks
    <https://arxiv.org/abs/1710.10903>`_ (ICLR 2018). Each layer lets a product
    weigh its neighbours by learned attention, with the number of shared baskets
    as an edge feature, and adds the result to its representation (a residual
    connection). The attention of the last layer, averaged over heads, is kept
    after each forward pass in eval mode, so that an explanation can name the
    neighbours a product attended to.

    Args:
        in_channels (int): Node features per product.
        num_products (int): Products, for the optional id embedding.
        channels (int): Size of the representations; a multiple of ``heads``
            (default: 64).
        num_layers (int): Attention layers (default: 2).
        heads (int): Attention heads per layer (default: 4).
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
        heads: int = 4,
        dropout: float = 0.1,
        use_ids: bool = True,
    ) -> None:
        """Create the layers."""
        if channels % heads:
            raise ValueError(
                f"channels={channels!r} is not a multiple of heads={heads!r}; the "
                "heads' outputs are concatenated back to `channels`."
            )
        super().__init__(in_channels, num_products, channels, dropout, use_ids)
        self.convs = nn.ModuleList(
            GATConv(channels, channels // heads, heads=heads, edge_dim=1)
            for _ in range(num_layers)
        )
        #: ``(edge_index [2, E'], weight [E'])`` of the last layer's attention,
        #: self-loops included, from the last forward pass in eval mode.
        self.attention: tuple[Tensor, Tensor] | None = None

    def propagate_layers(
        self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> Tensor:
        """Apply the attention layers to ``[num_products, channels]`` inputs."""
        edge_attr = edge_weight.view(-1, 1) if edge_weight is not None else None
        for i, conv in enumerate(self.convs):
            last = i == len(self.convs) - 1
            if last and not self.training:
                update, (att_index, alpha) = conv(
                    h, edge_index, edge_attr, return_attention_weights=True
                )
                # alpha: [E', heads] → the mean over heads
                self.attention = (att_index.detach(), alpha.detach().mean(dim=1))
            else:
                update = conv(self.drop(h), edge_index, edge_attr)
            h = h + F.elu(update)

        return h
