"""Tests of the rule that tells goods from postage, fees and other non-goods lines."""

from __future__ import annotations

import pytest

from basketgraph.sources.merchandise import is_merchandise
from basketgraph.sources.orders import ProductFacts

# Stock codes and titles as the UCI Online Retail data sets write them.
NON_GOODS = [
    ("POST", "POSTAGE"),
    ("DOT", "DOTCOM POSTAGE"),
    ("C2", "CARRIAGE"),
    ("M", "Manual"),
    ("m", "Manual"),
    ("D", "Discount"),
    ("S", "SAMPLES"),
    ("B", "Adjust bad debt"),
    ("BANK CHARGES", "Bank Charges"),
    ("AMAZONFEE", "AMAZON FEE"),
    ("CRUK", "CRUK Commission"),
    ("ADJUST", "Adjustment by john on 26/01/2010 16"),
    ("ADJUST2", "Adjustment by Peter on Jun 25 2010"),
    ("TEST001", "This is a test product."),
    ("gift_0001_10", "Dotcomgiftshop Gift Voucher £10.00"),
]
GOODS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER"),
    ("PADS", "PADS TO MATCH ALL CUSHIONS"),
    ("DCGSSBOY", "BOYS PARTY BAG"),
]


@pytest.mark.parametrize(("sku", "title"), NON_GOODS)
def test_non_goods_codes_are_not_merchandise(sku: str, title: str) -> None:
    assert is_merchandise(sku, title) is False


@pytest.mark.parametrize("sku", [sku for sku, _ in NON_GOODS])
def test_non_goods_codes_need_no_title(sku: str) -> None:
    assert is_merchandise(sku, None) is False


@pytest.mark.parametrize("sku", ["POST ", " m", "Bank Charges"])
def test_codes_are_compared_without_case_or_surrounding_space(sku: str) -> None:
    assert is_merchandise(sku, None) is False


@pytest.mark.parametrize(("sku", "title"), GOODS)
def test_goods_are_merchandise(sku: str, title: str) -> None:
    assert is_merchandise(sku, title) is True
    assert is_merchandise(sku, None) is True


@pytest.mark.parametrize(
    "title", ["Postage", "postage to Germany", "  Carriage", "Gift voucher £20"]
)
def test_generic_product_with_non_goods_title_is_not_merchandise(title: str) -> None:
    assert is_merchandise("SKU-1001", title) is False


@pytest.mark.parametrize("title", ["Postcard set", "Discounted mug", "Mug"])
def test_title_rule_matches_whole_words_only(title: str) -> None:
    assert is_merchandise("SKU-1001", title) is True


@pytest.mark.parametrize("sku", ["POSTER", "DOTS", "C21", "MUG", "TEST", "GIFTBOX"])
def test_codes_that_only_resemble_non_goods_are_merchandise(sku: str) -> None:
    assert is_merchandise(sku, None) is True


def test_product_facts_apply_the_rule_to_the_most_frequent_title() -> None:
    facts = ProductFacts()
    facts.titles.update(["Postage", "Postage", "Mug"])

    assert facts.is_merchandise("SKU-1") is False


def test_product_facts_prefer_the_source_flag_over_the_rule() -> None:
    postage_as_goods = ProductFacts(merchandise=True)
    postage_as_goods.titles["Postage"] += 1
    mug_as_non_goods = ProductFacts(merchandise=False)
    mug_as_non_goods.titles["Mug"] += 1

    assert postage_as_goods.is_merchandise("POST") is True
    assert mug_as_non_goods.is_merchandise("85123A") is False
