"""The contract of api.md as an OpenAPI 3.1 document, built from small pieces of data.

Enumerations (material keys, statuses, reasons, error codes...) come from the modules
that define them, so the document cannot drift from what the code accepts.
"""

from __future__ import annotations

from typing import Any

from triage.api import SWITCH_WORDS
from triage.errors import STATUS
from triage.evidence.checks import DOCX_TYPE, ODT_TYPE
from triage.evidence.reasons import REASONS
from triage.requirements import DOCUMENT_KEYS, INFORMATION_KEYS, MATERIALS, TICKET_TYPES
from triage.requirements.facts import CHOICES
from triage.review.queue import MAX_LIMIT as QUEUE_MAX_LIMIT
from triage.text import limit
from triage.tickets.flags import FLAGS
from triage.tickets.information import ADDRESS_LABELS, ADDRESS_PARTS, ADDRESS_REQUIRED
from triage.tickets.models import PRIORITIES
from triage.tickets.operations import RESTRICTION_REASONS
from triage.tickets.status import STATUSES

Schema = dict[str, Any]

MAX_FILE_BYTES = 5 * 1024 * 1024  # materials.md, "Upload rules"
# api.md's codes (uploads refused by the structure checks included) plus our own bug.
ERROR_STATUS: dict[str, int] = {
    **STATUS,
    "password_protected": 422,
    "damaged_file": 422,
    "service_unavailable": 503,
    "server_error": 500,
}
# The canonical types an upload is stored under (checks.py): nothing else is ever served.
EVIDENCE_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/msword",
    DOCX_TYPE,
    ODT_TYPE,
)

# --- schema primitives ---------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def text(description: str = "", **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def field_text(name: str, description: str = "", **extra: Any) -> Schema:
    """A text field the clients send, with its length limit from triage/text.py (the same
    table the API and the pages enforce)."""
    return text(description, maxLength=limit(name), **extra)


# Text a person must have written: something other than spaces (the services strip it).
NOT_BLANK = {"type": "string", "pattern": "\\S"}


def flag(description: str) -> Schema:
    return {"type": "boolean", "description": description}


def enum(values: Any, description: str = "") -> Schema:
    schema: Schema = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return schema


def array(items: Schema, description: str = "") -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict[str, Schema], required: Any = (), **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


TIME = text("ISO 8601, UTC", format="date-time")
EMAIL = text(format="email")

# --- component schemas ---------------------------------------------------------------------------


def vocabulary_schemas() -> dict[str, Schema]:
    return {
        "TicketType": enum(TICKET_TYPES),
        "Status": enum(
            STATUSES,
            "draft → awaiting_review → in_review → approved | rejected; "
            "in_review → needs_more_info → awaiting_review; withdrawn",
        ),
        "Priority": enum(PRIORITIES),
        "Flag": enum(FLAGS),
        "MaterialKey": enum(MATERIALS, "A key of materials.md's vocabulary"),
        "DocumentKey": enum(
            [k for k in MATERIALS if k in DOCUMENT_KEYS], "A material that is uploaded as files"
        ),
        "MaterialKind": enum(("document", "information")),
        "RejectionReason": enum(REASONS, "`other` needs a note"),
        "RestrictionReason": enum(RESTRICTION_REASONS),
    }


def fact_properties() -> dict[str, Schema]:
    return {
        "customer_type": enum(CHOICES["customer_type"], "account_change only"),
        "real_name_auth": enum(CHOICES["real_name_auth"], "account_change only"),
        "account_type": enum(CHOICES["account_type"]),
        "card_added": flag("A credit card has been added to (bound to) the account"),
        "payments_made": flag(
            "account_change: actual payments were made without a card (default false)"
        ),
        "enterprise_in_china": flag(
            "Enterprise accounts: decides which authorization-letter fallback applies"
        ),
    }


