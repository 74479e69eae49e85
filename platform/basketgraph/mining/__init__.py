"""Classical market basket analysis: baskets as a sparse matrix, pairs and rules."""
