"""Benchmark graph-model training (seconds per epoch) and export from Neo4j.

GCN, GAT and LightGCN are trained on the Online Retail product graph. The export
is timed against a plain driver read of the same ``CONTAINS`` rows in the same run
(the ceiling for anything that reads them), and each model's epoch against GCN's.
Run against a server holding the dataset (``basketgraph pipeline`` loads it):

    .venv/bin/python bench/train.py --dataset online-retail [--device cuda]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from basketgraph.config import Settings
from basketgraph.gnn.training import TrainConfig, train_model
from basketgraph.graphdb.connection import connect
from basketgraph.graphdb.graph_export import export_hetero, export_training_data

_RAW = """
MATCH (o:Order {dataset: $dataset})-[c:CONTAINS]->(p:Product)
WHERE NOT o:Return AND p.merchandise
RETURN o.id AS order, p.sku AS sku, c.quantity AS quantity
"""


def main() -> None:
    """Print export rates and seconds per epoch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="online-retail")
    parser.add_argument("--epochs", type=int, default=5, help="Epochs per model.")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: auto).")
    parser.add_argument(
        "--models", default="gcn,gat,lightgcn", help="Comma-separated models."
    )
    args = parser.parse_args()
    driver = connect(Settings.from_env())

    started = time.perf_counter()
    with driver.session(fetch_size=5_000) as session:
        rows = session.execute_read(
            lambda tx: sum(1 for _ in tx.run(_RAW, dataset=args.dataset))
        )
    raw = time.perf_counter() - started
    if rows == 0:
        raise SystemExit(f"Dataset {args.dataset!r} holds no orders; load it first.")

    started = time.perf_counter()
    export = export_training_data(driver, args.dataset)
    training = time.perf_counter() - started
    started = time.perf_counter()
    hetero, _ = export_hetero(driver, args.dataset)
    hetero_seconds = time.perf_counter() - started
    driver.close()
    print(f"CONTAINS rows: {rows:,}")
    print(f"plain driver read        {raw:6.2f} s  {rows / raw:10,.0f} rows/s")
    print(
        f"training export          {training:6.2f} s  {rows / training:10,.0f} rows/s"
        f"  ({raw / training:.2f}x the plain read)"
    )
    print(
        f"HeteroData export        {hetero_seconds:6.2f} s  "
        f"{rows / hetero_seconds:10,.0f} rows/s  ({raw / hetero_seconds:.2f}x)"
    )
    graph = export.product_graph()
    print(
        f"product graph: {graph.num_products:,} products, "
        f"{graph.edge_index.shape[1]:,} edges, {graph.x.shape[1]} features; "
        f"hetero: {hetero.num_nodes:,} nodes, {hetero.num_edges:,} edges"
    )

    per_epoch: dict[str, float] = {}
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        config = TrainConfig(
            model=model,
            max_epochs=args.epochs,
            patience=args.epochs,
            device=args.device,
        )
        result = train_model(export.baskets, export.side, config)
        # The first epoch carries one-off costs (caches, allocator warm-up).
        seconds = [h["seconds"] for h in result.history[1:]] or [
            result.history[0]["seconds"]
        ]
        per_epoch[model] = float(np.median(seconds))
        device = config.resolved_device()
        print(
            f"{model:<9} {per_epoch[model]:6.3f} s/epoch ({config.steps_per_epoch} "
            f"steps of {config.batch_size} pairs, validation included) on {device}"
            + (
                f"  ({per_epoch[model] / per_epoch['gcn']:.2f}x GCN)"
                if "gcn" in per_epoch and model != "gcn"
                else ""
            )
        )


if __name__ == "__main__":
    main()
