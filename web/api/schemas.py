"""Marshmallow schemas of the API's arguments and answers, source of its OpenAPI."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from basketgraph.graphdb.curation import ACTIONS
from basketgraph.graphdb.serving import KINDS, MAX_K, RULE_SORTS
from basketgraph.workers.jobs import JOB_STEPS

#: A dataset name, as ``basketgraph.config.check_dataset_name`` accepts it.
DATASET = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
    error="Not a dataset name: use 1 to 64 letters, digits, '_', '.' or '-'.",
)
#: Skus are short codes; a longer string is a mistake.
SKU = validate.Length(min=1, max=200)


def _no_surrogates(value: str) -> None:
    """Refuse text that cannot be encoded as UTF-8 (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValidationError("Not valid Unicode text: send UTF-8.") from e


def sku_field(**kwargs: Any) -> fields.String:
    """Return a field holding one sku."""
    return fields.String(validate=[SKU, _no_surrogates], **kwargs)


class DatasetArgs(Schema):
    """The dataset a request reads or writes."""

    dataset = fields.String(
        validate=DATASET,
        metadata={
            "description": "Dataset (default: the server's BASKETGRAPH_DATASET)."
        },
    )


class FilterArgs(Schema):
    """Which products may be answered."""

    category = fields.String(
        validate=[validate.Length(min=1, max=200), _no_surrogates],
        metadata={
            "description": "Only products in this category (id or name) or below it."
        },
    )
    min_price = fields.Float(validate=validate.Range(min=0), allow_nan=False)
    max_price = fields.Float(validate=validate.Range(min=0), allow_nan=False)
    merchandise_only = fields.Boolean(
        load_default=True,
        metadata={"description": "Leave out postage, fees and other non-goods."},
    )
    # Not named ``exclude``: that is an attribute of every marshmallow Schema.
    exclude_skus = fields.List(
        sku_field(),
        data_key="exclude",
        validate=validate.Length(max=500),
        load_default=list,
        metadata={"description": "Skus never answered."},
    )

    @validates_schema
    def _check_prices(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError(
                f"min_price {low!r} is above max_price {high!r}: swap them.",
                "min_price",
            )


class SearchArgs(DatasetArgs):
    """Arguments of a product search."""

    q = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=200), _no_surrogates],
        metadata={"description": "Words of the title, or a sku."},
    )
    mode = fields.String(
        load_default="fulltext",
        validate=validate.OneOf(["fulltext", "semantic"]),
        metadata={
            "description": "'fulltext' searches the words (index product_text); "
            "'semantic' embeds the text and searches the vector index "
            "product_embedding."
        },
    )
    k = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_K))


class ProductHit(Schema):
    """A product found by a search."""

    sku = fields.String(required=True)
    title = fields.String(allow_none=True)
    price = fields.Float(allow_none=True)
    merchandise = fields.Boolean()
    score = fields.Float(allow_none=True, metadata={"description": "Relevance."})


class SearchResult(Schema):
    """What a search found."""

    dataset = fields.String(required=True)
    mode = fields.String(required=True)
    products = fields.List(fields.Nested(ProductHit), required=True)


class Category(Schema):
    """A category of a product."""

    id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)


class Product(Schema):
    """One product with its attributes."""

    dataset = fields.String(required=True)
    sku = fields.String(required=True)
    title = fields.String(allow_none=True)
    price = fields.Float(allow_none=True)
    merchandise = fields.Boolean()
    aliases = fields.List(fields.String())
    categories = fields.List(fields.Nested(Category))
    orders = fields.Integer(metadata={"description": "Orders holding it."})
    embedded = fields.Boolean(
        metadata={"description": "Whether it has a text embedding."}
    )


class KArgs(DatasetArgs):
    """How many products to answer."""

    k = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_K))


class RelatedArgs(KArgs, FilterArgs):
    """Arguments of related products."""

    kind = fields.String(
        load_default="rules",
        validate=validate.OneOf(list(KINDS)),
        metadata={
            "description": "; ".join(f"'{k}': {v.meaning}" for k, v in KINDS.items())
        },
    )