def facts_schema() -> Schema:
    """The facts as a ticket stores them: every key present, unused ones null."""
    props = fact_properties()
    return obj(
        {
            "type": ref("TicketType"),
            "customer_type": nullable(props["customer_type"]),
            "real_name_auth": nullable(props["real_name_auth"]),
            "account_type": props["account_type"],
            "card_added": props["card_added"],
            "payments_made": props["payments_made"],
            "enterprise_in_china": nullable(props["enterprise_in_china"]),
        },
        ["type", "account_type", "card_added"],
    )


def node_schemas(evaluated: bool) -> dict[str, Schema]:
    """Requirement nodes (api.md): recursive through `$ref`; `satisfied` when evaluated."""
    prefix = "Evaluated" if evaluated else ""
    node = ref(f"{prefix}RequirementNode")
    satisfied = {"satisfied": flag("Whether this node is met by the ticket's materials")}
    required = ["satisfied"] if evaluated else []
    members = {"type": "array", "items": node, "minItems": 1}
    return {
        f"{prefix}RequirementNode": {
            "oneOf": [
                ref(f"{prefix}MaterialNode"),
                ref(f"{prefix}AllOfNode"),
                ref(f"{prefix}AnyOfNode"),
            ]
        },
        f"{prefix}MaterialNode": obj(
            {
                "material": ref("MaterialKey"),
                "optional": flag("Present (true) where the item may be left out"),
                **satisfied,
            },
            ["material", *required],
        ),
        f"{prefix}AllOfNode": obj({"all_of": members, **satisfied}, ["all_of", *required]),
        f"{prefix}AnyOfNode": obj(
            {
                "any_of": members,
                "min": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 1,
                    "description": "How many members must be met",
                },
                **satisfied,
            },
            ["any_of", *required],
        ),
    }


def requirement_schemas() -> dict[str, Schema]:
    material = obj(
        {
            "key": ref("MaterialKey"),
            "kind": ref("MaterialKind"),
            "label": text(),
            "optional": {"type": "boolean"},
        },
        ["key", "kind", "label", "optional"],
    )
    requirements = obj(
        {
            "type": ref("TicketType"),
            "outcome": enum(("checklist", "manual_review")),
            "message": text("Present for manual_review (materials.md, ruling 2)"),
            "requirement": nullable(ref("RequirementNode")),
            "materials": array(ref("MaterialSummary"), "Every material the tree names"),
            "rule": obj({"name": text(), "source": text()}, ["name", "source"]),
        },
        ["type", "outcome", "requirement", "materials"],
    )
    return {"MaterialSummary": material, "Requirements": requirements}


def address_schema() -> Schema:
    return obj(
        {
            part: field_text(f"contact_address.{part}", ADDRESS_LABELS[part])
            for part in ADDRESS_PARTS
        },
        ADDRESS_REQUIRED,
        additionalProperties=False,
    )


def information_properties(for_update: bool) -> dict[str, Schema]:
    def value(key: str) -> Schema:
        if key == "contact_address":
            schema = ref("Address")
        else:
            schema = field_text(key, MATERIALS[key].label)
        return nullable(schema) if for_update else schema

    return {key: value(key) for key in MATERIALS if key in INFORMATION_KEYS}


def ticket_create_schema() -> Schema:
    props = fact_properties()
    schema = obj(
        {
            "type": ref("TicketType"),
            **props,
            "account_name": field_text("account_name", "Tenant name or login ID"),
            "contact_email": {
                **EMAIL,
                "maxLength": limit("contact_email"),
                "description": "An address the customer can read now",
            },
            "change": obj(
                {
                    "mobile": nullable(field_text("change.mobile", "New mobile number")),
                    "email": nullable(
                        {**EMAIL, "maxLength": limit("change.email"), "description": "New email"}
                    ),
                },
                anyOf=[
                    {"required": ["mobile"], "properties": {"mobile": NOT_BLANK}},
                    {"required": ["email"], "properties": {"email": NOT_BLANK}},
                ],
                description="account_change: the new mobile number, email, or both",
            ),
            "restriction_reason": nullable(ref("RestrictionReason")),
            "description": nullable(field_text("description", "Free text")),
        },
        ["type", "account_type", "card_added", "account_name", "contact_email"],
    )
    # The cross-field rules validate_new_ticket enforces (materials.md, ruling 6: a partner
    # need not answer real-name authentication).
    schema["allOf"] = [
        {
            "if": {"properties": {"type": {"const": "account_change"}}, "required": ["type"]},
            "then": {"required": ["customer_type", "change"]},
        },
        {
            "if": {
                "properties": {
                    "type": {"const": "account_change"},
                    "customer_type": {"enum": ["direct", "reseller"]},
                },
                "required": ["type", "customer_type"],
            },
            "then": {"required": ["real_name_auth"]},
        },
    ]
    return schema


