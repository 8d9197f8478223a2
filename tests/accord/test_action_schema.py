"""The OpenAPI schema documents every action people take on a case or a listing (issue 13 §3): its request
body (`version` and the row's payload) and the error bodies `{detail, errors: [{field, message}]}`."""

from __future__ import annotations

from typing import Any

import httpx

from cases.workflow import MACHINE as CASES
from cases.workflow import ROLES_OF_ACTION as CASE_ROLES
from integrity.workflow import MACHINE as REGISTRY
from integrity.workflow import ROLES_OF_ACTION as LISTING_ROLES

PEOPLE_ACTIONS = {
    "/api/v1/cases/{reference}/actions/": (CASES, {a for a, roles in CASE_ROLES.items() if roles - {"system"}}),
    "/api/v1/registry/listings/{listing_id}/actions/": (
        REGISTRY,
        {a for a, roles in LISTING_ROLES.items() if roles - {"system"}},
    ),
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


async def test_every_action_documents_its_body_and_its_errors(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for prefix, (machine, actions) in PEOPLE_ACTIONS.items():
        assert actions, prefix
        for action in actions:
            operation = schema["paths"][prefix + action]["post"]
            body = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
            payload = machine.payloads[action]
            assert set(body["properties"]) == {"version", *payload.model_fields}, action
            assert "version" in body["required"], action
            assert {name for name, info in payload.model_fields.items() if info.is_required()} <= set(body["required"])
            for status in ("404", "409", "422"):
                error = _resolve(schema, operation["responses"][status]["content"]["application/json"]["schema"])
                assert set(error["required"]) == {"detail", "errors"}, (action, status)
                item = _resolve(schema, error["properties"]["errors"]["items"])
                assert set(item["properties"]) == {"field", "message"}, (action, status)


async def test_the_documented_routes_answer_as_the_schema_says(client: httpx.AsyncClient) -> None:
    """Without credentials: 401 in the error shape; the catch-all for other actions is not documented."""
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/cases/{reference}/actions/{action}" not in schema["paths"]
    response = await client.post("/api/v1/cases/AC-2026-000001/actions/respond", json={})
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}
