"""The registry: recommenders built by name, and clear errors for bad names."""

from __future__ import annotations

import pytest

from basketgraph.exceptions import ConfigurationError
from basketgraph.recommend import (
    RECOMMENDERS,
    CooccurrenceRecommender,
    ItemKNNRecommender,
    PopularityRecommender,
    RulesRecommender,
    make_recommender,
)


def test_every_name_builds_its_recommender() -> None:
    assert sorted(RECOMMENDERS) == [
        "cooccurrence",
        "cosine",
        "ease",
        "gat",
        "gcn",
        "hybrid",
        "itemknn",
        "lightgcn",
        "popularity",
        "rules",
        "text",
    ]
    assert isinstance(make_recommender("popularity"), PopularityRecommender)
    assert isinstance(make_recommender("cooccurrence"), CooccurrenceRecommender)
    knn = make_recommender("itemknn", k=5, shrink=1.0)
    assert isinstance(knn, ItemKNNRecommender)
    assert (knn.k, knn.shrink) == (5, 1.0)
    rules = make_recommender("rules", min_support=0.1, min_confidence=0.2)
    assert isinstance(rules, RulesRecommender)
    assert (rules.max_len, rules.measure) == (3, "confidence")


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"No recommender is named 'knn'; use one of cooccurrence, cosine, ease, "
        r"gat, gcn, hybrid, itemknn, lightgcn, popularity, rules, text\.",
    ):
        make_recommender("knn")


def test_an_unknown_parameter_is_named() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"The 'itemknn' recommender takes no parameter 'neighbours'; it takes "
        r"k, shrink\.",
    ):
        make_recommender("itemknn", neighbours=5)
    with pytest.raises(ConfigurationError, match="it takes no parameters"):
        make_recommender("popularity", k=5)


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"The 'rules' recommender needs the parameter 'min_confidence'",
    ):
        make_recommender("rules", min_support=0.1)


def test_values_are_checked_when_built() -> None:
    with pytest.raises(ConfigurationError, match="k is -1"):
        make_recommender("itemknn", k=-1)
