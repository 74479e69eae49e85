"""The web console: server-rendered pages for merchandisers and analysts.

People log in with an API key; the session keeps the key's id, never its token,
and is checked against the graph on every page, so a revoked key logs out at once.
Every form carries a CSRF token tied to the session.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from basketgraph.config import check_dataset_name
from basketgraph.exceptions import ConfigurationError, InputError, ServiceError
from basketgraph.graphdb.console import QueryRefusedError, run_read_query
from basketgraph.graphdb.curation import add_curation, list_audit, list_curations
from basketgraph.graphdb.curation import remove_curation as remove
from basketgraph.graphdb.keys import get_key
from basketgraph.graphdb.runs import list_runs
from basketgraph.graphdb.serving import (
    KINDS,
    RULE_SORTS,
    RuleQuery,
    choose_active_run,
    get_product,
    graph_counts,
    list_rules,
    neighbourhood,
    related_products,
    search_products,
)
from basketgraph.web.auth import Principal
from basketgraph.web.services import services
from basketgraph.workers.jobs import (
    JOB_STEPS,
    STEP_PARAMS,
    cancel_job,
    get_job,
    list_jobs,
    submit_job,
)

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint("console", __name__)


# -- session, CSRF, dataset ------------------------------------------------------


def csrf_token() -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token

    return token


@blp.before_request
def check_csrf() -> None:
    """Refuse a console form whose CSRF token is not the session's."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        abort(
            400,
            "The form's security token is missing or expired: reload the page and "
            "send the form again.",
        )


@blp.app_context_processor
def template_globals() -> dict[str, Any]:
    """Give every template the CSRF token, the user and the dataset."""
    return {
        "csrf_token": csrf_token,
        "user": g.get("user"),
        "dataset": g.get("dataset", services().settings.dataset),
        "to_json": _to_json,
    }


def _to_json(value: Any) -> Markup:
    """Return JSON safe to embed in a ``<script type="application/json">``."""
    text = json.dumps(value, default=str).replace("<", "\\u003c")

    return Markup(text)  # "<" is escaped, so no tag can close early


def login_required(role: str = "read") -> Callable[[F], F]:
    """Send people who are not logged in (or below ``role``) to the login page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key_id = session.get("key_id")
            key = get_key(services().driver, key_id) if key_id else None
            if key is None:
                session.pop("key_id", None)
                return redirect(url_for("console.login", next=request.full_path))
            g.user = Principal(name=key.name, role=key.role, key_id=key.id)
            if not g.user.allows(role):
                abort(
                    403,
                    f"Your key {key.name!r} has role {key.role!r}; this page needs "
                    f"{role!r}. Log in with a key that has it.",
                )
            g.dataset = _dataset()
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # same signature as view

    return decorate


def _dataset() -> str:
    name = request.values.get("dataset") or services().settings.dataset
    try:
        return check_dataset_name(name)
    except ConfigurationError as e:
        abort(400, str(e))


# -- login ------------------------------------------------------------------------


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with an API key's token."""
    if request.method == "POST":
        token = request.form.get("token", "").strip()
        key = services().keys.lookup(services().driver, token) if token else None
        if key is None:
            flash("That key is not known or was revoked: check it and try again.")
            return render_template("login.html"), 401
        session.clear()
        session["key_id"] = key.id
        csrf_token()
        target = request.args.get("next", "")
        # Only a path of this site, never another host.
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("console.dashboard")
        return redirect(target)

    return render_template("login.html")


@blp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """End the session."""
    session.clear()

    return redirect(url_for("console.login"))


# -- pages ------------------------------------------------------------------------


@blp.route("/")
@login_required()
def dashboard() -> str:
    """Counts, active runs and model metrics."""
    driver = services().driver
    runs = list_runs(driver, g.dataset)

    return render_template(
        "dashboard.html",
        counts=graph_counts(driver, g.dataset),
        active=[r for r in runs if r.active],
        runs=runs[:20],
        chart=_metrics_chart(runs),
    )


