"""The REST API against the real Neo4j, over a dataset built by the real jobs."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.serving import ANSWER_FIELDS, KINDS
from basketgraph.web.api.schemas import BasketResult, RelatedResult
from basketgraph.web.app import close_app, create_app
from tests.web.conftest import Served, problem_of

pytestmark = pytest.mark.neo4j


def get(client: FlaskClient, served: Served, url: str, role: str = "read") -> Any:
    separator = "&" if "?" in url else "?"
    return client.get(
        f"{url}{separator}dataset={served.dataset}", headers=served.headers(role)
    )


def test_the_openapi_description_lists_every_endpoint(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    assert {
        "/api/v1/products",
        "/api/v1/products/{sku}",
        "/api/v1/products/{sku}/related",
        "/api/v1/baskets/complete",
        "/api/v1/rules",
        "/api/v1/curations",
        "/api/v1/curations/audit",
        "/api/v1/runs",
        "/api/v1/runs/{run_id}/activate",
    } <= paths
    related = spec["paths"]["/api/v1/products/{sku}/related"]["get"]
    kind = next(p for p in related["parameters"] if p["name"] == "kind")
    assert kind["schema"]["enum"] == list(KINDS)
    assert "400" in related["responses"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs.data
    assert (
        client.get("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code
        == 200
    )


def test_search_finds_a_product_by_title_words_and_by_sku(
    client: FlaskClient, served: Served, driver: Driver
) -> None:
    title = driver.execute_query(
        "MATCH (p:Product {dataset: $d, sku: $s}) RETURN p.title AS t",
        d=served.dataset,
        s=served.sku,
    ).records[0]["t"]
    by_words = get(client, served, f"/api/v1/products?q={title}&k=20").get_json()
    assert served.sku in [p["sku"] for p in by_words["products"]]
    assert by_words["products"][0]["title"] == title or any(
        p["title"] == title for p in by_words["products"][:3]
    )
    by_sku = get(client, served, f"/api/v1/products?q={served.sku}").get_json()
    assert by_sku["products"][0]["sku"] == served.sku
    # Lucene's own syntax in the text is searched for, never parsed.
    odd = get(client, served, '/api/v1/products?q=AND ( "~ title:*')
    assert odd.status_code == 200


def test_get_one_product_and_404_for_an_unknown_one(
    client: FlaskClient, served: Served
) -> None:
    product = get(client, served, f"/api/v1/products/{served.sku}").get_json()
    assert product["sku"] == served.sku
    assert product["orders"] > 0 and product["embedded"] is True
    assert product["categories"]

    missing = get(client, served, "/api/v1/products/NO-SUCH-SKU")
    body = problem_of(missing)
    assert missing.status_code == 404
    assert "'NO-SUCH-SKU'" in body["detail"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_related_products_of_every_kind_come_from_the_active_run(
    client: FlaskClient, served: Served, driver: Driver, kind: str
) -> None:
    answer = get(
        client, served, f"/api/v1/products/{served.sku}/related?kind={kind}&k=5"
    )
    assert answer.status_code == 200, answer.data
    products = answer.get_json()["products"]
    assert 0 < len(products) <= 5
    spec = KINDS[kind]
    expected = driver.execute_query(
        f"""