def evidence_schemas() -> dict[str, Schema]:
    review = obj(
        {
            "decision": enum(("accepted", "rejected")),
            "reason": nullable(ref("RejectionReason")),
            "note": nullable(text()),
            "at": nullable(TIME),
        },
        ["decision"],
    )
    evidence = obj(
        {
            "id": text(),
            "material": ref("DocumentKey"),
            "filename": text(),
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_FILE_BYTES},
            "content_type": enum(EVIDENCE_TYPES, "As sniffed from the content"),
            "sha256": text(pattern="^[0-9a-f]{64}$"),
            "uploaded_at": TIME,
            "warnings": array(text(), "What a reviewer should look at (e.g. PDF actions)"),
            "review": nullable(ref("EvidenceReview")),
        },
        ["id", "material", "filename", "size", "content_type", "sha256", "uploaded_at", "review"],
    )
    return {"EvidenceReview": review, "Evidence": evidence}


def ticket_schemas() -> dict[str, Schema]:
    checklist_item = obj(
        {
            "key": ref("MaterialKey"),
            "kind": ref("MaterialKind"),
            "label": text(),
            "status": enum(("missing", "provided", "accepted", "rejected", "requested")),
            "optional": {"type": "boolean"},
        },
        ["key", "kind", "label", "status"],
    )
    material_request = obj(
        {"materials": array(ref("MaterialKey")), "message": text(), "at": TIME},
        ["materials", "message", "at"],
    )
    ticket = obj(
        {
            "reference": text("e.g. UF-7KQ2-M9XD", examples=["UF-7KQ2-M9XD"]),
            "type": ref("TicketType"),
            "status": ref("Status"),
            "facts": ref("Facts"),
            "account_name": text(),
            "contact_email": EMAIL,
            "change": nullable(obj({"mobile": nullable(text()), "email": nullable(EMAIL)})),
            "restriction_reason": nullable(ref("RestrictionReason")),
            "description": nullable(text()),
            "created_at": TIME,
            "submitted_at": nullable(TIME),
            "decided_at": nullable(TIME),
            "outcome": enum(("checklist", "manual_review")),
            "message": nullable(text("Why no standard list applies (manual_review)")),
            "requirement": nullable(ref("EvaluatedRequirementNode")),
            "complete": flag("Counting evidence that is provided and not rejected"),
            "missing": array(ref("MaterialKey"), "Material keys still needed"),
            "checklist": array(ref("ChecklistItem")),
            "evidence": array(ref("Evidence")),
            "information": obj(information_properties(for_update=False)),
            "requests": array(ref("MaterialRequest"), "A reviewer's requests for more"),
            "explanation": nullable(text("Why the customer submitted without everything")),
            "decision_note": nullable(text()),
            "flags": array(ref("Flag")),
            "priority": ref("Priority"),
        },
        [
            "reference",
            "type",
            "status",
            "facts",
            "account_name",
            "created_at",
            "submitted_at",
            "outcome",
            "requirement",
            "complete",
            "missing",
            "checklist",
            "evidence",
            "information",
            "requests",
            "flags",
            "priority",
        ],
    )
    created = {
        "allOf": [
            ref("Ticket"),
            obj(
                {"access_token": text("Shown this once; send it as a bearer token")},
                ["access_token"],
            ),
        ]
    }
    return {
        "Facts": facts_schema(),
        "TicketCreate": ticket_create_schema(),
        "Ticket": ticket,
        "TicketCreated": created,
        "ChecklistItem": checklist_item,
        "MaterialRequest": material_request,
        "Address": address_schema(),
        "InformationUpdate": obj(
            information_properties(for_update=True),
            additionalProperties=False,
            description="Information keys of the ticket; null or an empty value removes one",
        ),
        "SubmitRequest": obj(
            {
                "explanation": nullable(
                    field_text("explanation", "Required to submit an incomplete ticket")
                )
            }
        ),
    }


