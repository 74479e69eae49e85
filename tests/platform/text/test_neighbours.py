"""Exact nearest neighbours against a brute-force sort."""

from __future__ import annotations

import numpy as np
import pytest

from basketgraph.text import nearest_neighbours


def unit_rows(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_force(x: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    sims = (x.astype(np.float64) @ x.T.astype(np.float64)).tolist()
    return [
        sorted(
            ((j, s) for j, s in enumerate(row) if j != i), key=lambda t: (-t[1], t[0])
        )[:k]
        for i, row in enumerate(sims)
    ]


@pytest.mark.parametrize(
    ("n", "k", "chunk"), [(200, 7, 64), (50, 10, 2048), (33, 5, 1)]
)
def test_equals_brute_force(n: int, k: int, chunk: int) -> None:
    x = unit_rows(n, 16, seed=n)

    rows, cols, scores = nearest_neighbours(x, k, chunk=chunk)

    assert rows.shape == cols.shape == scores.shape == (n * k,)
    assert rows.dtype == cols.dtype == np.int64 and scores.dtype == np.float32
    expected = brute_force(x, k)
    for i in range(n):
        mine = slice(i * k, (i + 1) * k)
        assert (rows[mine] == i).all()
        assert cols[mine].tolist() == [j for j, _ in expected[i]]
        np.testing.assert_allclose(scores[mine], [s for _, s in expected[i]], atol=1e-5)


def test_a_row_is_never_its_own_neighbour() -> None:
    x = unit_rows(40, 8, seed=1)

    rows, cols, _ = nearest_neighbours(x, 39, chunk=16)

    assert not (rows == cols).any()
    # Every other row appears exactly once per row.
    for i in range(40):
        assert sorted(cols[rows == i].tolist()) == [j for j in range(40) if j != i]


def test_ties_go_to_the_smaller_column_whatever_the_block() -> None:
    base = unit_rows(2, 8, seed=2)[0]
    near = base + 0.1 * unit_rows(1, 8, seed=3)[0]
    near /= np.linalg.norm(near)
    # Rows 1..6 are copies of one vector near row 0, row 7 is opposite row 0: for
    # row 0 the copies all tie.
    x = np.vstack([base, *[near] * 6, -base])

    for chunk in (1, 3, 100):
        rows, cols, scores = nearest_neighbours(x, 3, chunk=chunk)
        assert cols[rows == 0].tolist() == [1, 2, 3]
        # For row 4, the copies are perfect matches and the smallest ones come first.
        assert cols[rows == 4].tolist() == [1, 2, 3]
        np.testing.assert_allclose(scores[rows == 4], 1.0, atol=1e-5)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_fewer_rows_than_k_give_every_other_row(n: int) -> None:
    x = unit_rows(n, 4, seed=3)

    rows, cols, scores = nearest_neighbours(x, 10)

    assert len(rows) == len(cols) == len(scores) == n * max(n - 1, 0)
    for i in range(n):
        assert sorted(cols[rows == i].tolist()) == [j for j in range(n) if j != i]
        assert (np.diff(scores[rows == i]) <= 0).all()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        nearest_neighbours(np.zeros(4, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="k is 0"):
        nearest_neighbours(unit_rows(3, 2, seed=4), 0)
