"""The API's validation and its OpenAPI document, from one set of pydantic models.

spectree (https://github.com/0b01001001/spectree) does both on plain Flask blueprints: a view
decorated with `api.validate(...)` has its query, JSON body or multipart form validated by
its models before it runs (a bad one answers api.md's `400 invalid_request`, `fields`
naming each bad field), and `openapi_document()` is generated from the same models and
the routes. Bodies are read by `triage.api.json_body` first, so the deep-JSON and
refused-text checks stay ahead of every model.

Adding an endpoint: write its request and response models in the feature's `schemas.py`
(derive requests from `triage.api.schemas.Body`), decorate the view:

    @bp.post("/tickets/<reference>/resend-link")
    @api.validate(json=ResendLink, resp=responses({202: Accepted}, 400, 429),
                  tags=["Tickets"], security=PUBLIC, operation_id="resendLink")
    def resend_link(reference: str, json: ResendLink): ...

and name its blueprint in `API_BLUEPRINTS` below (tests/api checks every `/api/v1` route
of the app is in the document).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin
from spectree.utils import get_multidict_items

from triage.api.schemas import ERROR_MODELS, fields_of
from triage.errors import InvalidRequest

# Blueprints whose decorated views make up the document ("module:attribute").
API_BLUEPRINTS = (
    "triage.tickets.api:bp",
    "triage.review.api:bp",
    "triage.api.docs:bp",
    "triage.notifications.api:bp",
    "triage.vocabulary:bp",
    "triage.recovery.api:bp",
    "triage.retention.api:bp",
)

PUBLIC: list[dict[str, list[str]]] = []
CUSTOMER = [{"customerToken": []}]
REVIEWER = [{"reviewerToken": []}]
CUSTOMER_OR_REVIEWER = [{"customerToken": []}, {"reviewerToken": []}]

REFERENCE = {"reference": "The ticket's reference, e.g. UF-7KQ2-M9XD"}
EVIDENCE_ID = {"evidence_id": "The evidence item's id"}


class TriagePlugin(FlaskPlugin):
    """spectree's Flask plugin, reading bodies the way the API always has.

    - JSON through `triage.api.json_body`: RFC 8259 only, nesting and every string checked
      before a model sees it, whatever the Content-Type says; a body a model marks
      `optional_body` may be left out.
    - A multipart form is validated whatever the Content-Type, so a JSON upload is told
      which fields are missing rather than let through.
    - A model's ValidationError is api.md's 400 with `fields` (`triage.api.schemas.fields_of`).
    - Responses are documented, not re-validated at run time: schemathesis checks them
      against the document in tests/api.
    """

    def request_validation(self, request, query, json, form, headers, cookies) -> None:
        from triage.api import json_body

        try:
            has_body = request.method not in ("GET", "HEAD", "DELETE")
            request.context = Context(
                query.model_validate(get_multidict_items(request.args, query)) if query else None,
                json.model_validate(json_body(optional=getattr(json, "optional_body", False)))
                if json and has_body
                else None,
                form.model_validate(self.fill_form(request)) if form and has_body else None,
                None,
                None,
            )
        except ValidationError as exc:
            raise InvalidRequest("Some answers are missing or not valid.", fields_of(exc)) from exc

    def validate_response(self, resp, resp_model, skip_validation, force_resp_serialize):
        return super().validate_response(resp, resp_model, True, False)


api = SpecTree(
    "flask",
    backend=TriagePlugin,
    title="Evidence triage API",
    version="1",
    description=(
        "Account-change and unfreeze tickets with checked evidence. JSON in and out except "
        "uploads (multipart) and evidence content; times are ISO 8601 in UTC. Errors are "
        '`{"error": {"code", "message", ...}}`. A ticket that does not exist and one the '
        "caller may not see both answer 404."
    ),
    mode="strict",  # only the views decorated here, never the pages
    annotations=True,  # a view's `json: Model` / `query: Model` / `form: Model` argument
    validation_error_status=400,
    validation_error_model=ERROR_MODELS[400],
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="customerToken",
            data=SecuritySchemeData(
                type="http", scheme="bearer", description="The ticket's access token"
            ),
        ),
        SecurityScheme(
            name="reviewerToken",
            data=SecuritySchemeData(
                type="http", scheme="bearer", description="A reviewer's personal API token"
            ),
        ),
    ],
)


def responses(
    ok: dict[int, type[BaseModel] | None],
    *errors: int,
    uses_database: bool = True,
    narrower: dict[int, type[BaseModel]] | None = None,
) -> Response:
    """An operation's answers: `ok` with its models, the error statuses it may give, and
    always 400 (a query parameter it does not take), 500, and 503 when it `uses_database`."""
    statuses = {400, *errors, 500, *((503,) if uses_database else ())}
    models: dict[str, Any] = {f"HTTP_{s}": m for s, m in ok.items()}
    for status in sorted(statuses - set(ok)):
        models[f"HTTP_{status}"] = (narrower or {}).get(status, ERROR_MODELS[status])
    return Response(**models)


# What a model cannot say: a file's own content types and headers.
RAW_RESPONSES: dict[str, dict[str, Any]] = {}


def raw_response(operation_id: str, status: int, answer: dict[str, Any]) -> None:
    """Document a non-JSON answer (e.g. a file) of `operation_id` by hand."""
    RAW_RESPONSES.setdefault(operation_id, {})[str(status)] = answer


def _app_with_api() -> Flask:
    """A bare app with only the API blueprints: routes to read, no database or config."""
    from importlib import import_module

    app = Flask("openapi")
    for name in API_BLUEPRINTS:
        module, _, attribute = name.partition(":")
        app.register_blueprint(getattr(import_module(module), attribute))
    return app


@cache
def openapi_document() -> dict[str, Any]:
    """The whole api.md contract as an OpenAPI 3.1 document, generated from the models and
    routes (plain JSON-ready data; built once per process)."""
    with _app_with_api().app_context():
        doc = api._generate_spec()  # not `api.spec`: that caches on first use, ours above
    doc["tags"] = [
        {"name": "Requirements"},
        {"name": "Tickets", "description": "The customer's own ticket"},
        {"name": "Reviewers"},
        {"name": "Service"},
    ]
    optional = {
        name for name, cls in _body_models().items() if getattr(cls, "optional_body", False)
    }
    for item in doc["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body:
                schema = next(iter(body["content"].values()))["schema"]
                if schema["$ref"].rsplit("/", 1)[-1] in optional:
                    body["required"] = False
            operation["responses"].update(RAW_RESPONSES.get(operation["operationId"], {}))
            if not operation.get("description"):
                operation.pop("description", None)
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    parameter.pop("description", None)
    doc.pop("security", None)  # each operation says its own
    return doc


def _body_models() -> dict[str, type[BaseModel]]:
    from triage.api.schemas import Body

    out: dict[str, type[BaseModel]] = {}
    stack = list(Body.__subclasses__())
    while stack:
        cls = stack.pop()
        out[cls.__name__] = cls
        stack.extend(cls.__subclasses__())
    return out
