"""Complete a basket with association rules, as Spark's FPGrowthModel.transform does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from basketgraph.exceptions import ConfigurationError
from basketgraph.mining.baskets import BasketMatrix
from basketgraph.mining.rules import RuleSet, mine_rules
from basketgraph.recommend._baskets import (
    IndexArray,
    basket_columns,
    basket_indicator,
    check_product,
    require_fitted,
    score_in_chunks,
)
from basketgraph.recommend.base import BatchRecommender, FloatArray

#: Rule measures a candidate can be scored by.
RULE_MEASURES = ("confidence", "lift")

#: Most that the support tie-break may add to a score.
_MAX_TIE_SCALE = 1e-6


class RulesRecommender(BatchRecommender):
    """Score a candidate by the best rule that predicts it from the basket.

    Rules ``A → c`` with one consequent are mined by FP-Growth
    (:func:`~basketgraph.mining.rules.mine_rules`). A rule matches a basket when
    the basket holds its whole antecedent ``A``, as in Spark's
    ``FPGrowthModel.transform``; candidate ``c`` then scores the ``measure`` of the
    best matching rule with consequent ``c``. Rules rank by ``measure``, then by
    support, then by the canonical rule order (shorter antecedent first), so the
    rule chosen never depends on chance. A candidate that no matching rule
    predicts is :data:`~basketgraph.recommend.base.UNSCORED`. Unlike Spark, rules
    whose consequent is already in the basket still score it: the caller excludes
    basket products.

    The score carries the support tie-break too:
    ``score = measure + tie_scale * support / max_support``, where ``tie_scale`` is
    half the smallest gap between two different measures of the mined rules (and
    at most 1e-6). The added term is thus below any gap and never reorders two
    different measures; between equal measures it ranks the better supported rule
    higher. Where it falls below floating-point resolution, equal measures stay
    tied. Measures are divided once from basket counts, so that equal fractions
    give equal floats.

    Args:
        min_support (float): Least support of a rule's itemset, in ``(0, 1]``.
        min_confidence (float): Least confidence of a rule, in ``[0, 1]``.
        max_len (int): Most items in a rule, consequent included, at least 2
            (default: 3).
        measure (str): ``"confidence"`` or ``"lift"`` (default: ``"confidence"``).

    Raises:
        ConfigurationError: If a parameter is out of its range.
    """

    name = "rules"

    def __init__(
        self,
        min_support: float,
        min_confidence: float,
        max_len: int = 3,
        measure: str = "confidence",
    ) -> None:
        """Create an unfitted recommender; see the class docstring."""
        super().__init__()
        _check_parameters(min_support, min_confidence, max_len, measure)
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.max_len = max_len
        self.measure = measure
        self._rules: RuleSet | None = None

    def _fit(self, baskets: BasketMatrix) -> None:
        """Mine the rules and index their antecedents for matching."""
        rules = mine_rules(baskets, self.min_support, self.min_confidence, self.max_len)
        # [num_products, num_rules] 1 where the product is in the rule's antecedent
        self._antecedents_t = _antecedent_matrix(rules, baskets.num_products).T.tocsr()
        # [num_products] rules whose antecedent holds each product
        self._rules_per_item = np.diff(self._antecedents_t.indptr).astype(np.float64)
        # [num_rules] antecedent sizes, as floats to compare with the counts held
        self._lengths = np.diff(rules.antecedent_indptr).astype(np.float64)
        self._confidence, self._lift = _exact_measures(rules, baskets)
        measure = self._confidence if self.measure == "confidence" else self._lift
        # [num_rules] 1 for the worst rule, num_rules for the best
        self._priority = _priority(measure, rules.count)
        # [num_rules]
        self._scores = _tie_broken(measure, rules.count)
        self._rules = rules

    @property
    def rules(self) -> RuleSet:
        """The mined rules.

        Raises:
            NotFittedError: If the recommender is not fitted.
        """
        return require_fitted(self._rules, self.name)

    def score_baskets(self, baskets: Sequence[Sequence[int]]) -> FloatArray:
        """Return ``[len(baskets), num_products]`` scores, one row per basket.

        Each product scores as the best rule predicting it, ``-inf`` where no rule
        matches. Matching is one sparse product of the baskets' indicator matrix
        with the rules' antecedents, which counts how much of each antecedent a
        basket holds.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        require_fitted(self._rules, self.name)
        indicator = basket_indicator(baskets, self.num_products)
        # A basket of popular products can touch most rules: [rows, num_rules]
        # held counts would not fit in memory for a big block, so blocks are cut
        # by how many (rule, item) pairs their baskets can touch.
        touched = indicator @ self._rules_per_item

        return score_in_chunks(indicator, self._score_block, touched)

    def _score_block(self, block: sparse.csr_array) -> sparse.csr_array:
        """Return ``[rows, num_products]`` scores of one block of baskets."""
        rules = self.rules
        # [rows, num_rules] antecedent items each basket holds
        held = sparse.csr_array(block @ self._antecedents_t)
        row = np.repeat(np.arange(held.shape[0]), np.diff(held.indptr))
        matches = held.data == self._lengths[held.indices]
        row, rule = row[matches], held.indices[matches].astype(np.int64)
        consequent = rules.consequent[rule]
        # Sorted by (basket, consequent, priority): the last of each group is best.
        order = np.lexsort((self._priority[rule], consequent, row))
        row, consequent, rule = row[order], consequent[order], rule[order]
        last = np.ones(len(row), dtype=np.bool_)
        last[:-1] = (row[1:] != row[:-1]) | (consequent[1:] != consequent[:-1])

        return sparse.csr_array(
            (self._scores[rule[last]], (row[last], consequent[last])),
            shape=block.shape,
        )

    def explain(self, basket: Sequence[int], candidate: int) -> dict[str, Any]:
        """Return the best rule that predicts ``candidate`` from ``basket``.

        Args:
            basket (Sequence[int]): Columns of the products in the basket.
            candidate (int): Column of the product to explain.

        Returns:
            dict: ``candidate``, ``measure`` (its name), ``score`` (``None`` where
            unscored) and ``rule``: ``antecedent`` (columns, ascending),
            ``consequent``, ``confidence``, ``lift``, ``support`` and ``count``
            (baskets holding the whole rule), or ``None`` if no rule matches.

        Raises:
            NotFittedError: If the recommender is not fitted.
            InputError: If a column is not a product column.
        """
        rules = self.rules
        columns = basket_columns(basket, self.num_products).tolist()
        candidate = check_product(candidate, self.num_products)
        matching = rules.matching(columns, exclude_owned=False)
        predicting = matching[rules.consequent[matching] == candidate]
        explanation: dict[str, Any] = {
            "candidate": candidate,
            "measure": self.measure,
            "score": None,
            "rule": None,
        }
        if len(predicting):
            best = int(predicting[np.argmax(self._priority[predicting])])
            explanation["score"] = float(self._scores[best])
            explanation["rule"] = self._describe(best)

        return explanation

    def _describe(self, rule: int) -> dict[str, Any]:
        """Return one rule's antecedent, consequent and measures, for JSON."""
        rules = self.rules

        return {
            "antecedent": list(rules.antecedent(rule)),
            "consequent": int(rules.consequent[rule]),
            "confidence": float(self._confidence[rule]),
            "lift": float(self._lift[rule]),
            "support": float(rules.support[rule]),
            "count": int(rules.count[rule]),
        }


