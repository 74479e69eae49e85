"""Graph neural networks that learn which products go together."""
