"""The ``basketgraph`` command line: one entry point for every service and job."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from neo4j import Driver
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from basketgraph import __version__
from basketgraph.config import Settings, check_dataset_name
from basketgraph.exceptions import BasketgraphError, ConfigurationError
from basketgraph.progress import TerminalProgress
from basketgraph.sources import FORMATS
from basketgraph.trainable import MODELS, PIPELINE_MODELS

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)  # set by the group callback

    return settings


@contextmanager
def open_driver(settings: Settings) -> Iterator[Driver]:
    """Open a driver to the configured Neo4j for one command, and close it."""
    from basketgraph.graphdb.connection import connect

    driver = connect(settings)
    try:
        yield driver
    finally:
        driver.close()


def _emit(as_json: bool, data: Any, line: str) -> None:
    """Print a machine-readable summary or the human one-liner."""
    if as_json:
        if is_dataclass(data) and not isinstance(data, type):
            data = asdict(data)
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        click.echo(line)


def json_option(func: F) -> F:
    """Add ``--json`` to a command."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print a JSON summary instead."
    )(func)


class BasketgraphGroup(click.Group):
    """Turns expected errors into one line on standard error and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, reporting known errors without a traceback."""
        try:
            return super().invoke(ctx)
        except BasketgraphError as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(1)
        except ServiceUnavailable as e:
            click.echo(
                f"Error: Neo4j is unavailable ({e}). Start it with "
                "'basketgraph neo4j start'.",
                err=True,
            )
            sys.exit(1)
        except Neo4jError as e:
            click.echo(f"Error: Neo4j refused the operation: {e.message}", err=True)
            sys.exit(1)


@click.group(cls=BasketgraphGroup)
@click.version_option(__version__, prog_name="basketgraph")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Learn which products go together, keep it in Neo4j, and serve it."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("neo4j").setLevel(max(level, logging.WARNING))
    try:
        ctx.obj = Settings.from_env()
    except ConfigurationError as e:
        raise click.UsageError(str(e)) from e


# -- services ---------------------------------------------------------------------


@cli.group()
def neo4j() -> None:
    """Run the local Neo4j server (assembled from Maven Central)."""


@neo4j.command("start")
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait.")
@click.pass_context
def neo4j_start(ctx: click.Context, timeout: float) -> None:
    """Start Neo4j, wait until Bolt answers, and apply schema migrations."""
    from basketgraph.graphdb.migrations import apply_migrations
    from basketgraph.graphdb.server import Neo4jServer

    settings = _settings(ctx)
    server = Neo4jServer(settings)
    started = server.start(timeout=timeout)
    with open_driver(settings) as driver:
        applied = apply_migrations(driver)
    state = "started" if started else "already running"
    extra = f"; applied migrations {', '.join(applied)}" if applied else ""
    click.echo(f"Neo4j {state} on {settings.neo4j_uri} (home {server.home}){extra}.")


@neo4j.command("stop")
@click.pass_context
def neo4j_stop(ctx: click.Context) -> None:
    """Stop Neo4j."""
    from basketgraph.graphdb.server import Neo4jServer

    stopped = Neo4jServer(_settings(ctx)).stop()
    click.echo("Neo4j stopped." if stopped else "Neo4j was not running.")


@neo4j.command("status")
@json_option
@click.pass_context
def neo4j_status(ctx: click.Context, as_json: bool) -> None:
    """Say whether Neo4j runs; exit status 3 when it does not."""
    from basketgraph.graphdb.server import Neo4jServer

    status = Neo4jServer(_settings(ctx)).status()
    if status.running:
        line = (
            f"Neo4j is running (pid {status.pid}) on {status.uri}, "
            f"{'answering' if status.bolt_ready else 'not answering yet'}."
        )
    else:
        line = f"Neo4j is not running (home {status.home})."
    _emit(as_json, status, line)
    if not status.running:
        sys.exit(3)


@cli.group()
def redis() -> None:
    """Run the local Redis server (Celery's broker)."""


