"""The console in a real browser: headless Chromium against the served console.

Every test saves a screenshot of each page it sees under ``test-artifacts/browser``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from neo4j import Driver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from basketgraph.graphdb.serving import KINDS
from tests.web.conftest import ARTIFACTS, Served
from tests.workerprocs import Worker

pytestmark = pytest.mark.neo4j


class Console:
    """A logged-in browser on the console, over the served dataset."""

    def __init__(self, browser: WebDriver, url: str, served: Served) -> None:
        """Keep the browser, the console's address and the dataset."""
        self.browser = browser
        self.url = url.rstrip("/")
        self.served = served

    def open(self, path: str) -> None:
        """Open a console page of the served dataset."""
        separator = "&" if "?" in path else "?"
        self.browser.get(f"{self.url}{path}{separator}dataset={self.served.dataset}")

    def find(self, css: str) -> WebElement:
        """Return the element ``css`` selects, waiting for it."""
        return self.wait_for(
            lambda b: b.find_element(By.CSS_SELECTOR, css), f"no element {css!r}"
        )

    def wait_for(
        self, condition: Callable[[WebDriver], Any], why: str, timeout: float = 20
    ) -> Any:
        """Wait until ``condition`` is truthy, failing with ``why``."""
        return WebDriverWait(self.browser, timeout, poll_frequency=0.2).until(
            condition, message=why
        )

    def shot(self, name: str) -> None:
        """Save a screenshot of the page as it is now."""
        assert self.browser.save_screenshot(str(ARTIFACTS / f"{name}.png")), name

    def related_skus(self, kind: str) -> list[str]:
        """Return the skus listed for one kind on a product page, in order."""
        rows = self.browser.find_elements(
            By.CSS_SELECTOR, f"#related-{kind} tr[data-sku]"
        )
        return [row.get_attribute("data-sku") or "" for row in rows]


@pytest.fixture(scope="module")
def console(browser: WebDriver, web_server: str, served: Served) -> Iterator[Console]:
    """The browser, logged in with an admin key."""
    found = Console(browser, web_server, served)
    found.open("/")
    found.wait_for(expected_conditions.url_contains("/login"), "no login page")
    found.shot("login")
    found.find("#token").send_keys(served.tokens["admin"])
    found.find("#login").click()
    found.wait_for(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".cards")),
        "the dashboard did not open after logging in",
    )
    assert "test-admin (admin)" in found.find(".who").text
    yield found
    browser.delete_all_cookies()


def test_a_wrong_key_stays_on_the_login_page(
    browser: WebDriver, web_server: str, served: Served
) -> None:
    page = Console(browser, web_server, served)
    page.open("/login")
    page.find("#token").send_keys("bgk_not-a-key")
    page.find("#login").click()
    message = page.find(".flash").text
    assert "not known" in message
    page.shot("login-refused")


def test_dashboard_shows_counts_and_served_runs(console: Console) -> None:
    console.open("/")
    cards = {
        card.find_element(By.CSS_SELECTOR, ".label").text: card.find_element(
            By.CSS_SELECTOR, ".value"
        ).text
        for card in console.browser.find_elements(By.CSS_SELECTOR, ".card")
    }
    assert cards["products"] != "0" and cards["orders"] != "0", cards
    served_kinds = console.browser.find_element(By.TAG_NAME, "main").text
    for kind in ("mine", "embed", "train", "hybrid"):
        assert f"\n{kind} " in served_kinds
    console.shot("dashboard")


def test_search_a_product_and_see_its_related_products_and_graph(
    console: Console, driver: Driver
) -> None:
    title = driver.execute_query(
        "MATCH (p:Product {dataset: $d, sku: $s}) RETURN p.title AS t",
        d=console.served.dataset,
        s=console.served.sku,
    ).records[0]["t"]
    console.open("/")
    box = console.find("#search-box")
    box.send_keys(title)
    box.submit()
    link = console.wait_for(
        lambda b: b.find_element(
            By.XPATH, f"//table[@id='search-results']//a[text()='{console.served.sku}']"
        ),
        "the product is not among the search results",
    )
    console.shot("search")
    link.click()
    console.wait_for(
        expected_conditions.title_contains(title[:20]), "its page did not open"
    )
    for kind in KINDS:
        assert console.related_skus(kind), f"no {kind} products on the page"
    explanation = console.find("#related-rules tr[data-sku] td.small").text
    assert "bought together" in explanation and "lift" in explanation
    graph = console.find("#graph")
    nodes = console.wait_for(
        lambda b: graph.get_attribute("data-nodes"), "the graph view was not drawn"
    )
    assert int(nodes) > 5
    assert int(graph.get_attribute("data-edges") or 0) >= int(nodes) - 1
    console.shot("product")