class Pin(Schema):
    """A curation that put a product first."""

    id = fields.String()
    by = fields.String()
    at = fields.String()
    note = fields.String(allow_none=True)


class Explanation(Schema):
    """Why a product is answered, from every served run that knows the pair."""

    co_purchase_count = fields.Integer(
        metadata={"description": "Baskets holding both."}
    )
    support = fields.Float()
    confidence = fields.Float()
    lift = fields.Float()
    leverage = fields.Float()
    learned_score = fields.Float()
    learned_model = fields.String()
    attended = fields.List(
        fields.String(),
        metadata={
            "description": "Skus a GAT model attended to most for this product, "
            "when the training run stored them."
        },
    )
    text_similarity = fields.Float(
        metadata={"description": "Cosine of the texts' embeddings."}
    )


class RelatedProduct(Schema):
    """One answered product."""

    sku = fields.String(required=True)
    title = fields.String(allow_none=True)
    price = fields.Float(allow_none=True)
    merchandise = fields.Boolean()
    score = fields.Float(
        allow_none=True, metadata={"description": "The kind's score; null when pinned."}
    )
    pin = fields.Nested(Pin, allow_none=True)
    because = fields.String(metadata={"description": "The product it relates to."})
    explanation = fields.Nested(Explanation)


class RelatedResult(Schema):
    """Related products of one product."""

    dataset = fields.String(required=True)
    sku = fields.String(required=True)
    kind = fields.String(required=True)
    products = fields.List(fields.Nested(RelatedProduct), required=True)


class SimilarResult(Schema):
    """Products nearest to one by the vector index."""

    dataset = fields.String(required=True)
    sku = fields.String(required=True)
    products = fields.List(fields.Nested(ProductHit), required=True)


class BasketRequest(FilterArgs):
    """A basket to complete."""

    skus = fields.List(
        sku_field(), required=True, validate=validate.Length(min=1, max=500)
    )
    kind = fields.String(load_default="rules", validate=validate.OneOf(list(KINDS)))
    k = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_K))


class BasketResult(Schema):
    """Ranked additions to a basket."""

    dataset = fields.String(required=True)
    kind = fields.String(required=True)
    products = fields.List(fields.Nested(RelatedProduct), required=True)
    unknown_skus = fields.List(fields.String(), required=True)


