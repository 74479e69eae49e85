"""``/api/v1/products``: search, one product, its related and similar products."""

from __future__ import annotations

from typing import Any

from flask import Response

from basketgraph.graphdb.queries import products_like_text
from basketgraph.graphdb.serving import (
    get_product,
    products_like,
    related_products,
    search_products,
)
from basketgraph.web.api import ApiBlueprint, problem_responses
from basketgraph.web.api.common import (
    answer_as_is,
    dataset_of,
    filter_of,
    unknown_product,
)
from basketgraph.web.api.schemas import (
    KArgs,
    Product,
    RelatedArgs,
    RelatedResult,
    SearchArgs,
    SearchResult,
    SimilarResult,
)
from basketgraph.web.auth import requires
from basketgraph.web.services import services

URL = "/products"
blp = ApiBlueprint(
    "products", __name__, description="Products, their related and similar products."
)


@blp.route("", methods=["GET"])
@requires("read")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchResult)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Search products by the words of their titles, a sku, or by meaning.

    ``fulltext`` (default) uses the full-text index on titles and aliases, with the
    last word also matched as a prefix; a product whose sku is the text comes
    first. ``semantic`` embeds the text with the encoder products were embedded
    with and searches the vector index.
    """
    found = services()
    dataset = dataset_of(args)
    if args["mode"] == "semantic":
        # TODO(serving): the query text is embedded in the request (about 10 ms on
        # a CPU, the model loaded on first use); a small encoder service would keep
        # the model out of the API process.
        hits = products_like_text(
            found.driver, dataset, args["q"], found.encoder(), k=args["k"]
        )
    else:
        hits = search_products(found.driver, dataset, args["q"], k=args["k"])

    return {"dataset": dataset, "mode": args["mode"], "products": hits}


@blp.route("/<sku>", methods=["GET"])
@requires("read")
@blp.arguments(KArgs, location="query")
@blp.response(200, Product)
@blp.doc(responses=problem_responses(404))
def get_one(args: dict[str, Any], sku: str) -> dict[str, Any]:
    """Return one product: title, price, aliases, categories, order count."""
    dataset = dataset_of(args)
    product = get_product(services().driver, dataset, sku)
    if product is None:
        raise unknown_product(dataset, sku)

    return {"dataset": dataset, **product}


@blp.route("/<sku>/related", methods=["GET"])
@requires("read")
@blp.arguments(RelatedArgs, location="query")
@blp.response(200, RelatedResult)
@blp.doc(responses=problem_responses(404))
def related(args: dict[str, Any], sku: str) -> Response:
    """Return a product's related products of one kind, with explanations.

    Pinned products come first (newest pin first), then the kind's partners in the
    active run's order; blocked products never appear. Each product carries the
    kind's score and an explanation from every served run that knows the pair:
    co-purchase count, support, confidence and lift (mining), the learned score
    (training) and the text similarity (embeddings).
    """
    dataset = dataset_of(args)
    rows = related_products(
        services().driver, dataset, sku, args["kind"], args["k"], filter_of(args)
    )
    if rows is None:
        raise unknown_product(dataset, sku)

    return answer_as_is(
        {"dataset": dataset, "sku": sku, "kind": args["kind"], "products": rows}
    )


@blp.route("/<sku>/similar", methods=["GET"])
@requires("read")
@blp.arguments(KArgs, location="query")
@blp.response(200, SimilarResult)
@blp.doc(responses=problem_responses(404))
def similar(args: dict[str, Any], sku: str) -> dict[str, Any]:
    """Return the products nearest to one by the vector index of text embeddings.

    Unlike ``related?kind=similar``, it needs no embed run's ``SIMILAR_TO``: it
    searches the index with the product's stored embedding. Empty when the product
    has no embedding yet.
    """
    dataset = dataset_of(args)
    rows = products_like(services().driver, dataset, sku, args["k"])
    if rows is None:
        raise unknown_product(dataset, sku)

    return {"dataset": dataset, "sku": sku, "products": rows}