@redis.command("start")
@click.pass_context
def redis_start(ctx: click.Context) -> None:
    """Start Redis on 127.0.0.1 and wait until it answers."""
    from basketgraph.workers.redis_server import RedisServer

    settings = _settings(ctx)
    started = RedisServer(settings).start()
    state = "started" if started else "already running"
    click.echo(f"Redis {state} on {settings.redis_url}.")


@redis.command("stop")
@click.pass_context
def redis_stop(ctx: click.Context) -> None:
    """Stop Redis."""
    from basketgraph.workers.redis_server import RedisServer

    stopped = RedisServer(_settings(ctx)).stop()
    click.echo("Redis stopped." if stopped else "Redis was not running.")


@redis.command("status")
@json_option
@click.pass_context
def redis_status(ctx: click.Context, as_json: bool) -> None:
    """Say whether Redis runs; exit status 3 when it does not."""
    from basketgraph.workers.redis_server import RedisServer

    status = RedisServer(_settings(ctx)).status()
    line = (
        f"Redis is running (pid {status.pid}) on {status.url}."
        if status.running
        else "Redis is not running."
    )
    _emit(as_json, status, line)
    if not status.running:
        sys.exit(3)


# -- data -------------------------------------------------------------------------


def dataset_option(func: F) -> F:
    """Add ``--dataset`` to a command."""
    return click.option(
        "--dataset",
        default=None,
        help="Dataset to work on (default: $BASKETGRAPH_DATASET or 'default').",
    )(func)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_name",
    required=True,
    type=click.Choice(FORMATS),
    help="Layout of the input file.",
)
@dataset_option
@click.option("--strict", is_flag=True, help="Refuse the whole file if any row is bad.")
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write bad rows (default: under $BASKETGRAPH_HOME/rejects).",
)
@click.option(
    "--categories",
    type=click.Path(path_type=Path),
    default=None,
    help="Category file (item,level2,level1) for the groceries format.",
)
@json_option
@click.pass_context
def ingest(
    ctx: click.Context,
    path: Path,
    format_name: str,
    dataset: str | None,
    strict: bool,
    rejects: Path | None,
    categories: Path | None,
    as_json: bool,
) -> None:
    """Load purchase data from PATH into a dataset of the graph."""
    from basketgraph.graphdb.ingest import ingest_file

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    rejects = rejects or default_rejects_path(settings, dataset, path)
    with open_driver(settings) as driver:
        summary = ingest_file(
            driver,
            path,
            format_name,
            dataset,
            rejects_path=rejects,
            strict=strict,
            categories=categories,
            progress=TerminalProgress(f"ingest {path.name}"),
        )
    line = (
        f"Ingested {path} into dataset {dataset!r}: {summary.rows_read:,} rows read, "
        f"{summary.rows_loaded:,} loaded, {summary.rows_rejected:,} rejected; "
        f"orders {summary.orders_created:,} new, {summary.orders_updated:,} updated, "
        f"{summary.orders_unchanged:,} unchanged; {summary.nodes_created:,} nodes "
        f"and {summary.relationships_created:,} relationships created in "
        f"{summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s)."
    )
    if summary.rejects_file:
        line += f" Rejected rows: {summary.rejects_file}"
    _emit(as_json, summary.to_dict(), line)


def default_rejects_path(settings: Settings, dataset: str, path: Path) -> Path:
    """Return where the rejects of loading ``path`` into ``dataset`` go by default."""
    return settings.rejects_file(dataset, path)


def _parse_day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(
            f"{value!r} is not a date: write it as YYYY-MM-DD.", param_hint=option
        ) from e

    return day if day.tzinfo else day.replace(tzinfo=UTC)