def _metrics_chart(runs: list[Any]) -> dict[str, Any]:
    """Return NDCG@10 and HR@10 by method of the newest complete evaluation."""
    for run in runs:
        if run.kind != "evaluate" or run.status != "complete":
            continue
        results = run.metrics.get("results", {})
        labels, ndcg, hit = [], [], []
        for method, result in results.items():
            completion = (
                result.get("completion", {}) if isinstance(result, dict) else {}
            )
            labels.append(method)
            ndcg.append(_metric(completion, "ndcg@10"))
            hit.append(_metric(completion, "hr@10"))
        return {"run": run.id, "labels": labels, "ndcg": ndcg, "hr": hit}

    return {"run": None, "labels": [], "ndcg": [], "hr": []}


def _metric(values: dict[str, Any], name: str) -> float | None:
    for key, value in values.items():
        if key.lower().replace("_", "") == name.replace("_", ""):
            return float(value) if isinstance(value, int | float) else None

    return None


@blp.route("/search")
@login_required()
def search() -> str:
    """Product search by words or sku."""
    text = request.args.get("q", "").strip()[:200]
    hits = search_products(services().driver, g.dataset, text, k=30) if text else []

    return render_template("search.html", q=text, hits=hits)


@blp.route("/products/<sku>")
@login_required()
def product(sku: str) -> str:
    """One product: attributes, related products of every kind, graph view."""
    driver = services().driver
    found = get_product(driver, g.dataset, sku)
    if found is None:
        abort(404, f"Product {sku!r} is not in dataset {g.dataset!r}.")
    related = {
        kind: related_products(driver, g.dataset, sku, kind, k=10) or []
        for kind in KINDS
    }

    return render_template(
        "product.html",
        product=found,
        related=related,
        graph=neighbourhood(driver, g.dataset, sku),
        meanings={k: v.meaning for k, v in KINDS.items()},
    )


