"""The OpenAPI document: valid 3.1, covers every route, and matches real responses."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD
from triage.api.openapi import openapi_document
from triage.requirements import evaluate, node_json, parse_facts, resolve

METHODS = {"get", "put", "post", "delete", "patch"}
DOC_URI = "urn:triage-openapi"

# api.md, written out: (method, path) of every endpoint the contract names.
API_MD_ENDPOINTS = {
    ("get", "/api/v1/requirements"),
    ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{reference}"),
    ("post", "/api/v1/tickets/{reference}/evidence"),
    ("put", "/api/v1/tickets/{reference}/information"),
    ("post", "/api/v1/tickets/{reference}/submit"),
    ("post", "/api/v1/tickets/{reference}/withdraw"),
    ("get", "/api/v1/queue"),
    ("post", "/api/v1/queue/claim"),
    ("post", "/api/v1/tickets/{reference}/release"),
    ("post", "/api/v1/tickets/{reference}/reassign"),
    ("get", "/api/v1/evidence/{id}/content"),
    ("post", "/api/v1/evidence/{id}/review"),
    ("post", "/api/v1/tickets/{reference}/request-materials"),
    ("post", "/api/v1/tickets/{reference}/decision"),
    ("get", "/api/v1/tickets/{reference}/history"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/readyz"),
}
API_MD_ERROR_CODES = {
    "invalid_request": 400,
    "empty_file": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid_state": 409,
    "requirements_not_met": 409,
    "file_too_large": 413,
    "unsupported_file_type": 415,
    "file_type_mismatch": 415,
    "unknown_material": 422,
    "password_protected": 422,
    "damaged_file": 422,
    "rate_limited": 429,
    "storage_unavailable": 503,
    "service_unavailable": 503,
    "server_error": 500,
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi_document()


def _registry(doc: dict[str, Any]) -> Registry:
    return Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )


def validator(doc: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) for the schema at `pointer`."""
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#{quote(pointer)}"},
        registry=_registry(doc),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def response_validator(
    doc: dict[str, Any], path: str, method: str, status: int
) -> Draft202012Validator:
    response = doc["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#")
    else:
        pointer = f"/paths/{_escape(path)}/{method}/responses/{status}"
    return validator(doc, f"{pointer}/content/application~1json/schema")


def schema_validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    return validator(doc, f"/components/schemas/{name}")


def assert_valid(check: Draft202012Validator, instance: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(instance)]
    assert not errors, errors


def undocumented(body: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    return set(body) - set(schema["properties"])


def _template(path: str) -> str:
    """A path with its parameter names blanked, Flask's <x> and OpenAPI's {x} alike."""
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>|\{[^}]+\}", "{}", path)


# --- the document ---------------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any error, including unresolvable $refs and path parameters


def test_served_document_is_the_built_one(client, doc):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == doc
    assert response.json["info"]["title"] == "Evidence triage API"


