"""``/api/v1/baskets``: ranked additions to a basket."""

from __future__ import annotations

from typing import Any

from flask import Response

from basketgraph.graphdb.serving import complete_basket
from basketgraph.web.api import ApiBlueprint, problem_responses
from basketgraph.web.api.common import answer_as_is, dataset_of, filter_of
from basketgraph.web.api.schemas import BasketRequest, BasketResult, DatasetArgs
from basketgraph.web.auth import requires
from basketgraph.web.errors import ApiError
from basketgraph.web.services import services

URL = "/baskets"
blp = ApiBlueprint("baskets", __name__, description="Basket completion.")


@blp.route("/complete", methods=["POST"])
@requires("read")
@blp.arguments(DatasetArgs, location="query")
@blp.arguments(BasketRequest, location="json")
@blp.response(200, BasketResult)
@blp.doc(responses=problem_responses(404))
def complete(args: dict[str, Any], body: dict[str, Any]) -> Response:
    """Return ranked additions to a basket, each with the product that earned it.

    A candidate scores as its best pair with any basket product (for ``rules``,
    the confidence of that product's rule to it). Products pinned to a basket
    product come first; a product blocked for any basket product never appears.
    Skus the dataset does not hold are listed in ``unknown_skus``; a basket of
    unknown products only is a 404.
    """
    dataset = dataset_of(args)
    rows, unknown = complete_basket(
        services().driver,
        dataset,
        body["skus"],
        body["kind"],
        body["k"],
        filter_of(body),
    )
    if len(unknown) == len(set(body["skus"])):
        raise ApiError(
            404,
            f"None of the basket's products is in dataset {dataset!r} "
            f"({', '.join(repr(s) for s in unknown[:5])}): check the skus.",
            title="Unknown products",
            skus=unknown,
        )

    return answer_as_is(
        {
            "dataset": dataset,
            "kind": body["kind"],
            "products": rows,
            "unknown_skus": unknown,
        }
    )
