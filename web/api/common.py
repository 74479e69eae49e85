"""Helpers shared by the API's views."""

from __future__ import annotations

from typing import Any

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
