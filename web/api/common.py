"""Helpers shared by the API's views."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from basketgraph.graphdb.serving import ProductFilter
from basketgraph.web.errors import ApiError
from basketgraph.web.services import services


def dataset_of(args: dict[str, Any]) -> str:
    """Return the dataset a request names, or the server's default."""
    dataset = args.get("dataset")

    return dataset if dataset else services().settings.dataset


def filter_of(args: dict[str, Any]) -> ProductFilter:
    """Return the product filter of a request's arguments."""
    return ProductFilter(
        category=args.get("category"),
        min_price=args.get("min_price"),
        max_price=args.get("max_price"),
        merchandise_only=args.get("merchandise_only", True),
        exclude=tuple(args.get("exclude_skus") or ()),
    )


def unknown_product(dataset: str, sku: str) -> ApiError:
    """Return the 404 of a product that the dataset does not hold."""
    return ApiError(
        404,
        f"Product {sku!r} is not in dataset {dataset!r}: search for it with "
        "GET /api/v1/products?q=...",
        title="Unknown product",
        sku=sku,
    )


def answer_as_is(payload: dict[str, Any]) -> Response:
    """Return ``payload`` as the JSON response, without its schema's dump.

    For the hot read paths, related products and basket completion, whose
    serving functions already give their response schema's shape: dumping ten
    answers through marshmallow cost about a third of such a request's Python
    (``bench/api.py``). The schema still describes the answer in the OpenAPI
    document; ``tests/web/test_api.py`` checks that the dump would change nothing,
    and the fuzz test checks each answer against the description.
    """
    response = current_app.json.response(payload)
    assert isinstance(response, Response)  # the app's response class

    return response