@cli.command()
@dataset_option
@click.option(
    "--min-support",
    type=float,
    default=0.01,
    show_default=True,
    help="Least share of baskets an itemset must be in.",
)
@click.option(
    "--min-confidence",
    type=float,
    default=0.1,
    show_default=True,
    help="Least confidence of a rule.",
)
@click.option(
    "--max-len",
    type=int,
    default=3,
    show_default=True,
    help="Most items in a rule, both sides together.",
)
@click.option(
    "--top-k",
    type=int,
    default=20,
    show_default=True,
    help="Partners written per product as BOUGHT_WITH.",
)
@click.option(
    "--rank-by",
    default="leverage",
    show_default=True,
    help="Measure that ranks a product's partners.",
)
@click.option(
    "--min-pair-count",
    type=int,
    default=2,
    show_default=True,
    help="Least baskets a pair must share to be a partner.",
)
@click.option(
    "--max-rules",
    type=int,
    default=1_000_000,
    show_default=True,
    help="Stop with an error rather than produce more rules.",
)
@click.option("--since", default=None, help="Only orders placed on or after this day.")
@click.option("--until", default=None, help="Only orders placed before this day.")
@click.option("--country", default=None, help="Only orders from this country.")
@click.option(
    "--category",
    default=None,
    help="Only products in this category (its path) or below it.",
)
@json_option
@click.pass_context
def mine(
    ctx: click.Context,
    dataset: str | None,
    min_support: float,
    min_confidence: float,
    max_len: int,
    top_k: int,
    rank_by: str,
    min_pair_count: int,
    max_rules: int,
    since: str | None,
    until: str | None,
    country: str | None,
    category: str | None,
    as_json: bool,
) -> None:
    """Mine pair statistics and association rules, and make them the active run."""
    from basketgraph.graphdb.export import BasketFilter
    from basketgraph.graphdb.mining_job import MiningParams, run_mining

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    params = MiningParams(
        min_support=min_support,
        min_confidence=min_confidence,
        max_len=max_len,
        top_k=top_k,
        rank_by=rank_by,
        min_pair_count=min_pair_count,
        max_rules=max_rules,
        where=BasketFilter(
            start=_parse_day(since, "--since"),
            end=_parse_day(until, "--until"),
            country=country,
            category=category,
        ),
    )
    with open_driver(settings) as driver:
        summary = run_mining(driver, dataset, params)
    line = (
        f"Mined dataset {dataset!r} (run {summary.run_id}, now active): "
        f"{summary.baskets:,} baskets, {summary.products:,} products, "
        f"{summary.pairs:,} co-purchased pairs, {summary.partners_written:,} "
        f"BOUGHT_WITH and {summary.rules_written:,} rules written in "
        f"{summary.seconds:.1f} s (export {summary.seconds_export:.1f} s, mining "
        f"{summary.seconds_mining:.1f} s, writing {summary.seconds_writing:.1f} s)."
    )
    _emit(as_json, summary.to_dict(), line)


@cli.command()
@dataset_option
@click.option(
    "--top-k",
    type=int,
    default=20,
    show_default=True,
    help="Neighbours written per product as SIMILAR_TO.",
)
@click.option(
    "--min-score",
    type=float,
    default=0.3,
    show_default=True,
    help="Least cosine similarity of a SIMILAR_TO neighbour.",
)
@json_option
@click.pass_context
def embed(
    ctx: click.Context,
    dataset: str | None,
    top_k: int,
    min_score: float,
    as_json: bool,
) -> None:
    """Embed product texts, index them, and link similar products (SIMILAR_TO).

    The encoder is $BASKETGRAPH_TEXT_ENCODER, by default the bundled
    all-MiniLM-L6-v2; products whose text did not change are not encoded again.
    """
    from basketgraph.graphdb.embed_job import EmbedParams, run_embedding
    from basketgraph.text import make_encoder

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    params = EmbedParams(top_k=top_k, min_score=min_score)
    encoder = make_encoder(settings.text_encoder)
    bar = TerminalProgress(f"embed {dataset}")
    bar.start(None, "products")
    try:
        with open_driver(settings) as driver:
            summary = run_embedding(
                driver, dataset, encoder, params, progress=bar.advance_to
            )
    finally:
        bar.close()
    line = (
        f"Embedded dataset {dataset!r} with {summary.model} (run {summary.run_id}, "
        f"now active): {summary.products:,} products, {summary.encoded:,} encoded, "
        f"{summary.reused:,} reused, {summary.similar_written:,} SIMILAR_TO "
        f"written in {summary.seconds:.1f} s."
    )
    _emit(as_json, summary.to_dict(), line)