@blp.route("/rules")
@login_required()
def rules() -> str:
    """The rule explorer: filters, sorting, pages."""
    form = request.args
    sort = form.get("sort", "lift")
    if sort not in RULE_SORTS:
        sort = "lift"
    page = max(_int(form.get("page"), 1), 1)
    query = RuleQuery(
        min_lift=_float(form.get("min_lift")),
        min_confidence=_float(form.get("min_confidence")),
        min_support=_float(form.get("min_support")),
        item=form.get("item") or None,
        sort=sort,
        descending=form.get("order", "desc") != "asc",
        offset=(page - 1) * 50,
        limit=50,
    )
    found, total, run_id = list_rules(services().driver, g.dataset, query)

    return render_template(
        "rules.html",
        rules=found,
        total=total,
        run_id=run_id,
        page=page,
        pages=max((total + 49) // 50, 1),
        sorts=RULE_SORTS,
        form=form,
    )


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


@blp.route("/curation", methods=["GET"])
@login_required()
def curation() -> str:
    """Pins and blocks in force, the form to add one, and the audit list."""
    driver = services().driver

    return render_template(
        "curation.html",
        curations=list_curations(driver, g.dataset),
        audit=list_audit(driver, g.dataset, limit=50),
        prefill=request.args,
    )


@blp.route("/curation", methods=["POST"])
@login_required("curate")
def curate() -> ResponseReturnValue:
    """Pin or block a pair from the console's form."""
    form = request.form
    try:
        add_curation(
            services().driver,
            g.dataset,
            form.get("action", ""),
            form.get("sku", "").strip(),
            form.get("partner", "").strip(),
            by=g.user.name,
            note=form.get("note", "")[:500],
        )
        done = "Pinned" if form.get("action") == "pin" else "Blocked"
        flash(f"{done} {form.get('partner')!r} for {form.get('sku')!r}.")
    except (InputError, LookupError) as e:
        flash(str(e), "error")
    target = form.get("next") or url_for("console.curation", dataset=g.dataset)
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("console.curation", dataset=g.dataset)

    return redirect(target)


@blp.route("/curation/<curation_id>/remove", methods=["POST"])
@login_required("curate")
def remove_curation(curation_id: str) -> ResponseReturnValue:
    """Lift a pin or block."""
    try:
        remove(services().driver, g.dataset, curation_id, g.user.name)
        flash("Removed.")
    except LookupError as e:
        flash(str(e), "error")

    return redirect(url_for("console.curation", dataset=g.dataset))


@blp.route("/runs/<run_id>/activate", methods=["POST"])
@login_required("admin")
def activate_run(run_id: str) -> ResponseReturnValue:
    """Serve a complete run for its kind."""
    try:
        choose_active_run(services().driver, g.dataset, run_id)
        flash(f"Run {run_id!r} is now served.")
    except (InputError, LookupError) as e:
        flash(str(e), "error")

    return redirect(url_for("console.dashboard", dataset=g.dataset))


@blp.route("/cypher", methods=["GET", "POST"])
@login_required()
def cypher() -> tuple[str, int] | str:
    """The analysts' Cypher console: read-only, with a time limit and a row cap."""
    from flask import current_app

    query = request.form.get("query", "") if request.method == "POST" else ""
    result = error = None
    refused_by = None
    status = 200
    if query.strip():
        try:
            result = run_read_query(
                services().driver,
                query,
                {"dataset": g.dataset},
                timeout=current_app.config["CONSOLE_QUERY_TIMEOUT"],
                row_cap=current_app.config["CONSOLE_ROW_CAP"],
            )
        except QueryRefusedError as e:
            error, refused_by, status = str(e), e.by, 403
        except InputError as e:
            error, status = str(e), 400
    example = (
        "MATCH (p:Product {dataset: $dataset})-[r:BOUGHT_WITH]->(q)\n"
        "RETURN p, r, q ORDER BY r.lift DESC LIMIT 25"
    )

    return render_template(
        "cypher.html",
        query=query or example,
        result=result,
        error=error,
        refused_by=refused_by,
        row_cap=current_app.config["CONSOLE_ROW_CAP"],
        timeout=current_app.config["CONSOLE_QUERY_TIMEOUT"],
    ), status


# -- jobs -------------------------------------------------------------------------


@blp.route("/jobs", methods=["GET"])
@login_required()
def jobs() -> str:
    """The dataset's jobs with live progress, and the form that starts one."""
    found = list_jobs(services().driver, g.dataset, limit=30)

    return render_template(
        "jobs.html",
        jobs=found,
        steps=JOB_STEPS,
        params={step: sorted(spec) for step, spec in STEP_PARAMS.items()},
        prefill=request.args,
    )


@blp.route("/jobs", methods=["POST"])
@login_required("admin")
def start_job() -> ResponseReturnValue:
    """Submit a pipeline step from the console's form."""
    form = request.form
    step = form.get("step", "")
    try:
        params = _job_params(form.get("params", ""))
        job = submit_job(
            services().settings, services().driver, step, g.dataset, params
        )
    except InputError as e:
        flash(str(e), "error")
        return redirect(url_for("console.jobs", dataset=g.dataset))
    except ServiceError as e:
        flash(f"{e}", "error")
        return redirect(url_for("console.jobs", dataset=g.dataset))
    flash(f"Queued {step} job {job.id}.")

    return redirect(url_for("console.jobs", dataset=g.dataset, job=job.id))


def _job_params(text: str) -> dict[str, Any]:
    """Return the parameters typed into the form as a JSON object."""
    if not text.strip():
        return {}
    try:
        params = json.loads(text)
    except ValueError as e:
        raise InputError(
            f"The parameters are not JSON ({e}): write an object such as "
            '{"min_support": 0.01}, or leave the field empty.'
        ) from e
    if not isinstance(params, dict):
        raise InputError(
            'The parameters must be a JSON object such as {"top_k": 20}, not '
            f"{type(params).__name__}."
        )

    return params


@blp.route("/jobs/<job_id>/status")
@login_required()
def job_status(job_id: str) -> ResponseReturnValue:
    """Return one job as JSON, for the page's live progress."""
    job = get_job(services().driver, job_id)
    if job is None:
        abort(404, f"No job has the id {job_id!r}.")

    return job.to_dict()


@blp.route("/jobs/<job_id>/cancel", methods=["POST"])
@login_required("admin")
def cancel(job_id: str) -> ResponseReturnValue:
    """Cancel a queued or running job."""
    try:
        cancel_job(services().settings, services().driver, job_id)
        flash(f"Asked job {job_id} to stop.")
    except LookupError as e:
        flash(str(e), "error")

    return redirect(url_for("console.jobs", dataset=g.dataset))