def reviewer_schemas() -> dict[str, Schema]:
    holder = nullable({**EMAIL, "description": "The reviewer holding the claim (in_review)"})
    queue_item = obj(
        {
            "reference": text(),
            "type": ref("TicketType"),
            "status": ref("Status"),
            "priority": ref("Priority"),
            "flags": array(ref("Flag")),
            "account_name": text(),
            "submitted_at": nullable(TIME),
            "first_submitted_at": nullable(TIME),
            "claimed_by": holder,
            "claim_expires_at": nullable(TIME),
        },
        ["reference", "type", "priority", "flags", "submitted_at", "claimed_by"],
    )
    queue = obj(
        {
            "items": array(ref("QueueItem")),
            "total": {"type": "integer", "minimum": 0},
            "counts": {
                "type": "object",
                "description": "Whole-queue counts by status, type, flag and holder; "
                "only with counts=true",
            },
        },
        ["items", "total"],
    )
    # What reviewer actions answer: the customer's view plus claim and approval state.
    review_ticket = {
        "allOf": [
            ref("Ticket"),
            obj(
                {
                    "claimed_by": holder,
                    "claimed_at": nullable(TIME),
                    "claim_expires_at": nullable(TIME),
                    "first_submitted_at": nullable(TIME),
                    "approvable": flag("Every required item is met by accepted evidence"),
                    "approval_missing": array(text(), "What approval still lacks"),
                    "approval_requirement": nullable(ref("EvaluatedRequirementNode")),
                    "authorization_letter_check": nullable(
                        text("Ruling 7: whether the seal or the signature suffices")
                    ),
                }
            ),
        ]
    }
    event = obj(
        {"at": TIME, "actor": text(), "action": text(), "details": {"type": "object"}},
        ["at", "actor", "action", "details"],
    )
    return {
        "QueueItem": queue_item,
        "Queue": queue,
        "ReviewTicket": review_ticket,
        "ClaimRequest": obj(
            {"type": ref("TicketType")}, description="Leave `type` out to take any type"
        ),
        "EvidenceReviewRequest": obj(
            {
                "decision": enum(("accepted", "rejected")),
                "reason": nullable(ref("RejectionReason")),
                "note": nullable(field_text("note", "What the customer reads")),
            },
            ["decision"],
            description="A rejection needs a reason; rejecting for `other` needs a note. "
            "A reason sent with an acceptance is checked, then ignored.",
            allOf=[
                {
                    "if": {"properties": {"decision": {"const": "rejected"}}},
                    "then": {
                        "required": ["reason"],
                        "properties": {"reason": ref("RejectionReason")},
                    },
                },
                {
                    "if": {
                        "properties": {
                            "decision": {"const": "rejected"},
                            "reason": {"const": "other"},
                        },
                        "required": ["decision", "reason"],
                    },
                    "then": {"required": ["note"], "properties": {"note": NOT_BLANK}},
                },
            ],
        ),
        "MaterialsRequest": obj(
            {
                "materials": {
                    **array(ref("MaterialKey")),
                    "minItems": 1,
                    "description": "Unknown keys answer 422 unknown_material",
                },
                "message": {**field_text("message", "What the customer reads"), **NOT_BLANK},
            },
            ["materials", "message"],
        ),
        "DecisionRequest": obj(
            {
                "decision": enum(("approved", "rejected")),
                "note": nullable(field_text("note", "What the customer reads")),
            },
            ["decision"],
            description="A rejection needs a note.",
            allOf=[
                {
                    "if": {"properties": {"decision": {"const": "rejected"}}},
                    "then": {"required": ["note"], "properties": {"note": NOT_BLANK}},
                }
            ],
        ),
        "ReassignRequest": obj(
            {
                "reviewer": {
                    **EMAIL,
                    "maxLength": limit("reviewer"),
                    "description": "The new reviewer",
                }
            },
            ["reviewer"],
        ),
        "HistoryEvent": event,
        "History": obj({"events": array(ref("HistoryEvent"), "Oldest first")}, ["events"]),
    }


