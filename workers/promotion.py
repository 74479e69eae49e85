"""The promotion rule: a retrained run is served only if it is not clearly worse."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: The figure runs are compared by: NDCG@10 of basket completion on the latest
#: tenth of the training baskets, which every training run measures.
METRIC = "validation_ndcg"


@dataclass(frozen=True)
class Promotion:
    """What :func:`decide_promotion` decided, and why."""

    promote: bool
    reason: str
    candidate: float
    incumbent: float | None
    margin: float

    def to_dict(self) -> dict[str, Any]:
        """Return the decision as plain data."""
        return asdict(self)


def decide_promotion(
    candidate: dict[str, Any], incumbent: dict[str, Any] | None, margin: float
) -> Promotion:
    """Decide whether a candidate run replaces the active one.

    The candidate is promoted when there is no active run, or when its figure is at
    least ``(1 - margin)`` times the active run's: a small loss is accepted (new
    data changes the validation baskets too), a larger one keeps the active run
    served.

    Args:
        candidate (dict[str, Any]): The candidate run's metrics.
        incumbent (dict[str, Any], optional): The active run's metrics, or
            ``None`` when no run is active.
        margin (float): The relative loss allowed, such as ``0.02``.

    Returns:
        Promotion: The decision and a sentence saying why.
    """
    score = float(candidate.get(METRIC, math.nan))
    if math.isnan(score):
        return Promotion(
            False, f"The candidate has no {METRIC} to judge it by.", score, None, margin
        )
    if incumbent is None or math.isnan(float(incumbent.get(METRIC, math.nan))):
        return Promotion(True, "No active run to compare with.", score, None, margin)
    best = float(incumbent[METRIC])
    floor = best * (1.0 - margin)
    if score >= floor:
        return Promotion(
            True,
            f"{METRIC} {score:.4f} is not below {floor:.4f}, the active run's "
            f"{best:.4f} less {margin:.0%}.",
            score,
            best,
            margin,
        )

    return Promotion(
        False,
        f"{METRIC} {score:.4f} is below {floor:.4f}, the active run's {best:.4f} "
        f"less {margin:.0%}; the active run stays served.",
        score,
        best,
        margin,
    )
