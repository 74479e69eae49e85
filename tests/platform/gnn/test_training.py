"""Training: negatives, reproducibility, learning planted pairs, checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from basketgraph.gnn.checkpoint import load_checkpoint, save_checkpoint
from basketgraph.gnn.graph import ProductSide
from basketgraph.gnn.training import (
    PairSampler,
    TrainConfig,
    product_vectors,
    train_model,
)
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.recommend import GATRecommender
from basketgraph.synthetic import GroundTruth

FAST = {
    "max_epochs": 15,
    "steps_per_epoch": 10,
    "batch_size": 1024,
    "channels": 32,
    "lr": 0.01,
}


def test_negatives_are_never_pairs_bought_together() -> None:
    fit = sparse.csr_array(np.array([[1, 1, 0, 0], [0, 1, 1, 0]]))
    held_out = sparse.csr_array(np.array([[1, 0, 0, 1]]))  # a validation pair: 0-3
    known = sparse.csr_array(sparse.vstack([fit, held_out]))
    sampler = PairSampler(fit, known, np.random.default_rng(0))

    anchor, positive, negative = sampler.sample(5_000)

    pairs = set(zip(anchor.tolist(), negative.tolist(), strict=True))
    bought = {(0, 1), (1, 0), (1, 2), (2, 1), (0, 3), (3, 0)}
    assert pairs, "every negative was rejected"
    assert not pairs & bought
    assert all(a != n for a, n in pairs)
    assert set(zip(anchor.tolist(), positive.tolist(), strict=True)) <= bought


def test_the_same_seed_gives_the_same_model(
    planted: tuple[BasketMatrix, GroundTruth],
) -> None:
    baskets, _ = planted
    config = TrainConfig(model="gcn", max_epochs=2, steps_per_epoch=3, channels=16)

    first = train_model(baskets, None, config)
    second = train_model(baskets, None, config)

    # Equal up to float rounding: parallel sums on the CPU are not bitwise stable.
    np.testing.assert_allclose(
        product_vectors(first.model, first.graph),
        product_vectors(second.model, second.graph),
        atol=1e-5,
    )
    assert first.best_epoch == second.best_epoch
    for one, two in zip(first.history, second.history, strict=True):
        assert one["loss"] == pytest.approx(two["loss"], rel=1e-5)
    other = train_model(baskets, None, TrainConfig(**{**config.__dict__, "seed": 1}))
    assert not np.allclose(
        product_vectors(first.model, first.graph),
        product_vectors(other.model, other.graph),
        atol=1e-3,
    )


@pytest.mark.parametrize("model", ["gcn", "gat", "lightgcn"])
def test_a_model_learns_the_planted_complements(
    planted: tuple[BasketMatrix, GroundTruth], model: str
) -> None:
    baskets, truth = planted
    result = train_model(baskets, None, TrainConfig(model=model, **FAST))
    vectors = product_vectors(result.model, result.graph)
    index = baskets.product_index()
    pairs = [(index[a], index[b]) for a, b in truth.complement_pairs]

    # Where does each planted partner rank among all products, by cosine?
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    ranks = [int((scores[a] > scores[a, b]).sum()) + 1 for a, b in pairs]
    hit_rate = np.mean([rank <= 10 for rank in ranks])
    chance = 10 / (baskets.num_products - 1)

    # Chance is 3 %; measured: GCN and LightGCN over 50 %, GAT over 20 %.
    assert hit_rate > 5 * chance, f"{model}: planted partner in top 10: {hit_rate:.0%}"


def test_gat_keeps_attention_for_explanations(
    planted: tuple[BasketMatrix, GroundTruth],
) -> None:
    baskets, truth = planted
    recommender = GATRecommender(**FAST).fit(baskets)
    a, b = (baskets.product_index()[s] for s in truth.complement_pairs[0])

    explanation = recommender.explain([a], b)

    assert explanation["model"] == "gat"
    assert explanation["because_of"] == a
    attended = explanation["attended"]
    assert attended and all(0.0 < n["weight"] <= 1.0 for n in attended)
    assert len({n["product"] for n in attended}) == len(attended)


def test_a_checkpoint_scores_again_after_loading(
    planted: tuple[BasketMatrix, GroundTruth], tmp_path: Path
) -> None:
    baskets, _ = planted
    side = ProductSide(price=np.linspace(1, 5, baskets.num_products))
    result = train_model(
        baskets, side, TrainConfig(model="gat", max_epochs=1, steps_per_epoch=2)
    )
    path = save_checkpoint(tmp_path / "m.pt", result, {"run_id": "train-x"})

    loaded = load_checkpoint(path)

    np.testing.assert_allclose(
        loaded.vectors(), product_vectors(result.model, result.graph), rtol=1e-6
    )
    assert loaded.metadata["run_id"] == "train-x"
    assert loaded.metadata["data_hash"] == result.graph.data_hash
    assert loaded.metadata["code_version"]
    assert loaded.metadata["metrics"]["best_epoch"] == result.best_epoch
    assert path.with_suffix(".json").is_file()
    assert list(loaded.graph.product_ids) == list(baskets.product_ids)


def test_a_validation_share_outside_the_open_interval_is_refused(
    planted: tuple[BasketMatrix, GroundTruth],
) -> None:
    baskets, _ = planted
    with pytest.raises(ValueError, match=r"validation_share is 1\.0"):
        train_model(baskets, None, TrainConfig(validation_share=1.0))
