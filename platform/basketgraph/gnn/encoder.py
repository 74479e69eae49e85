"""What every product encoder shares: features and an id vector in, one vector out."""

from __future__ import annotations

from abc import abstractmethod

from torch import Tensor, nn


class ProductEncoder(nn.Module):
    """Map the product graph to one vector per product.

    The input layer projects each product's features (text embedding, category,
    price, popularity) and adds a learned vector of the product's own, which starts
    at zero: a product never seen in training keeps zero there and is represented
    by its features alone. Subclasses add the message passing.

    Args:
        in_channels (int): Node features per product; 0 for none.
        num_products (int): Products, for the id vectors.
        channels (int): Size of the representations.
        dropout (float): Dropout probability in training.
        use_ids (bool): Learn a free vector per product.
        needs_input (bool): Refuse to have neither features nor id vectors
            (default: ``True``; an encoder with input of its own turns it off).
    """

    def __init__(
        self,
        in_channels: int,
        num_products: int,
        channels: int,
        dropout: float,
        use_ids: bool,
        needs_input: bool = True,
    ) -> None:
        """Create the input layer."""
        super().__init__()
        if needs_input and in_channels <= 0 and not use_ids:
            raise ValueError(
                "An encoder without node features needs use_ids=True; it would "
                "have no input at all."
            )
        self.channels = channels
        self.project = nn.Linear(in_channels, channels) if in_channels > 0 else None
        self.ids = nn.Embedding(num_products, channels) if use_ids else None
        if self.ids is not None:
            nn.init.zeros_(self.ids.weight)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> Tensor:
        """Return ``[num_products, channels]`` product representations."""
        return self.propagate_layers(self.embed_input(x), edge_index, edge_weight)

    def embed_input(self, x: Tensor) -> Tensor:
        """Return ``[num_products, channels]`` representations before any layer."""
        h: Tensor | None = self.project(x) if self.project is not None else None
        if self.ids is not None:
            ids: Tensor = self.ids.weight
            h = ids if h is None else h + ids
        if h is None:
            raise ValueError("This encoder has neither features nor id vectors.")

        return h

    @abstractmethod
    def propagate_layers(
        self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> Tensor:
        """Pass ``[num_products, channels]`` inputs through the graph layers."""

    def reset_cache(self) -> None:
        """Forget anything cached about the graph (default: nothing is)."""
