"""schemathesis over `/api/v1/openapi.json`, against the app itself (issue 9, item 7).

Every operation of the document gets generated requests, valid and invalid (schemathesis's
positive and negative modes, its coverage phase's boundary values included), sent with a
customer's access token or a reviewer's API token as the operation's security says, at a
ticket that exists. It must find 0 server errors, 0 undocumented statuses and 0 responses
that break their schema; and a request the document says is invalid must be refused.

Bounded for CI: `SCHEMATHESIS_EXAMPLES` generated cases per operation and mode (default 30)
on top of the coverage phase, derandomised (a fixed seed), under two minutes on SQLite.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import UNFREEZE_WITH_CARD
from tests.review import helpers
from tests.review.helpers import unique_pdf, unique_png
from triage.api.openapi import openapi_document

make_reviewer = helpers.make_reviewer  # the reviewer fixture of tests/review

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CUSTOMER_OPERATIONS = {"uploadEvidence", "updateInformation", "submitTicket", "withdrawTicket"}


OPERATIONS = sorted(
    (op["operationId"], op["security"], "reference" in path, "{evidence_id}" in path)
    for path, item in openapi_document()["paths"].items()
    for method, op in item.items()
    if method in ("get", "put", "post", "delete", "patch")
)
# Operations with something a client chooses besides the (fixed) ticket and token: only
# these have invalid requests to make.
NEGATABLE = {
    op["operationId"]
    for item in openapi_document()["paths"].values()
    for op in item.values()
    if isinstance(op, dict)
    and "operationId" in op
    and ("requestBody" in op or any(p["in"] == "query" for p in op.get("parameters", [])))
}


@dataclass
class World:
    """What the generated requests act on: a customer's draft and a reviewer's held ticket."""

    customer_reference: str
    customer_token: str
    review_reference: str
    reviewer_token: str
    evidence_id: str

    def aim(self, operation_id: str, security: list, reference: bool, evidence: bool):
        """(path parameters, headers): a real ticket or file, the token security wants."""
        customer = operation_id in CUSTOMER_OPERATIONS or operation_id == "getTicket"
        path: dict[str, str] = {}
        if reference:
            path["reference"] = self.customer_reference if customer else self.review_reference
        if evidence:
            path["evidence_id"] = self.evidence_id
        if not security:
            return path, {}
        token = self.customer_token if customer else self.reviewer_token
        return path, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(app, make_reviewer, pdf_bytes) -> World:
    client = app.test_client()
    lead = make_reviewer("sam@example.com", role="lead")
    mine = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).json
    held = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD).json
    headers = {"Authorization": f"Bearer {held['access_token']}"}
    for material, data, name in [
        ("passport", unique_pdf(pdf_bytes), "p.pdf"),
        ("card_front", unique_png(), "c.png"),
    ]:
        response = client.post(
            f"/api/v1/tickets/{held['reference']}/evidence",
            headers=headers,
            data={"material": material, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.json
    evidence_id = response.json["id"]
    submitted = client.post(f"/api/v1/tickets/{held['reference']}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.json
    taken = lead.post(f"/tickets/{held['reference']}/reassign", {"reviewer": lead.email})
    assert taken.status_code == 200, taken.json
    return World(
        mine["reference"], mine["access_token"], held["reference"], lead.token, evidence_id
    )


@pytest.mark.parametrize(
    ("operation_id", "security", "reference", "evidence"),
    OPERATIONS,
    ids=[o[0] for o in OPERATIONS],
)
@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"]
)
def test_the_api_matches_its_openapi_document(
    app, world, operation_id, security, reference, evidence, mode
):
    if mode is GenerationMode.NEGATIVE and operation_id not in NEGATABLE:
        pytest.skip("nothing but the ticket and the token, which stay valid, to make invalid")
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = api.find_operation_by_id(operation_id)
    path, headers = world.aim(operation_id, security, reference, evidence)
    # Fixed, so that negative mode never "negates" them: it varies everything else.
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=path or None, headers=headers or None
    )

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def test_a_query_parameter_the_document_does_not_list_is_refused(client, world):
    # `?count=true` (for `counts`) would otherwise answer without the counts, silently.
    headers = {"Authorization": f"Bearer {world.reviewer_token}"}
    response = client.get("/api/v1/queue?count=true", headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"count": "is not a parameter of this operation"}
    assert client.get("/api/v1/queue?counts=true&lang=es", headers=headers).status_code == 200
    mine = {"Authorization": f"Bearer {world.customer_token}"}
    path = f"/api/v1/tickets/{world.customer_reference}"
    assert client.get(f"{path}?x=1", headers=mine).status_code == 400
    assert client.get("/api/v1/openapi.json?pretty=1").status_code == 400
