"""The rule that tells goods from postage, fees, discounts and other non-goods lines.

A product is *not* merchandise when its stock code, compared without case, is one of
:data:`NON_GOODS_CODES` or starts with one of :data:`NON_GOODS_PREFIXES`, or when its
title starts with one of the words in :data:`NON_GOODS_TITLE`. The codes are those
that the UCI Online Retail data sets use for postage (``POST``, ``DOT``), carriage
(``C2``), manual adjustments (``M``), discounts (``D``), samples (``S``), bad-debt
adjustments (``B``), bank and marketplace fees, charity commission (``CRUK``), stock
adjustments, test products and gift vouchers. Such products stay in the graph with
``merchandise: false`` and are left out of mining and training by default.
"""

from __future__ import annotations

import re

#: Stock codes of non-goods lines, upper-case.
NON_GOODS_CODES = frozenset(
    {
        "POST",
        "DOT",
        "C2",
        "CRUK",
        "M",
        "D",
        "S",
        "B",
        "BANK CHARGES",
        "AMAZONFEE",
        "GIFT",
    }
)
#: Prefixes of non-goods stock codes, upper-case.
NON_GOODS_PREFIXES = ("ADJUST", "TEST0", "GIFT_")
#: Titles of non-goods lines begin with one of these words.
NON_GOODS_TITLE = re.compile(
    r"^\s*(postage|dotcom postage|carriage|manual|discount|samples?|bank charges"
    r"|amazon fee|adjust bad debt|adjustment|cruk commission|gift voucher)\b",
    re.IGNORECASE,
)


def is_merchandise(sku: str, title: str | None) -> bool:
    """Return whether a product is goods, by the rule in this module's docstring.

    Args:
        sku (str): The stock code.
        title (str, optional): Its title, if known.

    Returns:
        bool: ``False`` for postage, fees, discounts and other non-goods lines.
    """
    code = sku.strip().upper()
    if code in NON_GOODS_CODES or code.startswith(NON_GOODS_PREFIXES):
        return False

    return not (title and NON_GOODS_TITLE.match(title))