class RuleArgs(DatasetArgs):
    """Filters, order and page of the rule list."""

    min_lift = fields.Float(validate=validate.Range(min=0), allow_nan=False)
    min_confidence = fields.Float(
        validate=validate.Range(min=0, max=1), allow_nan=False
    )
    min_support = fields.Float(validate=validate.Range(min=0, max=1), allow_nan=False)
    item = sku_field(metadata={"description": "A sku on either side."})
    antecedent = sku_field(metadata={"description": "A sku of the antecedent."})
    consequent = sku_field(metadata={"description": "The consequent's sku."})
    sort = fields.String(
        load_default="-lift",
        validate=validate.OneOf([*RULE_SORTS, *(f"-{s}" for s in RULE_SORTS)]),
        metadata={"description": "Measure to sort by; '-' for descending."},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class RuleItem(Schema):
    """A product of a rule."""

    sku = fields.String()
    title = fields.String(allow_none=True)


class Rule(Schema):
    """One association rule."""

    id = fields.Raw()
    antecedent = fields.List(fields.Nested(RuleItem))
    consequent = fields.Nested(RuleItem)
    support = fields.Float(allow_none=True)
    confidence = fields.Float(allow_none=True)
    lift = fields.Float(allow_none=True)
    leverage = fields.Float(allow_none=True)
    conviction = fields.Float(allow_none=True)
    count = fields.Integer(allow_none=True)
    run_id = fields.String()


class RulePage(Schema):
    """A page of rules."""

    dataset = fields.String(required=True)
    run_id = fields.String(allow_none=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    rules = fields.List(fields.Nested(Rule), required=True)


class CurationArgs(DatasetArgs):
    """Which curations to list."""

    sku = sku_field(metadata={"description": "Only those of this product."})


class CurationRequest(Schema):
    """A pin or block to put in force."""

    action = fields.String(required=True, validate=validate.OneOf(list(ACTIONS)))
    sku = sku_field(
        required=True,
        metadata={"description": "The product whose related products change."},
    )
    partner = sku_field(
        required=True, metadata={"description": "The product pinned or blocked."}
    )
    note = fields.String(
        load_default="", validate=[validate.Length(max=500), _no_surrogates]
    )


class Curation(Schema):
    """A pin or block in force."""

    id = fields.String(required=True)
    dataset = fields.String(required=True)
    action = fields.String(required=True)
    sku = fields.String(required=True)
    partner = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.String(required=True)
    note = fields.String(allow_none=True)


class CurationList(Schema):
    """The curations in force."""

    dataset = fields.String(required=True)
    curations = fields.List(fields.Nested(Curation), required=True)


class AuditArgs(DatasetArgs):
    """A page of the audit list."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AuditEvent(Schema):
    """One change of curation."""

    id = fields.String()
    action = fields.String(metadata={"description": "pin, block, unpin or unblock."})
    sku = fields.String()
    partner = fields.String()
    by = fields.String()
    at = fields.String()
    note = fields.String(allow_none=True)


class AuditList(Schema):
    """Curation changes, newest first."""

    dataset = fields.String(required=True)
    events = fields.List(fields.Nested(AuditEvent), required=True)


class RunArgs(DatasetArgs):
    """Which runs to list."""

    kind = fields.String(
        validate=[validate.Length(min=1, max=40), _no_surrogates],
        metadata={"description": "mine, embed, train, hybrid, evaluate, ..."},
    )


class Run(Schema):
    """One recorded run."""

    id = fields.String(required=True)
    dataset = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    active = fields.Boolean(required=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    params = fields.Dict()
    metrics = fields.Dict()


class RunList(Schema):
    """Runs, newest first."""

    dataset = fields.String(required=True)
    runs = fields.List(fields.Nested(Run), required=True)


class Activation(Schema):
    """The result of choosing a run."""

    id = fields.String(required=True)
    kind = fields.String(required=True)
    previous = fields.String(allow_none=True)


class Health(Schema):
    """Whether the API can reach its store."""

    status = fields.String(required=True)
    neo4j = fields.String(required=True)


class Problem(Schema):
    """An error (RFC 9457 problem details)."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        metadata={"description": "Messages by field, for invalid input."}
    )
    sku = fields.String(metadata={"description": "The unknown product, for a 404."})
    skus = fields.List(
        fields.String(),
        metadata={"description": "The unknown products of a basket, for a 404."},
    )


class JobRequest(Schema):
    """A pipeline step to run as a job."""

    step = fields.String(
        required=True,
        validate=validate.OneOf(list(JOB_STEPS)),
        metadata={"description": "The pipeline step the workers run."},
    )
    params = fields.Dict(
        keys=fields.String(validate=_no_surrogates),
        load_default=dict,
        metadata={
            "description": "The step's parameters; each step's names, types and "
            "defaults are in 'basketgraph jobs submit --help'. An unknown one is "
            "refused, naming it."
        },
    )


class JobArgs(DatasetArgs):
    """Which jobs to list."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class Job(Schema):
    """A job: the run that records it, with its progress."""

    id = fields.String(required=True)
    dataset = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "The step."})
    status = fields.String(
        required=True,
        metadata={"description": "queued, running, complete, failed or cancelled."},
    )
    active = fields.Boolean()
    stage = fields.String(allow_none=True)
    progress = fields.Float(metadata={"description": "Percent done."})
    error = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    attempts = fields.Integer()
    worker = fields.String(allow_none=True)
    cancel_requested = fields.Boolean()
    parent = fields.String(allow_none=True)
    steps = fields.List(fields.String())
    held_back = fields.String(allow_none=True)
    params = fields.Dict()
    metrics = fields.Dict()


class JobList(Schema):
    """Jobs, newest first."""

    dataset = fields.String(required=True)
    jobs = fields.List(fields.Nested(Job), required=True)
