"""Finding the data that the main job loads: real data when present, else generated."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from basketgraph.config import Settings
from basketgraph.graphdb.mining_job import MiningParams

#: The UCI Online Retail file, relative to the shared data folder.
ONLINE_RETAIL = Path("uci_online_retail") / "online_retail.csv.gz"
#: Order lines of the generated stand-in when no real data is found.
SYNTHETIC_LINES = 200_000
#: How the demo mines what it loaded: on Online Retail about 30,000 rules.
DEMO_MINING = MiningParams(min_support=0.005, min_confidence=0.05, min_pair_count=10)


@dataclass(frozen=True)
class DemoData:
    """A file to load and how."""

    path: Path
    format: str
    dataset: str
    #: Where the file came from, in words, for the summary.
    origin: str


def shared_data_dirs() -> list[Path]:
    """Return the places where ``../shared/data`` may be, nearest first.

    The checkout's parent holds ``shared/`` in development and CI; the current
    directory's parent is tried too for an installed package.
    """
    checkout = Path(__file__).resolve().parents[2]
    candidates = [
        checkout.parent / "shared" / "data",
        Path.cwd().parent / "shared" / "data",
    ]
    unique: list[Path] = []
    for candidate in candidates:
        if candidate not in unique:
            unique.append(candidate)

    return unique


def find_demo_data(settings: Settings) -> DemoData | None:
    """Return the real data to load, or ``None`` when only generated data will do.

    Looks for ``../shared/data/uci_online_retail/online_retail.csv.gz`` first, then
    the file named by ``BASKETGRAPH_DATA`` (format ``BASKETGRAPH_DATA_FORMAT``,
    default ``online-retail``).
    """
    for folder in shared_data_dirs():
        if (folder / ONLINE_RETAIL).is_file():
            return DemoData(
                folder / ONLINE_RETAIL, "online-retail", "online-retail", "shared data"
            )
    if named := os.environ.get("BASKETGRAPH_DATA"):
        path = Path(named).expanduser()
        if path.is_dir():
            path = path / ONLINE_RETAIL
        return DemoData(
            path,
            os.environ.get("BASKETGRAPH_DATA_FORMAT", "online-retail"),
            "online-retail",
            "BASKETGRAPH_DATA",
        )

    return None


def synthetic_demo_path(settings: Settings) -> Path:
    """Return where the generated stand-in data set is written."""
    return settings.home / "data" / "synthetic.csv.gz"
