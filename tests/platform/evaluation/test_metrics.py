"""Ranking metrics and bootstrap intervals, against examples worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from basketgraph.evaluation import metrics
from basketgraph.evaluation.metrics import (
    FloatArray,
    answerable,
    bootstrap_ci,
    catalogue_coverage,
    hit_rate,
    hit_rate_multi,
    measure_top_lists,
    ndcg,
    ndcg_at_k_multi,
    rank_of,
    rank_queries,
    ranks_of_relevant,
    recall_at_k,
    reciprocal_rank,
    summarise,
    top_k,
)

# Every function must stay silent on empty input and on unfound targets.
pytestmark = pytest.mark.filterwarnings("error")

INF = math.inf
NAN = math.nan
# 1 / log2(3) and 1 / log2(4): the discounts of ranks 2 and 3.
D2 = 1 / math.log2(3)  # 0.63093
D3 = 1 / math.log2(4)  # 0.5


# --- rank_of ---------------------------------------------------------------------


def test_rank_of_counts_every_product_at_least_as_good(two_queries: FloatArray) -> None:
    # Query 0, target 2 (0.5): 0.9 (col 0) and 0.7 (col 3) beat it -> rank 3.
    # Query 1, target 2 (0.8): cols 1 and 4 tie at 0.8; pessimistic, so the
    # target comes after both, whatever their columns -> rank 3.
    np.testing.assert_array_equal(rank_of(two_queries, [2, 2]), [3.0, 3.0])


@pytest.mark.parametrize(
    "exclude",
    [
        [[0], [4]],
        [np.array([0]), {4}],
        np.array([[0], [4]]),  # a 2-D integer array: one row of columns per query
        sparse.csr_array(np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]], dtype=np.bool_)),
        np.array(
            [[True, False, False, False, False], [False, False, False, False, True]]
        ),
    ],
    ids=["lists", "array-and-set", "int-matrix", "sparse-mask", "dense-mask"],
)
def test_rank_of_removes_excluded_products(
    two_queries: FloatArray, exclude: metrics.Columns
) -> None:
    # Query 0 without col 0 (0.9): only 0.7 (col 3) beats 0.5 -> rank 2.
    # Query 1 without col 4 (0.8): only col 1 ties with the target -> rank 2.
    np.testing.assert_array_equal(rank_of(two_queries, [2, 2], exclude), [2.0, 2.0])


def test_a_sparse_mask_ignores_explicitly_stored_zeros(two_queries: FloatArray) -> None:
    mask = sparse.csr_array(
        (np.array([1, 0]), (np.array([0, 1]), np.array([0, 4]))), shape=(2, 5)
    )

    # Query 0 drops col 0 (rank 2); query 1's stored zero at col 4 keeps it (rank 3).
    np.testing.assert_array_equal(rank_of(two_queries, [2, 2], mask), [2.0, 3.0])


def test_a_constant_scorer_ranks_every_target_last() -> None:
    scores = np.ones((3, 4))

    # All four products tie: every target lands behind the other three -> rank 4.
    np.testing.assert_array_equal(rank_of(scores, [0, 1, 3]), [4.0, 4.0, 4.0])
    # Excluding one product leaves three in the ranking -> rank 3; no hit at k=2.
    ranks = rank_of(scores, [0, 1, 3], [[3], [0], [1]])
    np.testing.assert_array_equal(ranks, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(hit_rate(ranks, 2), [0.0, 0.0, 0.0])


def test_unscored_and_nan_targets_are_not_found() -> None:
    scores = np.array([[0.5, -INF, NAN, 0.1]] * 3)

    # Target 1 is -inf and target 2 NaN -> inf. Target 3 (0.1) is beaten by col 0
    # only; the NaN product counts as unscored and does not push it down -> 2.
    ranks = rank_of(scores, [1, 2, 3])
    np.testing.assert_array_equal(ranks, [INF, INF, 2.0])
    np.testing.assert_array_equal(hit_rate(ranks, 10), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(ndcg(ranks, 10), [0.0, 0.0, D2])
    np.testing.assert_allclose(reciprocal_rank(ranks), [0.0, 0.0, 0.5])


def test_rank_of_with_no_queries_is_empty() -> None:
    ranks = rank_of(np.zeros((0, 5)), np.zeros(0, dtype=np.int64))

    assert ranks.shape == (0,)
    assert hit_rate(ranks, 5).shape == ndcg(ranks, 5).shape == (0,)


@pytest.mark.parametrize(
    ("targets", "exclude", "message"),
    [
        ([2, 2], [[2], []], "excludes its own target"),
        ([2, 5], None, "outside the catalogue"),
        ([2], None, "one target column per query"),
        ([2, 2], [[0], [7]], "outside the catalogue"),
        ([2, 2], [[0]], "exactly one"),
        ([2, 2], np.zeros((2, 4), dtype=np.bool_), "mask has shape"),
    ],
)
def test_rank_of_rejects_inconsistent_input(
    two_queries: FloatArray,
    targets: list[int],
    exclude: metrics.Columns | None,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        rank_of(two_queries, targets, exclude)


def test_rank_of_rejects_a_single_row_of_scores() -> None:
    with pytest.raises(ValueError, match="reshape"):
        rank_of(np.ones(4), [0])


def naive_rank(row: FloatArray, target: int, excluded: set[int]) -> float:
    """Rank by a plain loop: 1 + kept others scoring at least the target."""
    if not row[target] > -INF:
        return INF
    others = [j for j in range(row.size) if j != target and j not in excluded]
    return 1.0 + sum(1 for j in others if row[j] >= row[target])


def naive_top(row: FloatArray, k: int, excluded: set[int]) -> list[int]:
    """Top list by sorting: score descending, then column ascending."""
    kept = [j for j in range(row.size) if j not in excluded and row[j] > -INF]
    best = sorted(kept, key=lambda j: (-row[j], j))[:k]
    return best + [-1] * (k - len(best))


def test_chunked_ranks_and_lists_match_plain_loops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Few distinct scores, so ties are everywhere; a tiny chunk forces many blocks.
    monkeypatch.setattr(metrics, "_CHUNK_ELEMENTS", 7)
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, size=(40, 9)).astype(np.float64)
    scores[rng.random(scores.shape) < 0.15] = -INF
    excluded = [set(rng.choice(9, size=rng.integers(0, 4), replace=False).tolist())]
    excluded += [set(rng.choice(9, size=2, replace=False).tolist()) for _ in range(39)]
    targets = [min(set(range(9)) - ex) for ex in excluded]

    ranks = rank_of(scores, targets, excluded)
    top = top_k(scores, 5, excluded)

    expected = [naive_rank(scores[q], targets[q], excluded[q]) for q in range(40)]
    np.testing.assert_array_equal(ranks, expected)
    np.testing.assert_array_equal(
        top, [naive_top(scores[q], 5, excluded[q]) for q in range(40)]
    )


def patterned_scores(pattern: str, rng: np.random.Generator) -> FloatArray:
    """Scores of 30 queries over 300 products, long enough to cut rows in segments."""
    shape = (30, 300)
    if pattern == "distinct":
        return rng.random(shape)
    if pattern == "few values":
        return rng.integers(0, 4, size=shape).astype(np.float64)
    if pattern == "best columns first":
        # Popularity with columns in order of sales: the best sit side by side.
        counts = np.sort(rng.integers(0, 40, size=shape[1]))[::-1]
        return np.tile(counts.astype(np.float64), (shape[0], 1))
    if pattern == "mostly unscored":
        scores = rng.random(shape)
        scores[rng.random(shape) < 0.97] = -INF
        return scores
    if pattern == "constant":
        return np.full(shape, 0.5)
    scores = rng.integers(0, 3, size=shape).astype(np.float64)
    scores[rng.random(shape) < 0.3] = -INF
    scores[rng.random(shape) < 0.05] = NAN
    scores[rng.random(shape) < 0.02] = INF
    return scores


@pytest.mark.parametrize(
    "pattern",
    [
        "distinct",
        "few values",
        "best columns first",
        "mostly unscored",
        "constant",
        "nan and inf",
    ],
)
def test_one_pass_ranks_and_lists_match_plain_loops(
    monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    # Seven queries per block, so that blocks are reused several times.
    monkeypatch.setattr(metrics, "_CHUNK_ELEMENTS", 7 * 300)
    rng = np.random.default_rng(11)
    scores = patterned_scores(pattern, rng)
    excluded = [
        set(rng.choice(300, size=q % 6, replace=False).tolist()) for q in range(30)
    ]
    targets = [int(rng.choice(sorted(set(range(300)) - ex))) for ex in excluded]

    found = rank_queries(scores, targets, 6, excluded)

    expected = [naive_rank(scores[q], targets[q], excluded[q]) for q in range(30)]
    np.testing.assert_array_equal(found.ranks, expected)
    np.testing.assert_array_equal(
        found.top, [naive_top(scores[q], 6, excluded[q]) for q in range(30)]
    )
    np.testing.assert_array_equal(found.answerable, found.top[:, 0] >= 0)
    np.testing.assert_array_equal(found.ranks, rank_of(scores, targets, excluded))
    np.testing.assert_array_equal(found.top, top_k(scores, 6, excluded))
    np.testing.assert_array_equal(found.answerable, answerable(scores, excluded))


def test_one_pass_answers_like_answerable() -> None:
    scores = np.array([[-INF, -INF, 1.0], [NAN, 2.0, -INF], [NAN, -INF, 3.0]])

    found = rank_queries(scores, [0, 1, 0], 2, [[], [], [2]])

    # Row 0 scores col 2; row 1 col 1; row 2 only its excluded col 2.
    np.testing.assert_array_equal(found.answerable, [True, True, False])
    np.testing.assert_array_equal(found.ranks, [INF, 1.0, INF])
    np.testing.assert_array_equal(found.top, [[2, -1], [1, -1], [-1, -1]])


def test_one_pass_rejects_inconsistent_input(two_queries: FloatArray) -> None:
    with pytest.raises(ValueError, match="excludes its own target"):
        rank_queries(two_queries, [2, 2], 3, [[0], [2]])
    with pytest.raises(ValueError, match="at least 1"):
        rank_queries(two_queries, [2, 2], 0)
    with pytest.raises(ValueError, match="outside the catalogue"):
        rank_queries(two_queries, [2, 5], 3)


# --- ranks_of_relevant -----------------------------------------------------------


def test_relevant_products_are_ranked_among_each_other(
    two_queries: FloatArray,
) -> None:
    ranks = ranks_of_relevant(two_queries, [[2, 4], {1}], [[0], []])

    # Query 0 without col 0: col 2 (0.5) is beaten by col 3 (0.7) -> 2; col 4
    # (0.3) is beaten by cols 3 and 2, the relevant col 2 included -> 3.
    # Query 1: col 1 (0.8) ties with cols 2 and 4 -> 3.
    assert len(ranks) == 2
    np.testing.assert_array_equal(ranks[0], [2.0, 3.0])
    np.testing.assert_array_equal(ranks[1], [3.0])
    # The best relevant rank gives the reciprocal rank: 1/2 and 1/3.
    best = [r.min() for r in ranks]
    np.testing.assert_allclose(reciprocal_rank(best), [0.5, 1 / 3])


def test_a_relevant_product_may_not_be_excluded(two_queries: FloatArray) -> None:
    with pytest.raises(ValueError, match="excludes its own target"):
        ranks_of_relevant(two_queries, [[2], [1]], [[2], []])


# --- top_k -----------------------------------------------------------------------


def test_top_k_orders_by_score_then_column(two_queries: FloatArray) -> None:
    top = top_k(two_queries, 3, [[0], [4]])

    # Query 0 without col 0: 0.7 (3), 0.5 (2), 0.3 (4).
    # Query 1 without col 4: 0.8 (1) and 0.8 (2) tie, lower column first; 0.4 (3).
    np.testing.assert_array_equal(top, [[3, 2, 4], [1, 2, 3]])


def test_top_k_longer_than_the_catalogue_is_padded(two_queries: FloatArray) -> None:
    top = top_k(two_queries, 7)

    # All five products in order, then two -1: k=7 > 5 products.
    np.testing.assert_array_equal(
        top, [[0, 3, 2, 4, 1, -1, -1], [1, 2, 4, 3, 0, -1, -1]]
    )
    assert catalogue_coverage(top, 5) == 1.0


def test_top_k_never_lists_unscored_products() -> None:
    top = top_k(np.array([[-INF, 0.2, NAN, 0.2], [-INF, -INF, -INF, -INF]]), 4)

    # Row 0: only cols 1 and 3 are scored (tied: 1 first). Row 1: nothing is.
    np.testing.assert_array_equal(top, [[1, 3, -1, -1], [-1, -1, -1, -1]])


def test_top_k_breaks_ties_by_column() -> None:
    scores = np.full((2, 4), 2.0)

    np.testing.assert_array_equal(top_k(scores, 2), [[0, 1], [0, 1]])
    np.testing.assert_array_equal(top_k(scores, 2, [[0], [1, 0]]), [[1, 2], [2, 3]])


def test_top_k_edge_shapes() -> None:
    assert top_k(np.zeros((0, 5)), 3).shape == (0, 3)
    # No products at all: every list is padding.
    np.testing.assert_array_equal(top_k(np.zeros((2, 0)), 2), [[-1, -1], [-1, -1]])
    with pytest.raises(ValueError, match="at least 1"):
        top_k(np.zeros((2, 3)), 0)


# --- answerable ------------------------------------------------------------------


def test_answerable_needs_one_kept_scored_product() -> None:
    scores = np.array([[-INF, -INF], [-INF, 0.1], [NAN, -INF], [5.0, -INF]])

    # Row 0 has nothing scored, row 2 only NaN, row 3 only an excluded product.
    np.testing.assert_array_equal(
        answerable(scores, [[], [], [], [0]]), [False, True, False, False]
    )
    assert answerable(np.zeros((0, 3))).shape == (0,)


# --- single-target metrics -------------------------------------------------------

RANKS = [1.0, 2.0, 3.0, 11.0, INF]


def test_hit_rate_counts_ranks_within_k() -> None:
    # Ranks 1, 2, 3 are within 10; 11 and inf are not.
    np.testing.assert_array_equal(hit_rate(RANKS, 10), [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(hit_rate(RANKS, 1), [1, 0, 0, 0, 0])


def test_ndcg_discounts_by_log_rank() -> None:
    # 1/log2(1+1) = 1, 1/log2(3) = 0.6309, 1/log2(4) = 0.5, rank 11 > k, inf.
    np.testing.assert_allclose(ndcg(RANKS, 10), [1.0, D2, D3, 0.0, 0.0])
    # With k = 20, rank 11 counts: 1/log2(12) = 0.27894.
    np.testing.assert_allclose(ndcg(RANKS, 20)[3], 1 / math.log2(12))


def test_reciprocal_rank_is_zero_when_not_found() -> None:
    np.testing.assert_allclose(reciprocal_rank(RANKS), [1, 1 / 2, 1 / 3, 1 / 11, 0])


@pytest.mark.parametrize("bad", [[0.0], [NAN], [-1.0]])
def test_ranks_below_one_or_nan_are_rejected(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="is not a rank"):
        hit_rate(bad, 5)


def test_a_cut_off_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ndcg(RANKS, 0)


# --- several relevant products ---------------------------------------------------

TOP = [[3, 2, 4], [1, -1, -1]]
RELEVANT = [{2, 4, 1}, [1]]


def test_recall_counts_the_share_of_relevant_products_listed() -> None:
    # Query 0 lists 2 and 4 of {1, 2, 4} -> 2/3; query 1 lists its only one -> 1.
    np.testing.assert_allclose(recall_at_k(TOP, RELEVANT), [2 / 3, 1.0])
    # First two columns: query 0 keeps only 2 -> 1/3.
    np.testing.assert_allclose(recall_at_k(TOP, RELEVANT, k=2), [1 / 3, 1.0])
    # First column: query 0's col 3 is not relevant -> 0.
    np.testing.assert_allclose(recall_at_k(TOP, RELEVANT, k=1), [0.0, 1.0])
    np.testing.assert_array_equal(hit_rate_multi(TOP, RELEVANT, k=1), [0.0, 1.0])
    np.testing.assert_array_equal(hit_rate_multi(TOP, RELEVANT), [1.0, 1.0])


def test_ndcg_multi_divides_by_the_ideal_of_min_relevant_and_k() -> None:
    # Query 0: hits at positions 2 and 3 -> DCG = 1/log2(3) + 1/log2(4)
    # = 1.1309; three relevant, k = 3 -> IDCG = 1 + 0.6309 + 0.5 = 2.1309.
    # Query 1: hit at position 1 -> DCG 1; one relevant -> IDCG 1.
    np.testing.assert_allclose(
        ndcg_at_k_multi(TOP, RELEVANT), [(D2 + D3) / (1 + D2 + D3), 1.0]
    )
    # k = 2: query 0 has a hit at position 2 only -> 0.6309 over
    # IDCG(min(3, 2) = 2) = 1 + 0.6309.
    np.testing.assert_allclose(
        ndcg_at_k_multi(TOP, RELEVANT, k=2), [D2 / (1 + D2), 1.0]
    )


def test_ndcg_multi_with_fewer_relevant_than_k() -> None:
    # One relevant product listed second: DCG 1/log2(3); IDCG over min(1, 3) = 1
    # position is 1, so a list can still reach 1 when |relevant| < k.
    np.testing.assert_allclose(ndcg_at_k_multi([[9, 5, 7]], [[5]]), [D2])
    np.testing.assert_allclose(ndcg_at_k_multi([[5, 9, 7]], [[5]]), [1.0])


def test_repeated_relevant_columns_count_once() -> None:
    np.testing.assert_allclose(recall_at_k(TOP, [[2, 2, 4, 1], [1, 1]]), [2 / 3, 1.0])


def test_multi_metrics_with_no_queries_are_empty() -> None:
    empty = np.zeros((0, 3), dtype=np.int64)

    assert recall_at_k(empty, []).shape == (0,)
    assert ndcg_at_k_multi(empty, []).shape == (0,)
    assert hit_rate_multi(empty, []).shape == (0,)


@pytest.mark.parametrize(
    ("relevant", "k", "message"),
    [
        ([{2}, set()], None, "no relevant products"),
        ([[2], [-1]], None, "outside the catalogue"),
        (RELEVANT, 4, "fewer than k=4"),
        ([[2]], None, "exactly one"),
    ],
)
def test_multi_metrics_reject_inconsistent_input(
    relevant: metrics.Columns, k: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        recall_at_k(TOP, relevant, k)


def test_all_cut_offs_at_once_match_one_cut_off_at_a_time() -> None:
    rng = np.random.default_rng(4)
    top = rng.integers(-1, 40, size=(25, 8))
    relevant = [
        set(rng.integers(0, 40, size=rng.integers(1, 12)).tolist()) for _ in range(25)
    ]

    values = measure_top_lists(top, relevant, (1, 3, 8))

    assert list(values) == [
        f"{name}@{k}" for k in (1, 3, 8) for name in ("HR", "Recall", "NDCG")
    ]
    for k in (1, 3, 8):
        np.testing.assert_array_equal(
            values[f"HR@{k}"], hit_rate_multi(top, relevant, k)
        )
        np.testing.assert_array_equal(
            values[f"Recall@{k}"], recall_at_k(top, relevant, k)
        )
        np.testing.assert_array_equal(
            values[f"NDCG@{k}"], ndcg_at_k_multi(top, relevant, k)
        )
    with pytest.raises(ValueError, match="fewer than k=9"):
        measure_top_lists(top, relevant, (1, 9))


def test_relevant_products_as_a_sparse_matrix_count_like_sets() -> None:
    # RELEVANT again: query 0's {2, 4, 1} stored unsorted, with 2 repeated and
    # a stored zero at 3 (which marks nothing); query 1's {1}.
    data = np.array([1, 1, 0, 1, 1, 1])
    indices = np.array([4, 2, 3, 1, 2, 1])
    relevant = sparse.csr_array((data, indices, np.array([0, 5, 6])), shape=(2, 6))

    values = measure_top_lists(TOP, relevant, (2, 3))

    np.testing.assert_allclose(values["Recall@3"], recall_at_k(TOP, RELEVANT))
    np.testing.assert_allclose(values["Recall@2"], [1 / 3, 1.0])
    np.testing.assert_allclose(values["NDCG@3"], [(D2 + D3) / (1 + D2 + D3), 1.0])


# --- coverage --------------------------------------------------------------------


def test_coverage_ignores_padding() -> None:
    # Products 1, 2 and 3 appear somewhere; -1 is padding -> 3 of 10.
    assert catalogue_coverage([[3, 2, -1], [1, 2, -1]], 10) == pytest.approx(0.3)
    assert catalogue_coverage([[-1, -1]], 10) == 0.0
    assert math.isnan(catalogue_coverage(np.zeros((0, 3)), 0))
    with pytest.raises(ValueError, match="holds only 3"):
        catalogue_coverage([[3]], 3)


# --- bootstrap -------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    values = np.random.default_rng(0).random(200)

    assert bootstrap_ci(values, seed=7) == bootstrap_ci(values, seed=7)
    assert bootstrap_ci(values, seed=7)[1:] != bootstrap_ci(values, seed=8)[1:]


def test_bootstrap_interval_contains_the_mean() -> None:
    values = np.array([0.0, 1.0, 1.0, 0.0, 1.0] * 20)

    mean, low, high = bootstrap_ci(values)

    # The point estimate is the plain mean: 3 of every 5 -> 0.6.
    assert mean == pytest.approx(0.6)
    assert low < mean < high
    assert low > 0.4
    assert high < 0.8


def test_bootstrap_of_constant_values_has_no_width() -> None:
    mean, low, high = bootstrap_ci(np.full(50, 0.7))

    assert (mean, low, high) == pytest.approx((0.7, 0.7, 0.7))


def test_singleton_groups_are_the_plain_bootstrap() -> None:
    values = np.random.default_rng(1).random(30)

    assert bootstrap_ci(values, groups=np.arange(30)) == bootstrap_ci(values)


def test_group_bootstrap_widens_for_correlated_queries() -> None:
    # Ten baskets of ten held-out queries each; all queries of a basket agree.
    # Resampled one by one, the standard error is sqrt(0.25 / 100) = 0.05;
    # resampled by basket only ten draws are independent: sqrt(0.25 / 10) = 0.16.
    values = np.repeat([1.0, 0.0] * 5, 10)
    groups = np.repeat(np.arange(10), 10)

    mean, low, high = bootstrap_ci(values)
    group_mean, group_low, group_high = bootstrap_ci(values, groups=groups)

    assert mean == group_mean == 0.5
    assert group_high - group_low > 2 * (high - low)


def test_group_replicates_pool_the_drawn_values() -> None:
    # Group 0 holds three 1s, group 1 one 0. Two draws with replacement give
    # means 3/3 = 1, 0/1 = 0 or (3 + 0) / (3 + 1) = 0.75 (pooled, not the 0.5
    # a mean of group means would give).
    means = metrics._resampled_means(np.array([3.0, 0.0]), np.array([3.0, 1.0]), 200, 0)

    assert set(np.unique(means)) == {0.0, 0.75, 1.0}


def test_bootstrap_of_nothing_is_nan() -> None:
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    assert all(math.isnan(x) for x in bootstrap_ci([], groups=[]))


@pytest.mark.parametrize(
    ("values", "groups", "n_boot", "alpha"),
    [
        ([0.1, NAN], None, 100, 0.05),
        ([0.1, 0.2], [0], 100, 0.05),
        ([0.1, 0.2], None, 0, 0.05),
        ([0.1, 0.2], None, 100, 1.0),
    ],
)
def test_bootstrap_rejects_bad_input(
    values: list[float], groups: list[int] | None, n_boot: int, alpha: float
) -> None:
    with pytest.raises(ValueError):
        bootstrap_ci(values, groups, n_boot, alpha)


# --- summarise -------------------------------------------------------------------


def test_summarise_averages_each_metric() -> None:
    summary = summarise(RANKS, ks=(1, 10))

    assert summary["queries"] == 5
    # HR@1: one of five ranks is 1. HR@10: three of five are within 10.
    assert summary["HR@1"] == pytest.approx(1 / 5)
    assert summary["HR@10"] == summary["Recall@10"] == pytest.approx(3 / 5)
    # NDCG@10 = (1 + 0.6309 + 0.5 + 0 + 0) / 5 = 0.42619.
    assert summary["NDCG@10"] == pytest.approx((1 + D2 + D3) / 5)
    # MRR = (1 + 1/2 + 1/3 + 1/11 + 0) / 5 = 0.38485.
    assert summary["MRR"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 11) / 5)
    for name in ("HR@1", "Recall@1", "NDCG@1", "HR@10", "NDCG@10", "MRR"):
        assert summary[f"{name}_low"] <= summary[name] <= summary[f"{name}_high"]


def test_summarise_gives_each_metric_its_own_bootstrap_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The metrics share one set of draws; each interval must still be exactly
    # the one bootstrap_ci gives that metric alone, here with the draws made
    # in several parts.
    monkeypatch.setattr(metrics, "_DRAW_ELEMENTS", 7 * 40)
    rng = np.random.default_rng(8)
    ranks = rng.integers(1, 30, size=200).astype(np.float64)
    ranks[rng.random(200) < 0.2] = INF
    groups = rng.integers(0, 40, size=200)

    summary = summarise(ranks, ks=(3, 10), groups=groups, n_boot=50, seed=4)

    per_query = {
        "HR@3": hit_rate(ranks, 3),
        "Recall@10": hit_rate(ranks, 10),
        "NDCG@10": ndcg(ranks, 10),
        "MRR": reciprocal_rank(ranks),
    }
    for name, values in per_query.items():
        alone = bootstrap_ci(values, groups, n_boot=50, seed=4)
        got = (summary[name], summary[f"{name}_low"], summary[f"{name}_high"])
        assert got == alone
    assert summary["HR@3_low"] < summary["HR@3_high"]


def test_summarise_of_no_queries_is_nan() -> None:
    summary = summarise([])

    assert summary.pop("queries") == 0
    assert "NDCG@20_high" in summary
    assert all(math.isnan(value) for value in summary.values())


def test_a_perfect_scorer_gets_every_metric_at_one() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random((50, 30))
    targets = rng.integers(0, 30, size=50)
    # The target outscores everything; a better product sits in the basket.
    scores[np.arange(50), targets] = 2.0
    basket = [[(t + 1) % 30] for t in targets]
    scores[np.arange(50), [b[0] for b in basket]] = 3.0

    summary = summarise(rank_of(scores, targets, basket), ks=(1, 5))

    for name in ("HR@1", "NDCG@1", "HR@5", "NDCG@5", "MRR"):
        assert summary[name] == summary[f"{name}_low"] == summary[f"{name}_high"] == 1
    # The related-products version: the relevant products take the top places.
    relevant = [[t, (t + 2) % 30] for t in targets]
    scores[np.arange(50), [r[1] for r in relevant]] = 2.0
    top = top_k(scores, 5, basket)
    for metric in (recall_at_k, ndcg_at_k_multi, hit_rate_multi):
        np.testing.assert_array_equal(metric(top, relevant), np.ones(50))