def error_schemas() -> dict[str, Schema]:
    body = obj(
        {
            "code": enum(ERROR_STATUS, "For programs"),
            "message": text("A sentence for a person"),
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "invalid_request: what is wrong with each field",
            },
            "missing": array(
                text(), "requirements_not_met: material keys still needed (or `evidence`)"
            ),
        },
        ["code", "message"],
    )
    return {"ErrorBody": body, "Error": obj({"error": ref("ErrorBody")}, ["error"])}


def health_schemas() -> dict[str, Schema]:
    return {
        "Health": obj({"status": {"const": "ok"}}, ["status"]),
        "Readiness": obj(
            {
                "status": enum(("ready", "not ready")),
                "checks": obj(
                    {
                        "database": text("ok or error: ..."),
                        "evidence_store": text("ok or error: ..."),
                    },
                    additionalProperties={"type": "string"},
                ),
            },
            ["status", "checks"],
        ),
    }


def schemas() -> dict[str, Schema]:
    return {
        **vocabulary_schemas(),
        **node_schemas(evaluated=False),
        **node_schemas(evaluated=True),
        **requirement_schemas(),
        **evidence_schemas(),
        **ticket_schemas(),
        **reviewer_schemas(),
        **error_schemas(),
        **health_schemas(),
    }


# --- responses -----------------------------------------------------------------------------------

ERROR_RESPONSES = {
    400: ("BadRequest", "Malformed JSON or fields (`fields` names each), or an empty upload"),
    401: ("Unauthorized", "No token, or a token that opens nothing"),
    403: ("Forbidden", "The caller's role or claim does not allow this"),
    404: ("NotFound", "No such ticket or evidence, or one the caller may not see"),
    409: (
        "Conflict",
        "The action does not fit the ticket's status, or required materials "
        "are missing (`missing` lists them)",
    ),
    413: ("TooLarge", "Over 5,242,880 bytes, or the request or ticket is too large"),
    415: (
        "UnsupportedFile",
        "An extension or content type that is not accepted, or the two disagree",
    ),
    422: ("UnknownMaterial", "A material key that does not exist"),
    429: ("RateLimited", "Too many requests"),
    500: ("ServerError", "Something went wrong on the server"),
    503: (
        "Unavailable",
        "The database or the evidence store did not answer in time; nothing was half-done",
    ),
}
# Responses that allow only some of their status's codes: name -> (status, words, codes).
NARROW_RESPONSES = {
    "UnknownMaterial": (422, "A material key that does not exist", ("unknown_material",)),
    "UnprocessableUpload": (
        422,
        "A material key that does not exist, a file that needs a password to open, or one "
        "that does not open or decode completely (the message says what to do)",
        ("unknown_material", "password_protected", "damaged_file"),
    ),
}


def error_response(status: int, description: str, codes: tuple[str, ...] = ()) -> Schema:
    if not codes:
        codes = tuple(code for code, code_status in ERROR_STATUS.items() if code_status == status)
    assert all(ERROR_STATUS[code] == status for code in codes)
    codes = list(codes)
    narrowed = {"properties": {"error": {"properties": {"code": {"enum": codes}}}}}
    return {
        "description": f"{description} ({', '.join(codes)})",
        "content": {"application/json": {"schema": {"allOf": [ref("Error"), narrowed]}}},
    }