@pytest.mark.usefixtures("clean_curations")
def test_a_pinned_pair_comes_first_in_every_kind(console: Console) -> None:
    sku = console.served.sku
    console.open(f"/products/{sku}")
    partner = console.related_skus("rules")[-1]
    row = console.find(f'#related-rules tr[data-sku="{partner}"]')
    row.find_element(By.CSS_SELECTOR, 'button[value="pin"]').click()
    console.wait_for(
        lambda b: "Pinned" in b.find_element(By.CSS_SELECTOR, ".flash").text,
        "the pin was not confirmed",
    )
    for kind in KINDS:
        skus = console.related_skus(kind)
        assert skus[0] == partner, (kind, skus)
    first = console.find("#related-rules tr[data-sku]")
    assert "pinned" in (first.get_attribute("class") or "")
    assert "pinned by test-admin" in first.text
    console.shot("product-pinned")
    console.open("/curation")
    in_force = console.find("#curations").text
    assert partner in in_force and "test-admin" in in_force
    assert "pin" in console.find("#audit").text
    console.shot("curation")


def test_rule_explorer_filters_and_sorts(console: Console) -> None:
    console.open("/rules?min_lift=1.5&sort=confidence")
    table = console.find("table#rules")
    rows = table.find_elements(By.CSS_SELECTOR, "tr[data-confidence]")
    assert rows, "no rules with lift above 1.5"
    confidences = [float(r.get_attribute("data-confidence") or 0) for r in rows]
    assert confidences == sorted(confidences, reverse=True)
    assert all(float(r.get_attribute("data-lift") or 0) >= 1.5 for r in rows)
    console.shot("rules")


def test_the_cypher_console_runs_a_read_and_refuses_a_write(
    console: Console, driver: Driver
) -> None:
    console.open("/cypher")
    query = console.find("#cypher-query")
    query.clear()
    query.send_keys(
        "MATCH (p:Product {dataset: $dataset})-[r:BOUGHT_WITH]->(q) "
        "RETURN p.sku AS sku, r, q ORDER BY r.lift DESC LIMIT 10"
    )
    console.find("#cypher-run").click()
    summary = console.find("#cypher-summary").text
    assert summary.startswith("10 rows"), summary
    header = [
        th.text
        for th in console.find("#cypher-result").find_elements(By.TAG_NAME, "th")
    ]
    assert header == ["sku", "r", "q"]
    graph = console.find("#graph")
    console.wait_for(lambda b: graph.get_attribute("data-edges"), "no graph drawn")
    assert int(graph.get_attribute("data-edges") or 0) == 10
    console.shot("cypher-read")

    query = console.find("#cypher-query")
    query.clear()
    query.send_keys("MATCH (p:Product {dataset: $dataset}) SET p.title = 'defaced'")
    console.find("#cypher-run").click()
    error = console.find("#cypher-error")
    assert error.get_attribute("data-refused-by") == "read-only transaction"
    assert "read-only" in error.text
    console.shot("cypher-write-refused")
    defaced = driver.execute_query(
        "MATCH (p:Product {dataset: $d, title: 'defaced'}) RETURN count(p) AS n",
        d=console.served.dataset,
    ).records[0]["n"]
    assert defaced == 0


def test_start_a_job_and_watch_it_finish(console: Console, worker: Worker) -> None:
    console.open("/jobs")
    Select(console.find("#job-step")).select_by_value("evaluate")
    console.find("#job-params").send_keys(json.dumps({"methods": ["baselines"]}))
    console.shot("jobs-form")
    console.find("#job-submit").click()
    row = console.find("tr.job.watched")
    job_id = row.get_attribute("data-job")
    seen: set[str] = set()

    def finished(browser: WebDriver) -> bool:
        status = browser.find_element(By.CSS_SELECTOR, "tr.job.watched .status").text
        seen.add(status)
        return status in ("complete", "failed", "cancelled")

    console.wait_for(finished, f"job {job_id} did not finish", timeout=180)
    row = console.find("tr.job.watched")
    error = row.find_element(By.CSS_SELECTOR, ".error").text
    assert row.find_element(By.CSS_SELECTOR, ".status").text == "complete", error
    assert row.find_element(By.CSS_SELECTOR, ".percent").text == "100%"
    # The page followed the job without being reloaded: it saw it unfinished.
    assert seen & {"queued", "running"}, seen
    console.shot("jobs-finished")
    # The evaluation it ran is charted on the dashboard.
    console.open("/")
    chart = console.find("#metrics-chart")
    console.wait_for(lambda b: chart.get_attribute("data-drawn"), "no chart drawn")
    assert job_id in console.find("main").text
    console.shot("dashboard-metrics")