def _exact_measures(
    rules: RuleSet, baskets: BasketMatrix
) -> tuple[FloatArray, FloatArray]:
    """Return ``[num_rules]`` confidences and lifts, each one division of counts.

    :class:`~basketgraph.mining.rules.RuleSet` divides lift in steps, so two equal
    lifts can differ in their last bit; here each measure is a ratio of exact
    integer products, rounded once, so equal ratios compare equal.
    """
    n = baskets.num_orders
    item_count = np.bincount(baskets.matrix.indices, minlength=baskets.num_products)
    count = rules.count.astype(np.float64)
    antecedent_count = np.rint(rules.antecedent_support * n)
    consequent_count = item_count[rules.consequent].astype(np.float64)
    confidence = count / antecedent_count
    lift = (count * n) / (antecedent_count * consequent_count)

    return confidence, lift


def _antecedent_matrix(rules: RuleSet, num_products: int) -> sparse.csr_array:
    """Return ``[num_rules, num_products]`` ones where a rule's antecedent holds."""
    ones = np.ones(len(rules.antecedent_items), dtype=np.float64)

    return sparse.csr_array(
        (ones, rules.antecedent_items, rules.antecedent_indptr),
        shape=(len(rules), num_products),
    )


def _tie_broken(measure: FloatArray, count: IndexArray) -> FloatArray:
    """Return ``[num_rules]`` scores: the measure plus the support tie-break.

    ``count / max(count)`` is ``support / max_support``; see
    :class:`RulesRecommender`.
    """
    most = max(1, int(count.max(initial=0)))

    return measure + _tie_scale(measure) * (count / most)


def _priority(measure: FloatArray, count: IndexArray) -> IndexArray:
    """Return each rule's place when ranked by measure, then support, then order.

    Returns:
        numpy.ndarray: ``[num_rules]`` from 1 (worst) to ``num_rules`` (best); of
        two rules equal in measure and support, the earlier one in the canonical
        rule order ranks higher.
    """
    num_rules = len(measure)
    order = np.lexsort((-np.arange(num_rules), count, measure))
    priority = np.empty(num_rules, dtype=np.int64)
    priority[order] = np.arange(1, num_rules + 1)

    return priority


def _tie_scale(measure: FloatArray) -> float:
    """Return half the smallest gap between different measures, at most 1e-6."""
    gaps = np.diff(np.unique(measure))
    if len(gaps) == 0:
        return _MAX_TIE_SCALE

    return min(_MAX_TIE_SCALE, float(gaps.min()) / 2.0)


def _check_parameters(
    min_support: float, min_confidence: float, max_len: int, measure: str
) -> None:
    """Raise :class:`ConfigurationError` for a parameter out of its range."""
    if isinstance(min_support, bool) or not 0.0 < min_support <= 1.0:
        raise ConfigurationError(
            f"min_support is {min_support!r}; use a fraction of baskets in (0, 1], "
            "such as 0.01 for 1 %."
        )
    if isinstance(min_confidence, bool) or not 0.0 <= min_confidence <= 1.0:
        raise ConfigurationError(
            f"min_confidence is {min_confidence!r}; use a fraction in [0, 1]."
        )
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 2:
        raise ConfigurationError(f"max_len is {max_len!r}; use a whole number >= 2.")
    if measure not in RULE_MEASURES:
        raise ConfigurationError(
            f"Cannot score rules by {measure!r}; use one of {', '.join(RULE_MEASURES)}."
        )
