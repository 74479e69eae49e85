"""``/api/v1/health``: whether the API reaches Neo4j."""

from __future__ import annotations

from typing import Any

from basketgraph.web.api import ApiBlueprint, problem_responses
from basketgraph.web.api.schemas import Health
from basketgraph.web.services import services

URL = "/health"
blp = ApiBlueprint("health", __name__, description="Liveness and readiness.")


@blp.route("", methods=["GET"])
@blp.response(200, Health)
@blp.doc(responses=problem_responses(503), security=[])
def get_health() -> dict[str, Any]:
    """Report whether Neo4j answers; 503 when it does not."""
    services().driver.verify_connectivity()

    return {"status": "ok", "neo4j": "ok"}
