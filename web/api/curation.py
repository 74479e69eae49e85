"""``/api/v1/curations``: pins and blocks of product pairs, and their audit list."""

from __future__ import annotations

from typing import Any

from basketgraph.graphdb.curation import (
    add_curation,
    list_audit,
    list_curations,
    remove_curation,
)
from basketgraph.web.api import ApiBlueprint, problem_responses
from basketgraph.web.api.common import dataset_of
from basketgraph.web.api.schemas import (
    AuditArgs,
    AuditList,
    Curation,
    CurationArgs,
    CurationList,
    CurationRequest,
    DatasetArgs,
)
from basketgraph.web.auth import caller, requires
from basketgraph.web.services import services

URL = "/curations"
blp = ApiBlueprint(
    "curations", __name__, description="Pins and blocks applied on top of every kind."
)


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(CurationArgs, location="query")
@blp.response(200, CurationList)
def list_in_force(args: dict[str, Any]) -> dict[str, Any]:
    """List the pins and blocks in force, newest first."""
    dataset = dataset_of(args)
    found = list_curations(services().driver, dataset, args.get("sku"))

    return {"dataset": dataset, "curations": [c.to_dict() for c in found]}


@blp.route("", methods=["POST"])
@requires("curate")
@blp.arguments(DatasetArgs, location="query")
@blp.arguments(CurationRequest, location="json")
@blp.response(201, Curation)
@blp.doc(responses=problem_responses(404))
def create(args: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Pin or block ``partner`` for ``sku``; it replaces any curation of the pair.

    A pin lists the partner first among ``sku``'s related products of every kind
    and first in completions of baskets holding ``sku``; a block removes it from
    both. The key's name and the time are recorded.
    """
    curation = add_curation(
        services().driver,
        dataset_of(args),
        body["action"],
        body["sku"],
        body["partner"],
        by=caller().name,
        note=body["note"],
    )

    return curation.to_dict()


@blp.route("/<curation_id>", methods=["DELETE"])
@requires("curate")
@blp.arguments(DatasetArgs, location="query")
@blp.response(204)
@blp.doc(responses=problem_responses(404))
def delete(args: dict[str, Any], curation_id: str) -> None:
    """Lift a pin or block; the audit list records who did it."""
    remove_curation(services().driver, dataset_of(args), curation_id, caller().name)


@blp.route("/audit", methods=["GET"])
@requires("read")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditList)
def audit(args: dict[str, Any]) -> dict[str, Any]:
    """List every change of curation (pin, block, unpin, unblock), newest first."""
    dataset = dataset_of(args)
    events = list_audit(
        services().driver,
        dataset,
        limit=args["per_page"],
        offset=(args["page"] - 1) * args["per_page"],
    )

    return {"dataset": dataset, "events": events}