def responses() -> dict[str, Schema]:
    out = {name: error_response(status, words) for status, (name, words) in ERROR_RESPONSES.items()}
    for name, (status, words, codes) in NARROW_RESPONSES.items():
        out[name] = error_response(status, words, codes)
    return out


def json_response(description: str, schema_name: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref(schema_name)}},
    }


def json_body(schema_name: str, required: bool = True) -> Schema:
    return {"required": required, "content": {"application/json": {"schema": ref(schema_name)}}}


# --- operations ----------------------------------------------------------------------------------

PUBLIC: list[dict[str, list[str]]] = []
CUSTOMER = [{"customerToken": []}]
REVIEWER = [{"reviewerToken": []}]
CUSTOMER_OR_REVIEWER = [{"customerToken": []}, {"reviewerToken": []}]


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    security: list[dict[str, list[str]]],
    ok: dict[str, Schema],
    errors: tuple[int, ...] = (),
    parameters: list[Schema] | None = None,
    body: Schema | None = None,
    description: str = "",
    error_names: dict[int, str] | None = None,
    uses_database: bool = True,
) -> Schema:
    """One operation; every one may answer 500, and 503 when it `uses_database` (a database
    or store that does not answer in time). `error_names` picks a narrower response."""
    out: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": security,
    }
    if description:
        out["description"] = description
    if parameters:
        out["parameters"] = parameters
    if body:
        out["requestBody"] = body
    statuses = sorted({*errors, 500, *((503,) if uses_database and "503" not in ok else ())})
    names = {s: ERROR_RESPONSES[s][0] for s in statuses} | (error_names or {})
    out["responses"] = {
        **ok,
        **{str(s): {"$ref": f"#/components/responses/{names[s]}"} for s in statuses},
    }
    return out


def path_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def query_parameter(name: str, schema: Schema, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "schema": schema}


REFERENCE = path_parameter("reference", "The ticket's reference, e.g. UF-7KQ2-M9XD")
EVIDENCE_ID = path_parameter("id", "The evidence item's id")
CUSTOMER_WRITE_ERRORS = (400, 401, 403, 404, 409)
REVIEWER_ACTION_ERRORS = (400, 401, 403, 404, 409)


def ticket_ok(description: str) -> dict[str, Schema]:
    return {"200": json_response(description, "Ticket")}


def requirements_paths() -> dict[str, Schema]:
    facts = fact_properties()
    parameters = [query_parameter("type", ref("TicketType"), required=True)]
    parameters += [query_parameter(name, schema) for name, schema in facts.items()]
    return {
        "/api/v1/requirements": {
            "get": operation(
                "getRequirements",
                "What a ticket with these facts needs, without creating anything",
                tag="Requirements",
                security=PUBLIC,
                parameters=parameters,
                ok={"200": json_response("The requirement tree and its materials", "Requirements")},
                errors=(400,),
            )
        }
    }


