"""Mining speed: our ``mine_rules`` against raw pyfim and mlxtend, same run.

For each data set (FIMI retail.dat, then the arules Groceries baskets), mines rules
with one consequent at the same minimum support, minimum confidence and maximum
length three ways:

* ``mine_rules`` on the :class:`BasketMatrix` (what the platform runs);
* raw pyfim, ``fim.fpgrowth(target="r")`` on the baskets as read from the file;
* mlxtend, ``fpgrowth`` then ``association_rules`` on a one-hot DataFrame (sparse
  for retail, whose dense one would take 1.4 GB), keeping rules with one
  consequent.

Preparing each tool's input is not timed. pyfim and ours are timed as the best of
several runs, mlxtend (seconds per run) as the best of fewer. Prints the times,
the rule counts (which must be equal) and the ratios, against the targets of the
issue: ours within 1.5x of the fastest, and at least 20x faster than mlxtend.
Exits 1 if the rule counts differ. Needs ../shared/data; runs in about a minute.

Usage: .venv/bin/python bench/mining.py
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import fim  # type: ignore[import-not-found]  # pyfim is a C extension without stubs
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from scipy import sparse

from basketgraph.mining.baskets import BasketMatrix
from basketgraph.mining.pairs import pair_statistics
from basketgraph.mining.rules import mine_rules, support_count

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET_OF_FASTEST = 1.5
TARGET_OVER_MLXTEND = 20.0


@dataclass(frozen=True)
class Case:
    """One data set and the parameters to mine it with."""

    name: str
    path: Path
    separator: str
    min_support: float
    min_confidence: float
    max_len: int
    #: Timed runs of ours and of raw pyfim, and of mlxtend.
    repeats: int
    mlxtend_repeats: int
    #: Why this support: mlxtend must finish in reasonable time.
    note: str


CASES = (
    Case(
        "FIMI retail.dat",
        DATA / "fimi_benchmarks" / "retail.dat",
        " ",
        min_support=0.001,
        min_confidence=0.1,
        max_len=3,
        repeats=7,
        mlxtend_repeats=1,
        note=(
            "support 0.1 % (89 baskets): mlxtend needs ~8 s here, ~15 s at 0.02 %; "
            "pyfim and ours stay under 0.3 s at both."
        ),
    ),
    Case(
        "arules Groceries",
        DATA / "arules_groceries" / "groceries_baskets.csv",
        ",",
        min_support=0.002,
        min_confidence=0.1,
        max_len=3,
        repeats=15,
        mlxtend_repeats=3,
        note="support 0.2 % (20 baskets).",
    ),
)


def read_baskets(path: Path, separator: str) -> list[list[str]]:
    """Read one basket per line, items as strings, as a pyfim user would."""
    with path.open(encoding="utf-8") as lines:
        return [
            [item for item in line.strip().split(separator) if item] for line in lines
        ]


def best_time(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Return the shortest of ``repeats`` runs in seconds, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)

    return min(times), result


def run_ours(case: Case, baskets: BasketMatrix) -> tuple[float, int]:
    """Time ``mine_rules``; return seconds and rule count."""
    seconds, rules = best_time(
        lambda: mine_rules(
            baskets, case.min_support, case.min_confidence, max_len=case.max_len
        ),
        case.repeats,
    )

    return seconds, len(rules)


def run_pyfim(case: Case, transactions: list[list[str]]) -> tuple[float, int]:
    """Time raw pyfim with the same thresholds; return seconds and rule count."""
    min_count = support_count(case.min_support, len(transactions))
    seconds, rules = best_time(
        lambda: fim.fpgrowth(
            transactions,
            target="r",
            supp=-min_count,
            conf=100 * case.min_confidence,
            zmin=2,
            zmax=case.max_len,
            report="ab",
            mode="o",
        ),
        case.repeats,
    )

    return seconds, len(rules)


def run_mlxtend(case: Case, baskets: BasketMatrix) -> tuple[float, int]:
    """Time mlxtend's FP-Growth and rules; return seconds and rule count."""
    matrix = baskets.matrix.astype(bool)
    if baskets.num_products > 1_000:
        onehot = pd.DataFrame.sparse.from_spmatrix(sparse.csc_matrix(matrix))
    else:
        onehot = pd.DataFrame(matrix.toarray())

    def mine() -> pd.DataFrame:
        itemsets = fpgrowth(onehot, min_support=case.min_support, max_len=case.max_len)
        rules = association_rules(
            itemsets,
            num_itemsets=baskets.num_orders,
            metric="confidence",
            min_threshold=case.min_confidence,
        )
        return rules[rules["consequents"].map(len) == 1]

    seconds, rules = best_time(mine, case.mlxtend_repeats)

    return seconds, len(rules)