@cli.command()
@dataset_option
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="gcn",
    show_default=True,
    help="What to train; the hybrid writes complements and substitutes; ease is "
    "the linear model fitted in closed form (no epochs).",
)
@click.option(
    "--top-k",
    type=int,
    default=20,
    show_default=True,
    help="Partners written per product as ASSOCIATED (per kind for the hybrid).",
)
@click.option("--epochs", type=int, default=None, help="Most epochs (default: 60).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--device", default=None, help="cpu, cuda, ... (default: CUDA when present)."
)
@click.option("--since", default=None, help="Only orders placed on or after this day.")
@click.option("--until", default=None, help="Only orders placed before this day.")
@json_option
@click.pass_context
def train(
    ctx: click.Context,
    dataset: str | None,
    model: str,
    top_k: int,
    epochs: int | None,
    seed: int,
    device: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Train a graph model, write each product's ASSOCIATED partners, activate it."""
    from basketgraph.graphdb.export import BasketFilter
    from basketgraph.graphdb.train_job import TrainParams, run_training

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    hyper: dict[str, Any] = {"seed": seed, "device": device}
    if epochs is not None:
        hyper["max_epochs"] = epochs
    params = TrainParams(
        model=model,
        top_k=top_k,
        train=hyper,
        where=BasketFilter(
            start=_parse_day(since, "--since"), end=_parse_day(until, "--until")
        ),
    )
    with open_driver(settings) as driver:
        summary = run_training(
            driver,
            dataset,
            params,
            settings.home / "models",
            progress=lambda stage: _note(as_json, f"train {model}: {stage}"),
        )
    fitted = (
        f"penalty {summary.l2:g}"
        if summary.l2 is not None
        else f"best epoch {summary.best_epoch} of {summary.epochs}"
    )
    line = (
        f"Trained {model} on {dataset!r} (run {summary.run_id}, now active): "
        f"{summary.baskets:,} baskets, {summary.products:,} products, {fitted} "
        f"(validation NDCG@10 {summary.validation_ndcg:.4f}), "
        f"{summary.associated_written:,} ASSOCIATED "
        f"written in {summary.seconds:.1f} s; model saved to {summary.checkpoint}."
    )
    _emit(as_json, summary.to_dict(), line)


def _note(as_json: bool, message: str) -> None:
    """Tell a person at a terminal what is happening, on standard error."""
    if not as_json:
        click.echo(message, err=True)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    default="online-retail",
    show_default=True,
    help="Layout of PATH.",
)
@dataset_option
@click.option(
    "--models",
    default=",".join(PIPELINE_MODELS),
    show_default=True,
    help="Models trained and written back, comma-separated; the last of gcn, gat, "
    "lightgcn and ease is the one served as learned.",
)
@click.option("--no-evaluate", is_flag=True, help="Skip the evaluation.")
@json_option
@click.pass_context
def pipeline(
    ctx: click.Context,
    path: Path | None,
    format_name: str,
    dataset: str | None,
    models: str,
    no_evaluate: bool,
    as_json: bool,
) -> None:
    """Ingest, mine, embed, train, write back and evaluate, then print the table.

    PATH defaults to UCI Online Retail from ../shared/data (or $BASKETGRAPH_DATA),
    loaded as dataset 'online-retail'; without PATH and without those files, the
    dataset must already be loaded.
    """
    from basketgraph.demo import DEMO_MINING, find_demo_data
    from basketgraph.evaluation.report import format_table
    from basketgraph.graphdb.evaluation_job import EvaluationParams
    from basketgraph.graphdb.ingest import ingest_file
    from basketgraph.graphdb.pipeline import run_pipeline

    settings = _settings(ctx)
    if path is None and (found := find_demo_data(settings)) is not None:
        path, format_name = found.path, found.format
        dataset = dataset or found.dataset
    dataset = check_dataset_name(dataset or settings.dataset)
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    with open_driver(settings) as driver:

        def load() -> dict[str, Any]:
            assert path is not None
            return ingest_file(
                driver,
                path,
                format_name,
                dataset,
                rejects_path=default_rejects_path(settings, dataset, path),
            ).to_dict()

        summary = run_pipeline(
            driver,
            settings,
            dataset,
            ingest=load if path is not None else None,
            mining=DEMO_MINING,
            models=chosen,
            evaluation=None if no_evaluate else EvaluationParams(),
            on_step=lambda name: _note(as_json, f"pipeline {dataset}: {name}..."),
        )
    timings = ", ".join(f"{k} {v:.0f} s" for k, v in summary.seconds.items())
    if as_json:
        _emit(
            True,
            {
                "steps": summary.steps,
                "seconds": summary.seconds,
                "evaluation": asdict(summary.evaluation)
                if summary.evaluation
                else None,
            },
            "",
        )
        return
    if summary.evaluation is not None:
        evaluation = summary.evaluation
        click.echo(f"Evaluation of {dataset!r}, run {evaluation.run_id}:")
        for key, value in evaluation.context.items():
            click.echo(f"  {key}: {value}")
        click.echo("\nBasket completion (NDCG@10 with its 95 % bootstrap interval):")
        click.echo(format_table(evaluation.results, "completion"))
        click.echo("\nRelated products:")
        click.echo(format_table(evaluation.results, "related"))
        click.echo(f"\nReport: {evaluation.files['markdown']}")
    click.echo(
        f"Pipeline of {dataset!r} done in {summary.total_seconds:.0f} s ({timings})."
    )


