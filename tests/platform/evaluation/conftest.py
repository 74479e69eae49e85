"""Fixtures of the evaluation tests: small score matrices worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from basketgraph.evaluation.metrics import FloatArray


@pytest.fixture
def two_queries() -> FloatArray:
    """Scores of two queries over five products.

    Query 0 has one clear order (0.9 > 0.7 > 0.5 > 0.3 > 0.1); query 1 gives
    three products the same score 0.8, to exercise ties.
    """
    return np.array(
        [
            [0.9, 0.1, 0.5, 0.7, 0.3],
            [0.2, 0.8, 0.8, 0.4, 0.8],
        ]
    )