MATCH (run:Run {{dataset: $d, kind: '{spec.run_kind}', active: true}})
MATCH (:Product {{dataset: $d, sku: $s}})-[r:{spec.rel_type} {{run_id: run.id}}]->(q)
WHERE {spec.condition} AND coalesce(q.merchandise, true)
RETURN q.sku AS sku ORDER BY r.rank LIMIT 5
""",
        d=served.dataset,
        s=served.sku,
    ).records
    assert [p["sku"] for p in products] == [r["sku"] for r in expected]
    assert all(p["score"] is not None and p["pin"] is None for p in products)
    # Every answer is explained by the served runs that know the pair.
    assert all("text_similarity" in p["explanation"] for p in products)
    if kind == "rules":
        first = products[0]["explanation"]
        assert first["co_purchase_count"] >= 2 and first["lift"] > 0
        assert 0 < first["confidence"] <= 1
    if kind == "learned":
        assert all(p["explanation"]["learned_model"] == "gcn" for p in products)


def test_related_products_obey_the_filters(client: FlaskClient, served: Served) -> None:
    url = f"/api/v1/products/{served.sku}/related?kind=rules&k=20"
    everything = get(client, served, url).get_json()["products"]
    assert len(everything) >= 3
    excluded = [p["sku"] for p in everything[:2]]
    prices = sorted(p["price"] for p in everything if p["price"] is not None)
    middle = prices[len(prices) // 2]

    without = get(
        client, served, f"{url}&exclude={excluded[0]}&exclude={excluded[1]}"
    ).get_json()["products"]
    assert not {p["sku"] for p in without} & set(excluded)
    assert len(without) == len(everything) - 2

    cheap = get(client, served, f"{url}&max_price={middle}").get_json()["products"]
    assert cheap and all(p["price"] <= middle for p in cheap)
    assert len(cheap) < len(everything)

    nowhere = get(client, served, f"{url}&category=no-such-category").get_json()
    assert nowhere["products"] == []


def test_related_products_in_one_category(
    client: FlaskClient, served: Served, driver: Driver
) -> None:
    url = f"/api/v1/products/{served.sku}/related?kind=rules&k=20"
    everything = get(client, served, url).get_json()["products"]
    sku = everything[0]["sku"]
    category = driver.execute_query(
        "MATCH (:Product {dataset: $d, sku: $s})-[:IN_CATEGORY]->(c) "
        "RETURN c.id AS id LIMIT 1",
        d=served.dataset,
        s=sku,
    ).records[0]["id"]
    same = client.get(
        f"/api/v1/products/{served.sku}/related",
        query_string={
            "dataset": served.dataset,
            "kind": "rules",
            "k": 20,
            "category": category,
        },
        headers=served.headers("read"),
    ).get_json()["products"]
    assert sku in [p["sku"] for p in same]
    assert len(same) < len(everything)


def test_invalid_arguments_are_a_400_that_names_the_field(
    client: FlaskClient, served: Served
) -> None:
    for url, field in [
        (f"/api/v1/products/{served.sku}/related?kind=nonsense", "kind"),
        (f"/api/v1/products/{served.sku}/related?k=0", "k"),
        (f"/api/v1/products/{served.sku}/related?min_price=cheap", "min_price"),
        ("/api/v1/rules?sort=popularity", "sort"),
        ("/api/v1/products", "q"),
    ]:
        response = get(client, served, url)
        assert response.status_code == 400, url
        body = problem_of(response)
        assert field in body["errors"], body
        assert repr(field) in body["detail"]
    bad_dataset = client.get(
        "/api/v1/rules?dataset=no/such", headers=served.headers("read")
    )
    assert "dataset" in problem_of(bad_dataset)["errors"]


def test_basket_completion_ranks_additions_with_the_basket_product_behind_each(
    client: FlaskClient, served: Served
) -> None:
    related = get(
        client, served, f"/api/v1/products/{served.sku}/related?kind=rules&k=3"
    ).get_json()["products"]
    basket = [served.sku, related[0]["sku"], "NOT-A-PRODUCT"]
    answer = client.post(
        f"/api/v1/baskets/complete?dataset={served.dataset}",
        json={"skus": basket, "k": 10},
        headers=served.headers("read"),
    )
    assert answer.status_code == 200, answer.data
    body = answer.get_json()
    assert body["unknown_skus"] == ["NOT-A-PRODUCT"]
    additions = body["products"]
    assert additions and not {p["sku"] for p in additions} & set(basket)
    assert all(p["because"] in basket[:2] for p in additions)
    scores = [p["score"] for p in additions]
    assert scores == sorted(scores, reverse=True)
    # The score is the best pair's confidence, which the explanation shows.
    assert all(
        abs(p["explanation"]["confidence"] - p["score"]) < 1e-9 for p in additions
    )
    assert related[1]["sku"] in [p["sku"] for p in additions]

    unknown = client.post(
        f"/api/v1/baskets/complete?dataset={served.dataset}",
        json={"skus": ["NOPE-1", "NOPE-2"]},
        headers=served.headers("read"),
    )
    assert unknown.status_code == 404
    assert problem_of(unknown)["skus"] == ["NOPE-1", "NOPE-2"]
    empty = client.post(
        f"/api/v1/baskets/complete?dataset={served.dataset}",
        json={"skus": []},
        headers=served.headers("read"),
    )
    assert "skus" in problem_of(empty)["errors"]


def test_rules_are_filtered_sorted_and_paged(
    client: FlaskClient, served: Served
) -> None:
    first = get(client, served, "/api/v1/rules?sort=-lift&per_page=5").get_json()
    assert first["total"] > 5 and first["run_id"].startswith("mine-")
    lifts = [r["lift"] for r in first["rules"]]
    assert lifts == sorted(lifts, reverse=True) and len(lifts) == 5
    second = get(client, served, "/api/v1/rules?sort=-lift&per_page=5&page=2")
    assert {r["id"] for r in second.get_json()["rules"]}.isdisjoint(
        {r["id"] for r in first["rules"]}
    )

    strong = get(client, served, "/api/v1/rules?min_lift=2&min_confidence=0.2")
    body = strong.get_json()
    assert 0 < body["total"] < first["total"]
    assert all(r["lift"] >= 2 and r["confidence"] >= 0.2 for r in body["rules"])

    item = first["rules"][0]["consequent"]["sku"]
    holding = get(client, served, f"/api/v1/rules?item={item}&sort=confidence")
    rules = holding.get_json()["rules"]
    assert rules and all(
        item == r["consequent"]["sku"] or item in [a["sku"] for a in r["antecedent"]]
        for r in rules
    )
    confidences = [r["confidence"] for r in rules]
    assert confidences == sorted(confidences)


@pytest.mark.usefixtures("clean_curations")
def test_a_pin_comes_first_in_every_kind_and_a_block_disappears(
    client: FlaskClient, served: Served
) -> None:
    url = f"/api/v1/products/{served.sku}/related?kind=rules&k=10"
    before = get(client, served, url).get_json()["products"]
    last, blocked = before[-1]["sku"], before[0]["sku"]
    for action, partner in (("pin", last), ("block", blocked)):
        made = client.post(
            f"/api/v1/curations?dataset={served.dataset}",
            json={"action": action, "sku": served.sku, "partner": partner, "note": "t"},
            headers=served.headers("curate"),
        )
        assert made.status_code == 201, made.data
        assert made.get_json()["by"] == "test-curate"

    after = get(client, served, url).get_json()["products"]
    assert after[0]["sku"] == last and after[0]["pin"]["by"] == "test-curate"
    assert after[0]["score"] is None
    assert blocked not in [p["sku"] for p in after]
    # The pin leads every kind, even those that never had the pair.
    for kind in KINDS:
        rows = get(
            client, served, f"/api/v1/products/{served.sku}/related?kind={kind}"
        ).get_json()["products"]
        assert rows[0]["sku"] == last, kind
        assert blocked not in [p["sku"] for p in rows], kind
    basket = client.post(
        f"/api/v1/baskets/complete?dataset={served.dataset}",
        json={"skus": [served.sku]},
        headers=served.headers("read"),
    ).get_json()["products"]
    assert basket[0]["sku"] == last and blocked not in [p["sku"] for p in basket]

    listed = get(client, served, "/api/v1/curations").get_json()["curations"]
    assert {(c["action"], c["partner"]) for c in listed} == {
        ("pin", last),
        ("block", blocked),
    }
    pin_id = next(c["id"] for c in listed if c["action"] == "pin")
    removed = client.delete(
        f"/api/v1/curations/{pin_id}?dataset={served.dataset}",
        headers=served.headers("curate"),
    )
    assert removed.status_code == 204
    assert get(client, served, url).get_json()["products"][0]["sku"] != last
    audit = get(client, served, "/api/v1/curations/audit").get_json()["events"]
    assert [e["action"] for e in audit[:3]] == ["unpin", "block", "pin"]
    assert all(e["by"] == "test-curate" and e["at"] for e in audit[:3])


@pytest.mark.usefixtures("clean_curations")
def test_related_and_basket_answers_are_what_their_schemas_would_dump(
    client: FlaskClient, served: Served
) -> None:
    # Both skip marshmallow's dump for speed; the documented shape must still hold.
    url = f"/api/v1/products/{served.sku}/related?kind=rules&k=10"
    partner = get(client, served, url).get_json()["products"][-1]["sku"]
    pinned = client.post(
        f"/api/v1/curations?dataset={served.dataset}",
        json={"action": "pin", "sku": served.sku, "partner": partner},
        headers=served.headers("curate"),
    )
    assert pinned.status_code == 201, pinned.data
    for kind in KINDS:
        body = get(
            client, served, f"/api/v1/products/{served.sku}/related?kind={kind}"
        ).get_json()
        assert body["products"][0]["pin"] is not None
        assert len(body["products"]) > 1, kind
        assert RelatedResult().dump(body) == body, kind
        assert list(body["products"][1]) == [*ANSWER_FIELDS, "explanation"]
    basket = client.post(
        f"/api/v1/baskets/complete?dataset={served.dataset}",
        json={"skus": [served.sku, "NOT-A-PRODUCT"]},
        headers=served.headers("read"),
    ).get_json()
    assert basket["products"] and basket["unknown_skus"] == ["NOT-A-PRODUCT"]
    assert BasketResult().dump(basket) == basket


@pytest.mark.usefixtures("clean_curations")
def test_curation_refuses_unknown_products_and_a_pair_of_one(
    client: FlaskClient, served: Served
) -> None:
    unknown = client.post(
        f"/api/v1/curations?dataset={served.dataset}",
        json={"action": "pin", "sku": served.sku, "partner": "NOT-THERE"},
        headers=served.headers("curate"),
    )
    assert unknown.status_code == 404
    assert "'NOT-THERE'" in problem_of(unknown)["detail"]
    same = client.post(
        f"/api/v1/curations?dataset={served.dataset}",
        json={"action": "pin", "sku": served.sku, "partner": served.sku},
        headers=served.headers("curate"),
    )
    assert same.status_code == 400
    gone = client.delete(
        f"/api/v1/curations/nope?dataset={served.dataset}",
        headers=served.headers("curate"),
    )
    assert gone.status_code == 404


def test_runs_are_listed_and_an_older_complete_run_can_be_served(
    client: FlaskClient, served: Served, driver: Driver
) -> None:
    from basketgraph.graphdb.mining_job import MiningParams, run_mining

    runs = get(client, served, "/api/v1/runs?kind=mine").get_json()["runs"]
    assert len(runs) == 1 and runs[0]["active"] and runs[0]["metrics"]
    first = runs[0]["id"]
    second = run_mining(driver, served.dataset, MiningParams(min_support=0.002))
    try:
        refused = client.post(
            f"/api/v1/runs/{first}/activate?dataset={served.dataset}",
            headers=served.headers("curate"),
        )
        assert refused.status_code == 403
        chosen = client.post(
            f"/api/v1/runs/{first}/activate?dataset={served.dataset}",
            headers=served.headers("admin"),
        )
        assert chosen.status_code == 200, chosen.data
        assert chosen.get_json() == {
            "id": first,
            "kind": "mine",
            "previous": second.run_id,
        }
        active = [
            r
            for r in get(client, served, "/api/v1/runs").get_json()["runs"]
            if r["active"] and r["kind"] == "mine"
        ]
        assert [r["id"] for r in active] == [first]
        rules = get(client, served, "/api/v1/rules").get_json()
        assert rules["run_id"] == first
        missing = client.post(
            f"/api/v1/runs/nope/activate?dataset={served.dataset}",
            headers=served.headers("admin"),
        )
        assert missing.status_code == 404
    finally:
        from basketgraph.graphdb.writeback import clear_run

        clear_run(driver, served.dataset, second.run_id)
        driver.execute_query("MATCH (r:Run {id: $id}) DELETE r", id=second.run_id)
        driver.execute_query("MATCH (r:Run {id: $id}) SET r.active = true", id=first)


def test_reads_need_a_key_unless_opened_and_writes_always_do(
    client: FlaskClient, served: Served, settings: Settings
) -> None:
    url = f"/api/v1/products/{served.sku}/related?dataset={served.dataset}"
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert "WWW-Authenticate" in anonymous.headers
    assert "basketgraph keys create" in problem_of(anonymous)["detail"]
    wrong = client.get(url, headers={"X-API-Key": "bgk_wrong"})
    assert wrong.status_code == 401
    assert (
        client.get(url, headers={"X-API-Key": served.tokens["read"]}).status_code == 200
    )
    read_only = client.post(
        f"/api/v1/curations?dataset={served.dataset}",
        json={"action": "pin", "sku": served.sku, "partner": served.sku},
        headers=served.headers("read"),
    )
    assert read_only.status_code == 403

    from dataclasses import replace

    opened = create_app(replace(settings, api_anonymous_read=True), TESTING=True)
    try:
        anonymous_client = opened.test_client()
        assert anonymous_client.get(url).status_code == 200
        write = anonymous_client.post(
            f"/api/v1/curations?dataset={served.dataset}",
            json={"action": "pin", "sku": served.sku, "partner": "X"},
        )
        assert write.status_code == 401
    finally:
        close_app(opened)


def test_a_revoked_key_is_refused(
    client: FlaskClient, served: Served, driver: Driver, app: Any
) -> None:
    from basketgraph.graphdb.keys import create_key, revoke_key

    key, token = create_key(driver, "test-revoked", "read")
    url = f"/api/v1/rules?dataset={served.dataset}"
    assert client.get(url, headers={"X-API-Key": token}).status_code == 200
    revoke_key(driver, key.id)
    app.extensions["basketgraph"].keys.clear()
    assert client.get(url, headers={"X-API-Key": token}).status_code == 401


def test_an_unreachable_neo4j_is_a_503_with_retry_after(
    served: Served, settings: Settings
) -> None:
    from dataclasses import replace

    # A port that nothing listens on: the driver cannot connect.
    down = create_app(replace(settings, neo4j_uri="bolt://127.0.0.1:1"), TESTING=True)
    try:
        response = down.test_client().get(
            f"/api/v1/rules?dataset={served.dataset}", headers=served.headers("read")
        )
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "Neo4j" in problem_of(response)["detail"]
        health = down.test_client().get("/api/v1/health")
        assert health.status_code == 503
    finally:
        close_app(down)


def test_serving_survives_connections_that_the_server_closed(
    served: Served, settings: Settings, driver: Driver
) -> None:
    from basketgraph.graphdb.connection import connect
    from basketgraph.graphdb.serving import complete_basket, related_products

    # Serving reads run as auto-commit queries, not in the driver's managed
    # transactions: a pooled connection the server dropped must still not fail.
    agent = "basketgraph-test/closed-connections"
    serving = connect(settings, user_agent=agent)
    try:
        first = related_products(serving, served.dataset, served.sku, "rules")
        assert first
        killed = driver.execute_query(
            "CALL dbms.listConnections() YIELD connectionId, userAgent "
            "WHERE userAgent = $agent "
            "CALL dbms.killConnection(connectionId) YIELD message "
            "RETURN count(*) AS n",
            agent=agent,
        ).records[0]["n"]
        assert killed >= 1
        assert related_products(serving, served.dataset, served.sku, "rules") == first
        rows, unknown = complete_basket(serving, served.dataset, [served.sku], "rules")
        assert rows and unknown == []
    finally:
        serving.close()