@cli.command()
@dataset_option
@click.option(
    "--split",
    default=None,
    help="Train before this day, test from it on (default: the first of the "
    "month holding the order two thirds through; 2011-09-01 for Online Retail).",
)
@click.option(
    "--methods",
    default=None,
    help="Comma-separated methods, or 'baselines' (default: every method; the "
    "text, learned and hybrid ones need `basketgraph embed` first).",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where reports go (default: $BASKETGRAPH_HOME/reports/DATASET).",
)
@json_option
@click.pass_context
def evaluate(
    ctx: click.Context,
    dataset: str | None,
    split: str | None,
    methods: str | None,
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Judge every method on a temporal split and write the report."""
    from basketgraph.evaluation.report import format_table
    from basketgraph.graphdb.evaluation_job import (
        BASELINES,
        METHODS,
        EvaluationParams,
        run_evaluation,
    )

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    chosen = METHODS
    if methods == "baselines":
        chosen = BASELINES
    elif methods:
        names = [m.strip() for m in methods.split(",") if m.strip()]
        unknown = [m for m in names if m not in METHODS]
        if unknown:
            raise click.BadParameter(
                f"unknown method(s) {', '.join(map(repr, unknown))}; choose from "
                f"{', '.join(METHODS)}, or 'baselines'.",
                param_hint="--methods",
            )
        chosen = {m: METHODS[m] for m in names}
    params = EvaluationParams(split=_parse_day(split, "--split"), methods=chosen)
    folder = report_dir or settings.home / "reports" / dataset
    with open_driver(settings) as driver:
        summary = run_evaluation(driver, dataset, params, folder)
    if as_json:
        _emit(True, asdict(summary), "")
        return
    click.echo(f"Evaluation of {dataset!r}, run {summary.run_id}:")
    for key, value in summary.context.items():
        click.echo(f"  {key}: {value}")
    click.echo("\nBasket completion (NDCG@10 with its 95 % bootstrap interval):")
    click.echo(format_table(summary.results, "completion"))
    click.echo("\nRelated products:")
    click.echo(format_table(summary.results, "related"))
    click.echo(
        f"\nReport: {summary.files['markdown']} (and JSON, PNG beside it), "
        f"{summary.seconds:.1f} s."
    )


@cli.group(invoke_without_command=True)
@dataset_option
@click.option("--kind", default=None, help="Only runs of this kind (mine, ...).")
@json_option
@click.pass_context
def runs(
    ctx: click.Context, dataset: str | None, kind: str | None, as_json: bool
) -> None:
    """List the runs of a dataset, newest first; the active one is marked *."""
    if ctx.invoked_subcommand is not None:
        return
    from basketgraph.graphdb.runs import list_runs

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    with open_driver(settings) as driver:
        found = list_runs(driver, dataset, kind)
    lines = [
        f"{'*' if r.active else ' '} {r.id}  {r.kind:<8} {r.status:<9} "
        f"{r.started_at:%Y-%m-%d %H:%M:%S}"
        if r.started_at
        else r.id
        for r in found
    ]
    _emit(as_json, [asdict(r) for r in found], "\n".join(lines) or "No runs.")


@runs.command("prune")
@dataset_option
@click.option("--kind", default="mine", show_default=True, help="Kind of runs.")
@click.option(
    "--keep",
    type=int,
    default=1,
    show_default=True,
    help="Complete runs kept besides the active one.",
)
@click.pass_context
def runs_prune(ctx: click.Context, dataset: str | None, kind: str, keep: int) -> None:
    """Delete the results of old runs, keeping the active one and KEEP others."""
    from basketgraph.graphdb.writeback import prune_runs

    settings = _settings(ctx)
    dataset = check_dataset_name(dataset or settings.dataset)
    with open_driver(settings) as driver:
        pruned = prune_runs(driver, dataset, kind, keep)
    click.echo(
        f"Pruned {len(pruned)} run(s) of {dataset!r}: {', '.join(pruned) or '-'}."
    )


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def datasets(ctx: click.Context, as_json: bool) -> None:
    """List the datasets in the graph with their counts."""
    if ctx.invoked_subcommand is not None:
        return
    from basketgraph.graphdb.datasets import describe_datasets

    with open_driver(_settings(ctx)) as driver:
        found = describe_datasets(driver)
    lines = [
        f"{d.dataset}: {d.orders:,} orders ({d.returns:,} returns), "
        f"{d.products:,} products ({d.merchandise:,} merchandise), "
        f"{d.customers:,} customers, {d.categories:,} categories, "
        f"{d.contains:,} CONTAINS"
        for d in found
    ]
    _emit(as_json, [d.to_dict() for d in found], "\n".join(lines) or "No datasets.")


@datasets.command("drop")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def datasets_drop(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete dataset NAME and everything in it."""
    from basketgraph.graphdb.datasets import drop_dataset

    check_dataset_name(name)
    if not yes:
        click.confirm(f"Delete every node of dataset {name!r}?", abort=True)
    with open_driver(_settings(ctx)) as driver:
        deleted = drop_dataset(driver, name)
    click.echo(f"Dataset {name!r} dropped: {deleted:,} nodes deleted.")


@cli.command()
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--orders", type=int, default=None, help="Orders to generate.")
@click.option(
    "--lines", type=int, default=None, help="Approximate order lines (sets --orders)."
)
@click.option("--products", type=int, default=None, help="Products in the catalogue.")
@click.option("--customers", type=int, default=None, help="Customers.")
@click.option("--seed", type=int, default=None, help="Random seed.")
@json_option
def generate(
    output: Path,
    orders: int | None,
    lines: int | None,
    products: int | None,
    customers: int | None,
    seed: int | None,
    as_json: bool,
) -> None:
    """Write synthetic purchase data in the generic CSV format to OUTPUT.

    Beside it, OUTPUT.truth.json lists the planted complements and substitutes.
    """
    from basketgraph.synthetic import SyntheticConfig, generate, orders_for_lines

    config = SyntheticConfig()
    overrides: dict[str, int] = {}
    for name, value in (
        ("num_orders", orders),
        ("num_products", products),
        ("num_customers", customers),
        ("seed", seed),
    ):
        if value is not None:
            overrides[name] = value
    config = replace_config(config, **overrides)
    if lines is not None:
        config = replace_config(config, num_orders=orders_for_lines(lines, config))
    bar = TerminalProgress(f"generate {output.name}")
    bar.start(None, "lines")
    try:
        summary = generate(config, output, progress=bar.advance_to)
    finally:
        bar.close()
    line = (
        f"Wrote {summary.lines:,} order lines in {summary.orders:,} orders "
        f"({summary.products:,} products, {summary.customers:,} customers) to "
        f"{summary.output} in {summary.seconds:.1f} s; planted pairs in "
        f"{summary.truth}."
    )
    _emit(as_json, summary, line)


@cli.command()
@json_option
@click.pass_context
def demo(ctx: click.Context, as_json: bool) -> None:
    """Load the UCI Online Retail data (or generated data) and show what was loaded.

    The data comes from ../shared/data when present, else from $BASKETGRAPH_DATA,
    else it is generated. Neo4j must be running.
    """
    from basketgraph.demo import (
        DEMO_MINING,
        SYNTHETIC_LINES,
        DemoData,
        find_demo_data,
        synthetic_demo_path,
    )
    from basketgraph.graphdb.datasets import describe_datasets
    from basketgraph.graphdb.ingest import ingest_file
    from basketgraph.graphdb.mining_job import run_mining
    from basketgraph.graphdb.queries import bestseller_partners
    from basketgraph.graphdb.writeback import prune_runs

    settings = _settings(ctx)
    data = find_demo_data(settings)
    if data is None:
        from basketgraph.synthetic import SyntheticConfig, generate, orders_for_lines

        path = synthetic_demo_path(settings)
        if not path.exists():
            config = SyntheticConfig()
            config = replace_config(
                config, num_orders=orders_for_lines(SYNTHETIC_LINES, config)
            )
            generate(config, path)
        data = DemoData(path, "csv", "synthetic", "generated (no real data found)")
    with open_driver(settings) as driver:
        summary = ingest_file(
            driver,
            data.path,
            data.format,
            data.dataset,
            rejects_path=default_rejects_path(settings, data.dataset, data.path),
            progress=TerminalProgress(f"ingest {data.path.name}"),
        )
        (counts,) = describe_datasets(driver, data.dataset)
        mined = run_mining(driver, data.dataset, DEMO_MINING)
        # Running the demo again must not pile up runs: keep the previous one only.
        prune_runs(driver, data.dataset, "mine", keep=1)
        example = bestseller_partners(driver, data.dataset, mined.run_id)
    result = {
        "data": str(data.path),
        "origin": data.origin,
        "ingest": summary.to_dict(),
        "graph": counts.to_dict(),
        "mining": mined.to_dict(),
        "example": example,
    }
    lines = [
        f"Loaded {data.path} ({data.origin}) as dataset {data.dataset!r} in "
        f"{summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s, "
        f"{summary.rows_rejected:,} rejected). The graph now holds "
        f"{counts.orders:,} orders ({counts.returns:,} returns), "
        f"{counts.products:,} products ({counts.merchandise:,} merchandise), "
        f"{counts.customers:,} customers, {counts.categories:,} categories and "
        f"{counts.contains:,} CONTAINS relationships in that dataset.",
        f"Mined it in {mined.seconds:.1f} s (run {mined.run_id}, active): "
        f"{mined.partners_written:,} BOUGHT_WITH and {mined.rules_written:,} rules "
        f"at support {DEMO_MINING.min_support:g}.",
    ]
    if example:
        lines.append(f"Most often bought with {example['title']!r}:")
        lines += [
            f"  {p['title']} (lift {p['lift']:.1f}, together in {p['count']} orders)"
            for p in example["partners"]
        ]
    _emit(as_json, result, "\n".join(lines))


def replace_config(config: Any, **changes: Any) -> Any:
    """Return a copy of a frozen dataclass with ``changes`` applied."""
    from dataclasses import replace

    return replace(config, **changes)


from basketgraph.workers.commands import beat, jobs, worker  # noqa: E402 - they use cli

cli.add_command(worker)
cli.add_command(beat)
cli.add_command(jobs)


from basketgraph.web.commands import keys, serve  # noqa: E402 - registered on cli

cli.add_command(keys)
cli.add_command(serve)


def main() -> None:
    """Run the command line."""
    cli(prog_name="basketgraph")
