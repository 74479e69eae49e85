"""The console's pages, login and CSRF, and the read-only Cypher console."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from neo4j import Driver

from basketgraph.exceptions import InputError
from basketgraph.graphdb.console import QueryRefusedError, run_read_query
from tests.web.conftest import Served

pytestmark = pytest.mark.neo4j


def csrf(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]

    return found.group(1)


def log_in(client: FlaskClient, served: Served, role: str = "curate") -> str:
    token = csrf(client)
    response = client.post(
        "/login", data={"token": served.tokens[role], "csrf_token": token}
    )
    assert response.status_code == 302, response.data[:300]
    # Logging in starts a new session, with a new token.
    return csrf(client, f"/curation?dataset={served.dataset}")


def test_pages_need_a_login_and_a_wrong_key_is_refused(
    client: FlaskClient, served: Served
) -> None:
    assert client.get("/").status_code == 302
    assert "/login" in client.get("/rules").headers["Location"]
    refused = client.post(
        "/login", data={"token": "bgk_nope", "csrf_token": csrf(client)}
    )
    assert refused.status_code == 401
    assert "not known" in refused.get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_refused(
    client: FlaskClient, served: Served
) -> None:
    csrf(client)
    response = client.post("/login", data={"token": served.tokens["read"]})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    log_in(client, served)
    forged = client.post(
        f"/curation?dataset={served.dataset}",
        data={"action": "pin", "sku": served.sku, "partner": "x", "csrf_token": "no"},
    )
    assert forged.status_code == 400


def test_every_page_renders_over_the_served_dataset(
    client: FlaskClient, served: Served
) -> None:
    log_in(client, served)
    query = f"?dataset={served.dataset}"
    dashboard = client.get(f"/{query}").get_data(as_text=True)
    assert "Served runs" in dashboard and "mine-" in dashboard
    product = client.get(f"/products/{served.sku}{query}")
    assert product.status_code == 200
    page = product.get_data(as_text=True)
    assert 'id="graph-data"' in page and "cytoscape.min.js" in page
    for kind in ("rules", "complement", "substitute", "similar", "learned"):
        assert f'id="related-{kind}"' in page
    rules = client.get(f"/rules{query}&min_lift=1&sort=confidence").get_data(
        as_text=True
    )
    assert "of run <code>mine-" in rules
    search = client.get(f"/search{query}&q={served.sku}").get_data(as_text=True)
    assert f">{served.sku}</a>" in search
    assert client.get(f"/curation{query}").status_code == 200
    assert client.get(f"/products/NOPE{query}").status_code == 404


@pytest.mark.usefixtures("clean_curations")
def test_a_pin_from_the_console_comes_first_on_the_product_page(
    client: FlaskClient, served: Served
) -> None:
    token = log_in(client, served)
    query = f"?dataset={served.dataset}"
    page = client.get(f"/products/{served.sku}{query}").get_data(as_text=True)
    skus = re.findall(r'<tr class="" data-sku="([^"]+)"', page)
    partner = skus[-1]
    response = client.post(
        f"/curation{query}",
        data={
            "action": "pin",
            "sku": served.sku,
            "partner": partner,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/products/{served.sku}{query}").get_data(as_text=True)
    first = re.search(r'<tr class="(pinned)?" data-sku="([^"]+)"', page)
    assert first is not None and first.groups() == ("pinned", partner)
    assert "pinned by test-curate" in page


def test_a_read_only_key_cannot_curate_from_the_console(
    client: FlaskClient, served: Served
) -> None:
    token = log_in(client, served, role="read")
    response = client.post(
        f"/curation?dataset={served.dataset}",
        data={"action": "pin", "sku": served.sku, "partner": "x", "csrf_token": token},
    )
    assert response.status_code == 403


def test_the_cypher_console_shows_a_read_as_table_and_graph(
    client: FlaskClient, served: Served
) -> None:
    token = log_in(client, served, role="read")
    response = client.post(
        f"/cypher?dataset={served.dataset}",
        data={
            "csrf_token": token,
            "query": "MATCH (p:Product {dataset: $dataset})-[r:BOUGHT_WITH]->(q) "
            "RETURN p, r, q LIMIT 5",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="cypher-result"' in page and 'id="graph-data"' in page
    assert "5 rows" in page


def test_the_cypher_console_refuses_a_write_in_the_page(
    client: FlaskClient, served: Served, driver: Driver
) -> None:
    token = log_in(client, served, role="admin")
    response = client.post(
        f"/cypher?dataset={served.dataset}",
        data={"csrf_token": token, "query": "CREATE (:Intruder {dataset: $dataset})"},
    )
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'data-refused-by="read-only transaction"' in page
    assert_no_intruder(driver)


def assert_no_intruder(driver: Driver) -> None:
    found = driver.execute_query("MATCH (n:Intruder) RETURN count(n) AS n").records
    assert found[0]["n"] == 0


# Writes however they are spelled: Neo4j refuses each inside the read transaction.
WRITES = [
    "CREATE (:Intruder)",
    "cReAtE (:Intruder)",
    "/* a comment */ CREATE // another\n (:Intruder)",
    "MATCH (p:Product) WITH p LIMIT 1 SET p.intruded = true",
    "MATCH (p:Product) WITH p LIMIT 1 CALL (p) { SET p.intruded = true } RETURN 1",
    "CALL { CREATE (:Intruder) } RETURN 1",
    "UNWIND [1] AS x MERGE (:Intruder {x: x})",
    "MATCH (n:Intruder) DETACH DELETE n",
    "CALL db.createLabel('Intruder')",
    "CALL db.createProperty('intruded')",
    "CREATE INDEX intruder IF NOT EXISTS FOR (n:Intruder) ON (n.x)",
    "DROP INDEX product_text",
    "CREATE CONSTRAINT intruder IF NOT EXISTS FOR (n:Intruder) REQUIRE n.x IS UNIQUE",
    "FOREACH (x IN [1] | CREATE (:Intruder))",
]


@pytest.mark.parametrize("query", WRITES)
def test_writes_are_refused_by_the_read_only_transaction(
    driver: Driver, query: str
) -> None:
    with pytest.raises(QueryRefusedError) as refused:
        run_read_query(driver, query)
    assert refused.value.by == "read-only transaction", str(refused.value)
    assert "read-only transaction" in str(refused.value)
    assert_no_intruder(driver)
    indexes = driver.execute_query(
        "SHOW INDEXES YIELD name WHERE name IN ['intruder', 'product_text'] "
        "RETURN collect(name) AS names"
    ).records[0]["names"]
    assert indexes == ["product_text"]


def test_write_words_in_a_read_query_are_not_refused(driver: Driver) -> None:
    # No filter of the text: words of writes in a comment or a string are read.
    result = run_read_query(
        driver,
        "// CREATE (:Intruder)\nRETURN 'DELETE n SET x LOAD CSV DROP' AS text, "
        "/* MERGE */ 1 AS one",
    )
    assert result.rows == [["DELETE n SET x LOAD CSV DROP", 1]]


# What a read transaction allows but the console must not run.
NOT_READS = [
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "load csv with headers from 'http://127.0.0.1:1/x.csv' as row return row",
    "CALL () { LOAD CSV FROM 'file:///etc/hostname' AS r RETURN r } RETURN r",
    "CALL dbms.listConfig() YIELD name RETURN name",
    "CALL db.clearQueryCaches()",
    "SHOW SETTINGS",
    "SHOW TRANSACTIONS",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "SHOW USERS",
]


@pytest.mark.parametrize("query", NOT_READS)
def test_file_access_and_administration_are_refused_by_the_plan(
    driver: Driver, query: str
) -> None:
    with pytest.raises(QueryRefusedError) as refused:
        run_read_query(driver, query)
    assert refused.value.by == "plan", str(refused.value)


def test_reads_run_with_a_row_cap_and_a_time_limit(
    driver: Driver, served: Served
) -> None:
    result = run_read_query(
        driver,
        "MATCH (p:Product {dataset: $dataset}) RETURN p.sku AS sku",
        {"dataset": served.dataset},
        row_cap=7,
    )
    assert result.columns == ["sku"] and len(result.rows) == 7 and result.truncated
    labels = run_read_query(driver, "CALL db.labels() YIELD label RETURN label")
    assert ["Product"] in labels.rows
    with pytest.raises(InputError, match=r"limit of 0\.5 s"):
        run_read_query(
            driver,
            "UNWIND range(1, 100000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x)",
            timeout=0.5,
        )