def test_every_registered_api_route_is_documented(app, doc):
    documented = {
        (method, _template(path))
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }
    registered = {
        (method.lower(), _template(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert ("get", "/api/v1/tickets/{}") in registered  # the walk itself found the API
    missing = sorted(registered - documented)
    assert not missing, f"routes missing from triage/api/openapi.py: {missing}"


def test_every_endpoint_of_api_md_is_documented(doc):
    documented = {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }
    assert not API_MD_ENDPOINTS - documented, "api.md endpoints missing from the document"
    assert not documented - API_MD_ENDPOINTS, "documented endpoints that api.md does not name"


def test_operation_ids_are_unique_and_every_operation_can_fail_with_500(doc):
    operations = [op for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) == len(API_MD_ENDPOINTS)
    for op in operations:
        assert op["responses"]["500"] == {"$ref": "#/components/responses/ServerError"}


def test_error_codes_are_api_md_codes_plus_the_service_codes(doc):
    code = doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]
    assert set(code["enum"]) == set(API_MD_ERROR_CODES)
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    assert doc["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message"]


def _codes(response: dict[str, Any]) -> set[str]:
    schema = response["content"]["application/json"]["schema"]
    return set(schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"])


def test_each_error_response_allows_only_codes_of_its_status(doc):
    narrow = {"UnknownMaterial", "UnprocessableUpload"}
    for name, response in doc["components"]["responses"].items():
        narrowed = _codes(response)
        statuses = {API_MD_ERROR_CODES[code] for code in narrowed}
        assert len(statuses) == 1
        (status,) = statuses
        every = {c for c, s in API_MD_ERROR_CODES.items() if s == status}
        assert narrowed == every or (name in narrow and narrowed < every), name
    conflict = doc["components"]["responses"]["Conflict"]["content"]["application/json"]
    check = validator(doc, "/components/responses/Conflict/content/application~1json/schema")
    assert_valid(
        check,
        {
            "error": {
                "code": "requirements_not_met",
                "message": "Add them.",
                "missing": ["card_front"],
            }
        },
    )
    assert not check.is_valid({"error": {"code": "not_found", "message": "No."}})
    assert conflict["schema"]["allOf"][0] == {"$ref": "#/components/schemas/Error"}


def test_security_schemes_are_bearer_tokens(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes == {
        "customerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The ticket's access token",
        },
        "reviewerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A reviewer's personal API token",
        },
    }


def test_each_operation_names_who_may_call_it(doc):
    def security(method: str, path: str) -> list[str]:
        return sorted(name for req in doc["paths"][path][method]["security"] for name in req)

    public = {
        ("get", "/api/v1/requirements"),
        ("post", "/api/v1/tickets"),
        ("get", "/api/v1/openapi.json"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    }
    for method, path in API_MD_ENDPOINTS:
        who = security(method, path)
        if (method, path) in public:
            assert who == [], path
        elif (method, path) == ("get", "/api/v1/tickets/{reference}"):
            assert who == ["customerToken", "reviewerToken"]
        elif path.startswith("/api/v1/tickets/{reference}/") and path.rsplit("/", 1)[1] in (
            "evidence",
            "information",
            "submit",
            "withdraw",
        ):
            assert who == ["customerToken"], path
        else:
            assert who == ["reviewerToken"], path


def test_upload_is_multipart_and_evidence_content_has_safe_headers(doc):
    upload = doc["paths"]["/api/v1/tickets/{reference}/evidence"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["material", "file"]
    assert {"400", "413", "415", "422", "503"} <= set(upload["responses"])
    # api.md: a file that needs a password, or does not open, is 422 with its own code.
    refused = upload["responses"]["422"]["$ref"].rsplit("/", 1)[1]
    assert _codes(doc["components"]["responses"][refused]) == {
        "unknown_material",
        "password_protected",
        "damaged_file",
    }
    information = doc["paths"]["/api/v1/tickets/{reference}/information"]["put"]
    assert information["responses"]["422"] == {"$ref": "#/components/responses/UnknownMaterial"}
    content = doc["paths"]["/api/v1/evidence/{id}/content"]["get"]["responses"]["200"]
    assert content["headers"]["X-Content-Type-Options"]["schema"] == {"const": "nosniff"}
    assert "Content-Disposition" in content["headers"]
    assert "application/pdf" in content["content"]
    assert "text/html" not in content["content"]


def test_reassign_takes_a_reviewer_email(doc):
    body = doc["paths"]["/api/v1/tickets/{reference}/reassign"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReassignRequest"
    }
    check = schema_validator(doc, "ReassignRequest")
    assert check.is_valid({"reviewer": "lead@example.com"})
    assert not check.is_valid({"reviewer": "not an address"})
    assert not check.is_valid({})


# --- schemas against the engine and requests ------------------------------------------------------

FACT_SAMPLES = [
    {"type": "unfreeze", "account_type": "individual", "card_added": True},
    {"type": "unfreeze", "account_type": "enterprise", "card_added": False},
    *(
        {
            "type": "account_change",
            "customer_type": c,
            "real_name_auth": a,
            "account_type": t,
            "card_added": card,
            "payments_made": paid,
        }
        for c in ("direct", "reseller", "partner")
        for a in ("completed", "not_completed")
        for t in ("individual", "enterprise")
        for card in (False, True)
        for paid in (False, True)
    ),
]


def test_requirement_node_schemas_accept_every_tree_the_engine_builds(doc):
    plain = schema_validator(doc, "RequirementNode")
    evaluated = schema_validator(doc, "EvaluatedRequirementNode")
    for raw in FACT_SAMPLES:
        requirement = resolve(parse_facts(raw)).requirement
        if requirement is None:
            continue
        assert_valid(plain, node_json(requirement))
        assert_valid(evaluated, node_json(requirement, evaluate(requirement, {"passport"})))
        # A ticket's tree must say `satisfied` on every node.
        assert not evaluated.is_valid(node_json(requirement))


def test_requirement_node_schema_is_recursive_and_strict_about_shape(doc):
    node = doc["components"]["schemas"]["AnyOfNode"]["properties"]["any_of"]["items"]
    assert node == {"$ref": "#/components/schemas/RequirementNode"}
    plain = schema_validator(doc, "RequirementNode")
    deep = {"all_of": [{"any_of": [{"all_of": [{"material": "passport"}]}], "min": 1}]}
    assert plain.is_valid(deep)
    for bad in (
        {"material": "selfie"},
        {"any_of": [{"material": "passport"}], "min": 0},
        {"all_of": []},
        {"all_of": [{"material": "passport"}], "any_of": [{"material": "passport"}]},
        {"all_of": [{"material": "passport", "optional": "yes"}]},
    ):
        assert not plain.is_valid(bad), bad


def test_ticket_create_schema_matches_the_fixtures_bodies(doc):
    check = schema_validator(doc, "TicketCreate")
    assert_valid(check, UNFREEZE_WITH_CARD)
    assert_valid(check, CHANGE_DIRECT_AUTHENTICATED)
    no_change = {k: v for k, v in CHANGE_DIRECT_AUTHENTICATED.items() if k != "change"}
    assert not check.is_valid(no_change)
    assert not check.is_valid({**CHANGE_DIRECT_AUTHENTICATED, "change": {}})
    assert not check.is_valid({**UNFREEZE_WITH_CARD, "contact_email": "nobody"})


# --- real responses ------------------------------------------------------------------------------


def test_created_and_fetched_tickets_match_the_schema(client, doc, pdf_bytes):
    created = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert created.status_code == 201
    assert_valid(response_validator(doc, "/api/v1/tickets", "post", 201), created.json)
    assert created.json["access_token"]
    ticket_schema = doc["components"]["schemas"]["Ticket"]
    assert undocumented(created.json, ticket_schema) == {"access_token"}

    reference = created.json["reference"]
    headers = {"Authorization": f"Bearer {created.json['access_token']}"}
    path = "/api/v1/tickets/{reference}"
    uploaded = client.post(
        f"/api/v1/tickets/{reference}/evidence",
        headers=headers,
        data={"material": "passport", "file": (io.BytesIO(pdf_bytes), "p.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201
    assert_valid(response_validator(doc, f"{path}/evidence", "post", 201), uploaded.json)
    assert not undocumented(uploaded.json, doc["components"]["schemas"]["Evidence"])

    fetched = client.get(f"/api/v1/tickets/{reference}", headers=headers)
    assert fetched.status_code == 200
    body = fetched.json
    assert_valid(response_validator(doc, path, "get", 200), body)
    assert not undocumented(body, ticket_schema)
    assert body["evidence"][0]["material"] == "passport"
    assert body["requirement"]["satisfied"] is False
    assert body["requirement"]["any_of"][0]["satisfied"] is True
    for item in body["checklist"]:
        assert not undocumented(item, doc["components"]["schemas"]["ChecklistItem"])

    refused = client.post(f"/api/v1/tickets/{reference}/submit", headers=headers)
    assert refused.status_code == 409
    assert_valid(response_validator(doc, f"{path}/submit", "post", 409), refused.json)
    assert refused.json["error"]["missing"] == ["card_front", "card_transactions"]

    submitted = client.post(
        f"/api/v1/tickets/{reference}/submit",
        headers=headers,
        json={"explanation": "My card was cancelled."},
    )
    assert submitted.status_code == 200
    assert_valid(response_validator(doc, f"{path}/submit", "post", 200), submitted.json)
    assert submitted.json["flags"] == ["incomplete"]
    assert submitted.json["submitted_at"]


def test_information_ticket_matches_the_schema(client, doc):
    body = {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed"}
    created = client.post("/api/v1/tickets", json=body)
    assert created.status_code == 201
    headers = {"Authorization": f"Bearer {created.json['access_token']}"}
    path = "/api/v1/tickets/{reference}/information"
    values = {
        "email": "owner@example.com",
        "user_name": "Ada Lovelace",
        "contact_address": {
            "line1": "1 Main St",
            "city": "Leeds",
            "province": "West Yorkshire",
            "postal_code": "LS1 1AA",
            "country": "United Kingdom",
        },
    }
    assert_valid(schema_validator(doc, "InformationUpdate"), values)
    updated = client.put(
        f"/api/v1/tickets/{created.json['reference']}/information", headers=headers, json=values
    )
    assert updated.status_code == 200, updated.json
    assert_valid(response_validator(doc, path, "put", 200), updated.json)
    assert updated.json["complete"] is True
    assert updated.json["information"]["contact_address"]["city"] == "Leeds"
    assert updated.json["requirement"]["all_of"][0] == {
        "material": "original_mobile",
        "optional": True,
        "satisfied": True,
    }


@pytest.mark.parametrize(
    "query",
    [
        "type=unfreeze&account_type=individual&card_added=true",
        "type=account_change&customer_type=direct&real_name_auth=not_completed"
        "&account_type=individual&card_added=false&payments_made=true",
    ],
    ids=["checklist", "manual_review"],
)
def test_requirements_responses_match_the_schema(client, doc, query):
    response = client.get(f"/api/v1/requirements?{query}")
    assert response.status_code == 200
    assert_valid(response_validator(doc, "/api/v1/requirements", "get", 200), response.json)
    schema = doc["components"]["schemas"]["Requirements"]
    assert not undocumented(response.json, schema)
    if response.json["outcome"] == "manual_review":
        assert response.json["requirement"] is None
        assert response.json["message"]


def test_error_responses_match_the_schema(client, doc, make_ticket):
    bad = client.post("/api/v1/tickets", json={"type": "unfreeze"})
    assert bad.status_code == 400
    assert_valid(response_validator(doc, "/api/v1/tickets", "post", 400), bad.json)
    assert set(bad.json["error"]["fields"]) >= {"account_type", "card_added", "account_name"}

    path = "/api/v1/tickets/{reference}"
    mine, other = make_ticket(), make_ticket()
    anonymous = client.get(f"/api/v1/tickets/{mine.reference}")
    assert anonymous.status_code == 401
    assert_valid(response_validator(doc, path, "get", 401), anonymous.json)
    hidden = client.get(f"/api/v1/tickets/{other.reference}", headers=mine.headers)
    assert hidden.status_code == 404
    assert_valid(response_validator(doc, path, "get", 404), hidden.json)

    query = client.get("/api/v1/requirements?type=account_change&card_added=maybe")
    assert query.status_code == 400
    assert_valid(response_validator(doc, "/api/v1/requirements", "get", 400), query.json)
    assert query.json["error"]["fields"]["card_added"] == "must be true or false"


def test_health_responses_match_the_schema(client, doc):
    assert_valid(response_validator(doc, "/healthz", "get", 200), client.get("/healthz").json)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert_valid(response_validator(doc, "/readyz", "get", 200), ready.json)
    assert ready.json["checks"] == {"database": "ok", "evidence_store": "ok"}


def _reviewer_headers(runner, email: str, role: str = "reviewer") -> dict[str, str]:
    created = runner.invoke(
        args=[
            "reviewers",
            "create",
            email,
            "--name",
            "Rita Reviewer",
            "--role",
            role,
            "--password-stdin",
        ],
        input="correct horse battery staple\n",
    )
    assert created.exit_code == 0, created.output
    issued = runner.invoke(args=["reviewers", "token", email])
    assert issued.exit_code == 0, issued.output
    return {"Authorization": f"Bearer {issued.output.split()[-1]}"}


def test_reviewer_responses_match_the_schema(app, client, runner, doc, make_ticket, pdf_bytes):
    if "/api/v1/queue" not in {rule.rule for rule in app.url_map.iter_rules()}:
        pytest.skip("the reviewer API is not registered yet")
    ticket = make_ticket()
    for material in ("passport", "card_front"):
        assert ticket.upload(material, pdf_bytes, f"{material}.pdf").status_code == 201
    assert ticket.submit().status_code == 200
    reviewer = _reviewer_headers(runner, "rita@example.com")

    as_customer = client.get("/api/v1/queue", headers=ticket.headers)
    assert as_customer.status_code == 401
    assert_valid(response_validator(doc, "/api/v1/queue", "get", 401), as_customer.json)

    queue = client.get("/api/v1/queue", headers=reviewer)
    assert queue.status_code == 200
    assert_valid(response_validator(doc, "/api/v1/queue", "get", 200), queue.json)
    assert [item["reference"] for item in queue.json["items"]] == [ticket.reference]

    claimed = client.post("/api/v1/queue/claim", headers=reviewer)
    assert claimed.status_code == 200
    assert_valid(response_validator(doc, "/api/v1/queue/claim", "post", 200), claimed.json)
    assert claimed.json["claimed_by"] == "rita@example.com"
    assert claimed.json["status"] == "in_review"
    schemas = doc["components"]["schemas"]
    review_ticket = {
        "properties": {
            **schemas["Ticket"]["properties"],
            **schemas["ReviewTicket"]["allOf"][1]["properties"],
        }
    }
    assert not undocumented(claimed.json, review_ticket)
    assert not undocumented(queue.json["items"][0], schemas["QueueItem"])

    evidence_id = claimed.json["evidence"][0]["id"]
    reviewed = client.post(
        f"/api/v1/evidence/{evidence_id}/review",
        headers=reviewer,
        json={"decision": "rejected", "reason": "blurry"},
    )
    assert reviewed.status_code == 200, reviewed.json
    assert_valid(
        response_validator(doc, "/api/v1/evidence/{id}/review", "post", 200), reviewed.json
    )
    assert reviewed.json["review"]["reason"] == "blurry"

    history = client.get(f"/api/v1/tickets/{ticket.reference}/history", headers=reviewer)
    assert history.status_code == 200
    assert_valid(
        response_validator(doc, "/api/v1/tickets/{reference}/history", "get", 200), history.json
    )
    assert history.json["events"][0]["action"] == "created"

    decided = client.post(
        f"/api/v1/tickets/{ticket.reference}/decision",
        headers=reviewer,
        json={"decision": "rejected", "note": "The passport is unreadable."},
    )
    assert decided.status_code == 200, decided.json
    assert_valid(
        response_validator(doc, "/api/v1/tickets/{reference}/decision", "post", 200), decided.json
    )
    assert decided.json["status"] == "rejected"

    nothing_left = client.post("/api/v1/queue/claim", headers=reviewer)
    assert nothing_left.status_code == 204
    assert "204" in doc["paths"]["/api/v1/queue/claim"]["post"]["responses"]
