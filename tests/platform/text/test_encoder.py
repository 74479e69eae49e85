"""The bundled sentence encoder: vectors, their meaning, cache keys and settings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from basketgraph.config import Settings
from basketgraph.exceptions import ConfigurationError
from basketgraph.text import (
    DEFAULT_MODEL,
    SentenceTransformerEncoder,
    TextEncoder,
    bundled_model_path,
    make_encoder,
    product_text,
    text_key,
)


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return SentenceTransformerEncoder(device="cpu")


def test_vectors_have_the_model_shape_and_unit_length(encoder: TextEncoder) -> None:
    vectors = encoder.encode(["JUMBO BAG RED RETROSPOT", "WHITE METAL LANTERN", ""])

    assert encoder.name == DEFAULT_MODEL
    assert encoder.dimensions == 384
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_related_titles_are_closer_than_unrelated_ones(encoder: TextEncoder) -> None:
    red, pink, lantern = encoder.encode(
        ["JUMBO BAG RED RETROSPOT", "JUMBO BAG PINK POLKADOT", "WHITE METAL LANTERN"]
    )

    assert red @ pink > red @ lantern + 0.1
    assert red @ pink > pink @ lantern + 0.1


def test_the_same_text_gives_the_same_vector(encoder: TextEncoder) -> None:
    once = encoder.encode(["REGENCY CAKESTAND 3 TIER"])
    # Batched with other texts, padding must not change the vector.
    again = encoder.encode(["a", "REGENCY CAKESTAND 3 TIER", "a much longer text " * 5])

    np.testing.assert_allclose(once[0], again[1], atol=1e-5)


def test_text_key_changes_with_text_and_model() -> None:
    key = text_key(DEFAULT_MODEL, "JUMBO BAG RED RETROSPOT")

    assert key == text_key(DEFAULT_MODEL, "JUMBO BAG RED RETROSPOT")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != text_key(DEFAULT_MODEL, "JUMBO BAG PINK POLKADOT")
    assert key != text_key("paraphrase-multilingual-MiniLM-L12-v2", key)
    assert key != text_key(
        "paraphrase-multilingual-MiniLM-L12-v2", "JUMBO BAG RED RETROSPOT"
    )
    # The separator keeps a name and text pair from reading as another pair.
    assert text_key("ab", "c") != text_key("a", "bc")


def test_product_text_puts_the_title_before_the_category_path() -> None:
    assert (
        product_text("JUMBO BAG RED RETROSPOT", ["Bags", "Jumbo"])
        == "JUMBO BAG RED RETROSPOT | Bags > Jumbo"
    )
    assert product_text(" LANTERN ", []) == "LANTERN"
    assert product_text(None, ["Bags"]) == "Bags"
    assert product_text(None, []) == ""


def test_an_unknown_model_folder_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"

    with pytest.raises(ConfigurationError, match="no-such-model"):
        SentenceTransformerEncoder(missing)
    with pytest.raises(ConfigurationError, match="does not exist"):
        make_encoder(str(missing))


def test_the_setting_names_the_encoder(tmp_path: Path) -> None:
    settings = Settings.from_env({"BASKETGRAPH_TEXT_ENCODER": str(tmp_path / "m")})

    assert settings.text_encoder == str(tmp_path / "m")
    assert Settings.from_env({}).text_encoder is None


def test_an_empty_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="holds no model"):
        SentenceTransformerEncoder(tmp_path)


def test_another_model_folder_replaces_the_bundled_one(
    tmp_path: Path, encoder: TextEncoder
) -> None:
    folder = tmp_path / "my-shop-encoder"
    # Links are enough where the filesystem allows them; the weights are 90 MB.
    try:
        shutil.copytree(bundled_model_path(), folder, copy_function=os.link)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(bundled_model_path(), folder)

    other = make_encoder(str(folder))

    assert other.name == "my-shop-encoder" and other.dimensions == 384
    assert make_encoder(str(bundled_model_path())).name == DEFAULT_MODEL
    text = ["JUMBO BAG RED RETROSPOT"]
    np.testing.assert_allclose(other.encode(text), encoder.encode(text), atol=1e-5)
    assert text_key(other.name, text[0]) != text_key(encoder.name, text[0])
