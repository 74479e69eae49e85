"""Evaluation reports: a Markdown table, PNG plots and the JSON they are made from."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

#: Columns of the printed and Markdown tables, in order.
TABLE_COLUMNS = (
    "HR@5",
    "HR@10",
    "HR@20",
    "NDCG@5",
    "NDCG@10",
    "NDCG@20",
    "MRR",
    "coverage",
    "answerable",
)


def format_table(results: dict[str, dict[str, Any]], task: str) -> str:
    """Return one task's results as a Markdown table, one row per method.

    NDCG@10 is shown with its 95 % bootstrap interval when it was computed.
    """
    columns = [c for c in TABLE_COLUMNS if any(c in r[task] for r in results.values())]
    header = "| method | " + " | ".join(columns) + " |"
    lines = [header, "|" + "---|" * (len(columns) + 1)]
    for method, result in results.items():
        figures = result[task]
        cells = []
        for column in columns:
            value = figures.get(column, math.nan)
            cell = f"{value:.4f}"
            low, high = figures.get(f"{column}_low"), figures.get(f"{column}_high")
            if low is not None and high is not None:
                cell += f" [{low:.4f}, {high:.4f}]"
            cells.append(cell)
        lines.append(f"| {method} | " + " | ".join(cells) + " |")

    return "\n".join(lines)


def write_report(
    folder: Path, title: str, context: dict[str, Any], results: dict[str, Any]
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and PNG plots into ``folder``.

    Args:
        folder (Path): Created if missing.
        title (str): The report's heading.
        context (dict[str, Any]): Dataset, split, counts: shown above the tables.
        results (dict[str, Any]): Method → task → metric → value.

    Returns:
        dict[str, Path]: The files written, by kind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = {"json": folder / "report.json", "markdown": folder / "report.md"}
    files["json"].write_text(
        json.dumps({"context": context, "results": results}, indent=2, default=str)
    )
    plots = _plot(folder, results)
    files.update(plots)
    lines = [f"# {title}", ""]
    lines += [f"- **{key}**: {value}" for key, value in context.items()]
    for task, heading in (
        ("completion", "Basket completion (hold one out, full catalogue ranking)"),
        ("related", "Related products (top partners against test co-purchases)"),
    ):
        if any(task in r for r in results.values()):
            lines += ["", f"## {heading}", "", format_table(results, task)]
            if f"{task}_ndcg" in plots:
                lines += ["", f"![{task}]({plots[f'{task}_ndcg'].name})"]
    files["markdown"].write_text("\n".join(lines) + "\n")

    return files


def _plot(folder: Path, results: dict[str, Any]) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only; never a display
    import matplotlib.pyplot as plt

    written = {}
    for task in ("completion", "related"):
        methods = [m for m, r in results.items() if task in r]
        if not methods:
            continue
        figure, axis = plt.subplots(figsize=(7, 4))
        for offset, k in enumerate((5, 10, 20)):
            values = [results[m][task].get(f"NDCG@{k}", math.nan) for m in methods]
            positions = [i + (offset - 1) * 0.27 for i in range(len(methods))]
            errors = None
            if k == 10 and task == "completion":
                errors = [
                    [
                        v - results[m][task].get("NDCG@10_low", v)
                        for m, v in zip(methods, values, strict=True)
                    ],
                    [
                        results[m][task].get("NDCG@10_high", v) - v
                        for m, v in zip(methods, values, strict=True)
                    ],
                ]
            axis.bar(positions, values, width=0.27, label=f"NDCG@{k}", yerr=errors)
        axis.set_xticks(range(len(methods)), methods)
        axis.set_ylabel("NDCG")
        axis.set_title(f"{task}: NDCG@K by method (95 % interval on @10)")
        axis.legend()
        figure.tight_layout()
        path = folder / f"{task}_ndcg.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written[f"{task}_ndcg"] = path

    return written
