"""The OpenAPI document is generated from the request and response models (spectree over
pydantic, triage/api/openapi.py): it is valid OpenAPI 3.1, it covers every route of the
API blueprints, and the pages' limits are the schemas' limits. Whether the API answers as
the document says is schemathesis's job (test_schemathesis.py)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from triage.api.openapi import openapi_document

METHODS = {"get", "put", "post", "delete", "patch"}
# Not the contract: the benchmark's baseline endpoints (off unless BENCH_ENDPOINTS).
NOT_API = ("/api/v1/bench/",)
# Being added beside this work (triage/notifications/api.py, triage/vocabulary.py): each
# view gets `api.validate(...)` and its blueprint a line in API_BLUEPRINTS when it lands.
PENDING: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def doc() -> dict:
    return openapi_document()


def test_the_generated_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_it_is_served_at_the_contracts_address(client, doc):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == doc


def test_every_api_route_of_the_app_is_an_operation_of_the_document(app, doc):
    documented = {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    }
    routes = {
        (method.lower(), re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and not rule.rule.startswith(NOT_API)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - documented - PENDING == set()
    assert documented - routes == set()
    operation_ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_errors_are_the_envelope_and_a_bad_body_is_400_with_fields(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["BadRequestBody"]["properties"]["code"]["enum"] == [
        "invalid_request",
        "empty_file",
    ]
    assert set(schemas["BadRequest"]["properties"]) == {"error"}
    for item in doc["paths"].values():
        for operation in item.values():
            assert {"400", "500"} <= set(operation["responses"]), operation["operationId"]


def test_the_cross_field_rules_are_in_the_schemas(doc):
    schemas = doc["components"]["schemas"]
    create = schemas["TicketCreate"]["allOf"]
    assert {
        "if": {
            "properties": {
                "type": {"const": "account_change"},
                "customer_type": {"enum": ["direct", "reseller"]},
            },
            "required": ["type", "customer_type"],
        },
        "then": {"required": ["real_name_auth"]},
    } in create
    assert schemas["Change"]["allOf"] == [
        {"anyOf": [{"required": ["mobile"]}, {"required": ["email"]}]}
    ]
    assert schemas["DecisionRequest"]["allOf"][0]["then"]["required"] == ["note"]


def test_the_forms_limits_are_the_schemas_limits(app, doc):
    from forms.review import DecisionForm
    from forms.tickets import NewTicketForm, SubmitForm

    schemas = doc["components"]["schemas"]

    def most(model: str, field: str) -> int:
        schema = schemas[model]["properties"][field]
        return schema.get("maxLength") or schema["anyOf"][0]["maxLength"]

    with app.test_request_context():
        form = NewTicketForm(meta={"csrf": False})
        for name, (model, field) in {
            "account_name": ("TicketCreate", "account_name"),
            "contact_email": ("TicketCreate", "contact_email"),
            "description": ("TicketCreate", "description"),
            "change_mobile": ("Change", "mobile"),
            "change_email": ("Change", "email"),
        }.items():
            assert f'maxlength="{most(model, field)}"' in str(form[name]()), name
        explanation = SubmitForm(meta={"csrf": False}).explanation()
        assert f'maxlength="{most("SubmitRequest", "explanation")}"' in str(explanation)
        note = DecisionForm(meta={"csrf": False}).note()
        assert f'maxlength="{most("DecisionRequest", "note")}"' in str(note)
