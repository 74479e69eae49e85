"""``/api/v1/rules``: the active mining run's association rules."""

from __future__ import annotations

from typing import Any

from basketgraph.graphdb.serving import RuleQuery, list_rules
from basketgraph.web.api import ApiBlueprint
from basketgraph.web.api.common import dataset_of
from basketgraph.web.api.schemas import RuleArgs, RulePage
from basketgraph.web.auth import requires
from basketgraph.web.services import services

URL = "/rules"
blp = ApiBlueprint("rules", __name__, description="Association rules.")


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(RuleArgs, location="query")
@blp.response(200, RulePage)
def list_all(args: dict[str, Any]) -> dict[str, Any]:
    """List the rules of the active mining run, filtered, sorted and paged.

    Empty, with ``run_id`` null, when the dataset has no mining run.
    """
    dataset = dataset_of(args)
    sort = args["sort"]
    query = RuleQuery(
        min_lift=args.get("min_lift"),
        min_confidence=args.get("min_confidence"),
        min_support=args.get("min_support"),
        item=args.get("item"),
        antecedent=args.get("antecedent"),
        consequent=args.get("consequent"),
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        offset=(args["page"] - 1) * args["per_page"],
        limit=args["per_page"],
    )
    rules, total, run_id = list_rules(services().driver, dataset, query)

    return {
        "dataset": dataset,
        "run_id": run_id,
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
        "rules": rules,
    }