def ticket_paths() -> dict[str, Schema]:
    upload_body = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": obj(
                    {
                        "material": ref("DocumentKey"),
                        "file": {
                            "type": "string",
                            "contentMediaType": "application/octet-stream",
                            "description": ".doc .docx .jpg .jpeg .png .pdf .odt, "
                            "at most 5,242,880 bytes",
                        },
                    },
                    ["material", "file"],
                )
            }
        },
    }
    return {
        "/api/v1/tickets": {
            "post": operation(
                "createTicket",
                "File a ticket",
                tag="Tickets",
                security=PUBLIC,
                body=json_body("TicketCreate"),
                ok={
                    "201": json_response(
                        "The ticket and its access token (shown once)", "TicketCreated"
                    )
                },
                errors=(400, 429),
            )
        },
        "/api/v1/tickets/{reference}": {
            "parameters": [REFERENCE],
            "get": operation(
                "getTicket",
                "A ticket, its checklist and evidence",
                tag="Tickets",
                security=CUSTOMER_OR_REVIEWER,
                ok=ticket_ok("The ticket"),
                errors=(401, 404, 429),
            ),
        },
        "/api/v1/tickets/{reference}/evidence": {
            "parameters": [REFERENCE],
            "post": operation(
                "uploadEvidence",
                "Add a file under a material key",
                tag="Tickets",
                security=CUSTOMER,
                body=upload_body,
                ok={"201": json_response("The stored evidence item", "Evidence")},
                errors=(*CUSTOMER_WRITE_ERRORS, 413, 415, 422, 429, 503),
                error_names={422: "UnprocessableUpload"},
                description="Several files may be added under one key. Allowed in draft "
                "and needs_more_info.",
            ),
        },
        "/api/v1/tickets/{reference}/information": {
            "parameters": [REFERENCE],
            "put": operation(
                "updateInformation",
                "Fill in information items",
                tag="Tickets",
                security=CUSTOMER,
                body=json_body("InformationUpdate"),
                ok=ticket_ok("The updated ticket"),
                errors=(*CUSTOMER_WRITE_ERRORS, 422, 429),
            ),
        },
        "/api/v1/tickets/{reference}/submit": {
            "parameters": [REFERENCE],
            "post": operation(
                "submitTicket",
                "Send the ticket for review",
                tag="Tickets",
                security=CUSTOMER,
                body=json_body("SubmitRequest", required=False),
                ok=ticket_ok("The submitted ticket (awaiting_review)"),
                errors=(*CUSTOMER_WRITE_ERRORS, 429),
                description="An incomplete ticket answers 409 requirements_not_met unless an "
                "explanation is given; then it is submitted with the flag `incomplete`.",
            ),
        },
        "/api/v1/tickets/{reference}/withdraw": {
            "parameters": [REFERENCE],
            "post": operation(
                "withdrawTicket",
                "Withdraw a ticket that is not decided",
                tag="Tickets",
                security=CUSTOMER,
                ok=ticket_ok("The withdrawn ticket"),
                errors=(401, 403, 404, 409, 429),
            ),
        },
    }