def run_case(case: Case) -> bool:
    """Measure one case, print its table; return whether the counts agree."""
    transactions = read_baskets(case.path, case.separator)
    baskets = BasketMatrix.from_baskets(
        (str(number), items) for number, items in enumerate(transactions)
    )
    print(
        f"\n== {case.name}: {baskets.num_orders:,} baskets, "
        f"{baskets.num_products:,} products; min_support={case.min_support}, "
        f"min_confidence={case.min_confidence}, max_len={case.max_len}"
    )
    print(f"   {case.note}")
    results = {
        "basketgraph mine_rules": run_ours(case, baskets),
        "pyfim fpgrowth (raw)": run_pyfim(case, transactions),
        "mlxtend fpgrowth+rules": run_mlxtend(case, baskets),
    }
    fastest = min(seconds for seconds, _ in results.values())
    print(f"   {'tool':<24}{'seconds':>10}{'rules':>10}{'x fastest':>11}")
    for tool, (seconds, count) in results.items():
        print(f"   {tool:<24}{seconds:>10.4f}{count:>10,}{seconds / fastest:>11.2f}")
    ours = results["basketgraph mine_rules"][0]
    mlxtend = results["mlxtend fpgrowth+rules"][0]
    counts = {count for _, count in results.values()}
    print(
        f"   ours / fastest = {ours / fastest:.2f} (target <= {TARGET_OF_FASTEST}: "
        f"{verdict(ours / fastest <= TARGET_OF_FASTEST)}); mlxtend / ours = "
        f"{mlxtend / ours:.1f} (target >= {TARGET_OVER_MLXTEND:.0f}: "
        f"{verdict(mlxtend / ours >= TARGET_OVER_MLXTEND)}); rule counts "
        f"{'equal' if len(counts) == 1 else 'DIFFER'}"
    )

    return len(counts) == 1


def time_pairs(path: Path, separator: str) -> None:
    """Print how long the statistics of every co-purchased pair take."""
    transactions = read_baskets(path, separator)
    baskets = BasketMatrix.from_baskets(
        (str(number), items) for number, items in enumerate(transactions)
    )
    start = time.perf_counter()
    pairs = pair_statistics(baskets)
    middle = time.perf_counter()
    top = pairs.top_partners(k=20)
    end = time.perf_counter()
    print(
        f"\n== pair_statistics on {path.name} ({baskets.num_products:,} products): "
        f"{len(pairs):,} pairs in {middle - start:.2f} s; top 20 partners of each "
        f"product ({len(top):,} rows) in {end - middle:.2f} s"
    )


def verdict(met: bool) -> str:
    """Return how a target fared."""
    return "met" if met else "MISSED"


def main() -> int:
    """Run every case; return 1 if any rule counts differ."""
    missing = [case.path for case in CASES if not case.path.exists()]
    if missing:
        print(f"Data files missing: {', '.join(map(str, missing))}; see {DATA}.")
        return 1
    print(
        f"Python {platform.python_version()}, pyfim {version('pyfim')}, mlxtend "
        f"{version('mlxtend')}, pandas {pd.__version__}; input preparation not timed"
    )
    agree = [run_case(case) for case in CASES]
    time_pairs(CASES[0].path, CASES[0].separator)

    return 0 if all(agree) else 1


if __name__ == "__main__":
    sys.exit(main())