def reviewer_paths() -> dict[str, Schema]:
    def action(
        operation_id: str,
        summary: str,
        body: str | None = None,
        body_required: bool = True,
        **kw: Any,
    ) -> Schema:
        kw.setdefault("ok", {"200": json_response("The ticket", "ReviewTicket")})
        kw.setdefault("errors", REVIEWER_ACTION_ERRORS)
        return operation(
            operation_id,
            summary,
            tag="Reviewers",
            security=REVIEWER,
            body=json_body(body, body_required) if body else None,
            **kw,
        )

    queue_parameters = [
        query_parameter("type", ref("TicketType")),
        query_parameter("flag", ref("Flag")),
        query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": QUEUE_MAX_LIMIT}),
        query_parameter("counts", {"type": "string", "enum": list(SWITCH_WORDS)}),
    ]
    queue_parameters[-1]["description"] = (
        "true: add whole-queue counts (they read every waiting ticket, so they cost time)"
    )
    download = query_parameter("download", {"type": "string", "enum": list(SWITCH_WORDS)})
    download["description"] = "1: always send as an attachment"
    content = {
        "description": "The file as sniffed at upload, never run by the browser",
        "headers": {
            "X-Content-Type-Options": {"schema": {"const": "nosniff"}},
            "Content-Disposition": {
                "schema": {"type": "string"},
                "description": "attachment (inline only for JPEG and PNG); the name is the "
                "server's, per RFC 6266",
            },
            "Content-Security-Policy": {
                "schema": {"type": "string"},
                "description": "starts with `sandbox`",
            },
        },
        "content": {media_type: {} for media_type in EVIDENCE_TYPES},
    }
    return {
        "/api/v1/queue": {
            "get": action(
                "getQueue",
                "Tickets waiting for review, in the order to take them",
                parameters=queue_parameters,
                ok={"200": json_response("The queue", "Queue")},
                errors=(400, 401),
            )
        },
        "/api/v1/queue/claim": {
            "post": action(
                "claimNext",
                "Claim the next ticket: it moves to in_review",
                "ClaimRequest",
                body_required=False,
                errors=(400, 401),
                ok={
                    "200": json_response("The claimed ticket", "ReviewTicket"),
                    "204": {"description": "Nothing is waiting"},
                },
            ),
        },
        "/api/v1/tickets/{reference}/release": {
            "parameters": [REFERENCE],
            "post": action("releaseTicket", "Give a claimed ticket back to the queue"),
        },
        "/api/v1/tickets/{reference}/reassign": {
            "parameters": [REFERENCE],
            "post": action(
                "reassignTicket",
                "Hand a ticket to another reviewer (leads only)",
                "ReassignRequest",
            ),
        },
        "/api/v1/evidence/{id}/content": {
            "parameters": [EVIDENCE_ID],
            "get": action(
                "getEvidenceContent",
                "The file itself; every read is written to the history",
                parameters=[download],
                ok={"200": content},
                errors=(400, 401, 403, 404, 503),
            ),
        },
        "/api/v1/evidence/{id}/review": {
            "parameters": [EVIDENCE_ID],
            "post": action(
                "reviewEvidence",
                "Accept or reject one file",
                "EvidenceReviewRequest",
                ok={"200": json_response("The reviewed evidence item", "Evidence")},
                description="Only the reviewer holding the claim (or a lead) may review.",
            ),
        },
        "/api/v1/tickets/{reference}/request-materials": {
            "parameters": [REFERENCE],
            "post": action(
                "requestMaterials",
                "Ask the customer for more: the ticket goes to needs_more_info",
                "MaterialsRequest",
                errors=(*REVIEWER_ACTION_ERRORS, 422),
            ),
        },
        "/api/v1/tickets/{reference}/decision": {
            "parameters": [REFERENCE],
            "post": action(
                "decideTicket",
                "Approve or reject",
                "DecisionRequest",
                description="Approval needs every required item satisfied by accepted "
                "evidence and valid information (else 409 requirements_not_met); a "
                "rejection needs a note.",
            ),
        },
        "/api/v1/tickets/{reference}/history": {
            "parameters": [REFERENCE],
            "get": action(
                "getHistory",
                "Everything that happened to the ticket",
                ok={"200": json_response("The events, oldest first", "History")},
                errors=(401, 403, 404),
            ),
        },
    }


def service_paths() -> dict[str, Schema]:
    def public_get(operation_id: str, summary: str, ok: dict[str, Schema]) -> Schema:
        return {
            "get": operation(
                operation_id,
                summary,
                tag="Service",
                security=PUBLIC,
                ok=ok,
                uses_database=False,
            )
        }

    return {
        "/api/v1/openapi.json": public_get(
            "getOpenApi",
            "This document",
            {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        ),
        "/healthz": public_get(
            "healthz", "Liveness", {"200": json_response("The process is up", "Health")}
        ),
        "/readyz": public_get(
            "readyz",
            "Readiness: database and evidence store",
            {
                "200": json_response("Ready", "Readiness"),
                "503": json_response("Not ready: `checks` says what failed", "Readiness"),
            },
        ),
    }


def openapi_document() -> dict[str, Any]:
    """The whole api.md contract as an OpenAPI 3.1 document (plain JSON-ready data)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Evidence triage API",
            "version": "1",
            "description": (
                "Account-change and unfreeze tickets with checked evidence. JSON in and "
                "out except uploads (multipart) and evidence content; times are ISO 8601 "
                'in UTC. Errors are `{"error": {"code", "message", ...}}`. A ticket '
                "that does not exist and one the caller may not see both answer 404."
            ),
        },
        "tags": [
            {"name": "Requirements"},
            {"name": "Tickets", "description": "The customer's own ticket"},
            {"name": "Reviewers"},
            {"name": "Service"},
        ],
        "paths": {**requirements_paths(), **ticket_paths(), **reviewer_paths(), **service_paths()},
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "securitySchemes": {
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
            },
        },
    }
