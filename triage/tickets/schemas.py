"""Request and response models of the customer API (api.md "Requirements", "Tickets").

One schema per body: the API validates with these (spectree, before the view runs), the
OpenAPI document is generated from them, and the page form goes through `TicketCreate`
too (`validate_new_ticket`). Rules across fields (which facts a ticket type needs, a change
names a mobile number or an email) are stated here, as validators and as JSON Schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    WithJsonSchema,
    create_model,
    field_validator,
)

from triage.analysis import FINDINGS
from triage.api.schemas import NO_DEFAULT_SHOWN, Body, Choice, Text, required_if, text_limit
from triage.evidence.checks import DOCX_TYPE, ODT_TYPE
from triage.evidence.policy import MAX_FILE_BYTES, extension_words
from triage.requirements import DOCUMENT_KEYS, INFORMATION_KEYS, MATERIALS, TICKET_TYPES
from triage.requirements.facts import CHOICES, REQUIRED
from triage.tickets.flags import FLAGS as TICKET_FLAGS
from triage.tickets.information import (
    ADDRESS_LABELS,
    ADDRESS_PARTS,
    ADDRESS_REQUIRED,
    clean_account_number,
    clean_email,
    clean_phone,
    part_required,
)
from triage.tickets.models import PRIORITIES
from triage.tickets.operations import RESTRICTION_REASONS
from triage.tickets.status import STATUSES

# The canonical types an upload is stored under (checks.py): nothing else is ever served.
EVIDENCE_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/msword",
    DOCX_TYPE,
    ODT_TYPE,
)

TicketType = Choice(TICKET_TYPES)
FindingCode = Choice(FINDINGS)
CustomerType = Choice(CHOICES["customer_type"], "account_change only")
RealNameAuth = Choice(CHOICES["real_name_auth"], "account_change only")
AccountType = Choice(CHOICES["account_type"])
RestrictionReason = Choice(RESTRICTION_REASONS, "unfreeze: one of the product's listed reasons")
MaterialKey = Choice(MATERIALS, "A key of materials.md's vocabulary")
DocumentKey = Choice([k for k in MATERIALS if k in DOCUMENT_KEYS], "A material uploaded as files")
Status = Choice(STATUSES, "draft → awaiting_review → in_review → approved | rejected; withdrawn")
Priority = Choice(PRIORITIES)
TicketFlag = Choice(TICKET_FLAGS)
Time = Annotated[str, Field(description="ISO 8601, UTC", json_schema_extra={"format": "date-time"})]
Email = Annotated[str, Field(json_schema_extra={"format": "email"})]


def _facts_missing(raw: Mapping[str, Any]) -> dict[str, str]:
    """materials.md's required facts for the ticket's type (facts.py `REQUIRED`); ruling 6:
    a partner need not answer real-name authentication."""
    ticket_type = raw.get("type")
    if ticket_type not in REQUIRED:
        return {}
    needed = REQUIRED[ticket_type]
    if raw.get("customer_type") == "partner":
        needed = tuple(n for n in needed if n != "real_name_auth")
    return {name: "is required" for name in needed if raw.get(name) in (None, "")}


FACT_RULES = [
    required_if(
        {"type": "account_change"},
        *(n for n in REQUIRED["account_change"] if n != "real_name_auth"),
    ),
    # Ruling 6: a partner need not answer real-name authentication.
    required_if(
        {"type": "account_change", "customer_type": ("direct", "reseller")}, "real_name_auth"
    ),
    required_if({"type": "unfreeze"}, *REQUIRED["unfreeze"]),
]

# --- requests ---------------------------------------------------------------------------------

_WORDS = {"true": True, "1": True, "yes": True, "on": True}
_WORDS |= {"false": False, "0": False, "no": False, "off": False}


def _word(value: Any) -> Any:
    """A yes/no as the query string and the page's radio buttons send it."""
    if isinstance(value, str) and value.strip().lower() in _WORDS:
        return _WORDS[value.strip().lower()]
    return value


def _or_unanswered(kind: Any) -> Any:
    """`kind` or None; an empty query value (an unanswered field of the page's form) is
    None too (`_words`), and the OpenAPI document says so: `kind`, "" or null."""
    unanswered = {"const": "", "type": "string", "description": "no answer yet"}
    schema = {"anyOf": [TypeAdapter(kind).json_schema(), unanswered, {"type": "null"}]}
    return Annotated[kind | None, NO_DEFAULT_SHOWN, WithJsonSchema(schema)]


class RequirementsQuery(Body):
    """`GET /requirements`: the facts, as words in the query string."""

    rules_schema: ClassVar = FACT_RULES

    type: TicketType
    customer_type: _or_unanswered(CustomerType) = None
    real_name_auth: _or_unanswered(RealNameAuth) = None
    account_type: _or_unanswered(AccountType) = None
    card_added: _or_unanswered(StrictBool) = None
    payments_made: _or_unanswered(StrictBool) = None
    enterprise_in_china: _or_unanswered(StrictBool) = None

    @field_validator("*", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        return None if value == "" else _word(value)

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        return _facts_missing(raw)


# The `fields` words (English, api.md) for an account change that names neither; the page
# shows them as a sentence in the customer's language (`forms.tickets.sentence`).
CHANGE_NEEDED = "give the new mobile number, the new email address, or both"


class Change(Body):
    """account_change: the new mobile number, the new email address, or both."""

    rules_schema: ClassVar = [
        {"anyOf": [{"required": ["mobile"]}, {"required": ["email"]}]},
    ]

    mobile: Text("change.mobile", required=False, cleaner=clean_phone) = None
    email: Text("change.email", required=False, cleaner=clean_email, fmt="email") = None

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        if all(
            v is None or (isinstance(v, str) and not v.strip())
            for v in (raw.get("mobile"), raw.get("email"))
        ):
            return {"": CHANGE_NEEDED}
        return {}


_FLAG_FIELDS = ("card_added", "payments_made", "enterprise_in_china")


class TicketCreate(Body):
    """`POST /tickets` (api.md), and the page's form through `validate_new_ticket`."""

    rules_schema: ClassVar = [
        *FACT_RULES,
        required_if({"type": "account_change"}, "change"),
    ]

    # Facts: left out, not null, where not needed (null was never a choice).
    type: TicketType
    customer_type: Annotated[CustomerType, NO_DEFAULT_SHOWN] = None
    real_name_auth: Annotated[RealNameAuth, NO_DEFAULT_SHOWN] = None
    account_type: Annotated[AccountType, NO_DEFAULT_SHOWN] = None
    card_added: Annotated[
        StrictBool,
        NO_DEFAULT_SHOWN,
        Field(description="A credit card has been added to (bound to) the account"),
    ] = None
    payments_made: StrictBool = Field(
        False, description="account_change: payments were made without a card"
    )
    enterprise_in_china: Annotated[
        StrictBool,
        NO_DEFAULT_SHOWN,
        Field(description="Enterprise accounts: decides the authorization-letter fallback"),
    ] = None
    account_name: Text("account_name", description="Tenant name or login ID")
    contact_email: Text(
        "contact_email",
        cleaner=clean_email,
        description="An address the customer can read now",
        fmt="email",
    )
    change: Change | None = None
    restriction_reason: RestrictionReason | None = None
    description: Text("description", required=False) = None
    # api.md `name_mismatch`: compared with the passport's MRZ, beside `user_name`.
    holder_name: Text(
        "holder_name",
        required=False,
        description="Optional: your full name as it appears on your identity document",
    ) = None

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        problems = _facts_missing(raw)
        if raw.get("type") == "account_change" and raw.get("change") is None:
            problems["change"] = CHANGE_NEEDED
        return problems

    @classmethod
    def from_words(cls, data: Mapping[str, Any]) -> TicketCreate:
        """The page form's answers: yes/no as words, an unanswered choice as ""."""
        values = {k: _word(v) if k in _FLAG_FIELDS else v for k, v in data.items()}
        return cls.model_validate({k: v for k, v in values.items() if v not in (None, "")})

    def facts(self) -> dict[str, Any]:
        """The facts, as `parse_facts` reads them."""
        return self.model_dump(
            include={"type", *CHOICES, "card_added", "payments_made", "enterprise_in_china"},
            exclude_none=True,
        )


def _blank(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, Mapping) and all(_blank(v) for v in value.values())


def _AddressPart(part: str) -> Any:
    text = Text(f"contact_address.{part}", required=False, description=ADDRESS_LABELS[part])
    return Annotated[text, NO_DEFAULT_SHOWN]


class Address(Body):
    """`contact_address`: the required parts must be there, nothing else may be."""

    model_config = ConfigDict(
        json_schema_extra={"required": list(ADDRESS_REQUIRED), "additionalProperties": False}
    )

    # Every part may be left out here: a missing required one is "<its label> is required".
    line1: _AddressPart("line1") = ""
    line2: _AddressPart("line2") = ""
    city: _AddressPart("city") = ""
    province: _AddressPart("province") = ""
    postal_code: _AddressPart("postal_code") = ""
    country: _AddressPart("country") = ""

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        from triage.text import excerpt

        problems = {
            f"contact_address.{part}": part_required(part)
            for part in ADDRESS_REQUIRED
            if _blank(raw.get(part))
        }
        unknown = set(raw) - set(ADDRESS_PARTS)
        if unknown:
            names = ", ".join(excerpt(str(k)) for k in sorted(unknown, key=str)[:5])
            problems["contact_address"] = f"unknown parts: {names}"
        return problems


_INFORMATION_CLEANERS = {
    "email": clean_email,
    "phone_number": clean_phone,
    "original_mobile": clean_phone,
    "bank_account_number": clean_account_number,
}


def _information_field(key: str) -> Any:
    if key == "contact_address":
        return (Address | None, None)
    extra = {"format": "email"} if key == "email" else None
    kind = Text(
        key,
        required=False,
        cleaner=_INFORMATION_CLEANERS.get(key),
        description=MATERIALS[key].label,
        json_schema_extra=extra,
    )
    return (kind, None)


class _InformationBase(Body):
    # Keys that are no material at all answer 422 unknown_material, keys of another ticket
    # 400 (the service knows the ticket): the model lets them through to it.
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": False,
            "description": "Information keys of the ticket; null or an empty value removes "
            "one; a key that is no material answers 422 unknown_material",
        },
    )

    @field_validator("*", mode="before")
    @classmethod
    def _empty_removes(cls, value: Any) -> Any:
        return None if _blank(value) else value


InformationUpdate = create_model(
    "InformationUpdate",
    __base__=_InformationBase,
    __doc__="`PUT /tickets/<reference>/information`",
    **{key: _information_field(key) for key in MATERIALS if key in INFORMATION_KEYS},
)


class SubmitRequest(Body):
    """`POST /tickets/<reference>/submit`; the body may be left out."""

    optional_body: ClassVar = True

    explanation: Text(
        "explanation", required=False, description="Required to submit an incomplete ticket"
    ) = None


UploadFile = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "contentMediaType": "application/octet-stream",
            "description": f"{extension_words()}, at most {MAX_FILE_BYTES:,} bytes",
        }
    ),
]


class EvidenceUpload(Body):
    """`POST /tickets/<reference>/evidence`, multipart: a material key and a file."""

    model_config = ConfigDict(json_schema_extra={"required": ["material", "file"]})

    material: Annotated[
        Text("material"),
        WithJsonSchema(
            {
                "type": "string",
                "enum": [k for k in MATERIALS if k in DOCUMENT_KEYS],
                "description": "A material uploaded as files; another key answers "
                "422 unknown_material",
            }
        ),
    ]
    file: Annotated[UploadFile, NO_DEFAULT_SHOWN] = None

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        if not hasattr(raw.get("file"), "stream"):
            return {"file": "is required: send the file as multipart/form-data"}
        return {}


# --- responses --------------------------------------------------------------------------------


class Facts(BaseModel):
    """The facts as a ticket stores them: every key present, unused ones null."""

    type: TicketType
    customer_type: CustomerType | None = None
    real_name_auth: RealNameAuth | None = None
    account_type: AccountType
    card_added: bool
    payments_made: bool = False
    enterprise_in_china: bool | None = None


class MaterialNode(BaseModel):
    material: MaterialKey
    optional: bool = Field(False, description="Present (true) where the item may be left out")


class AllOfNode(BaseModel):
    all_of: list[RequirementNode] = Field(min_length=1)


class AnyOfNode(BaseModel):
    any_of: list[RequirementNode] = Field(min_length=1)
    min: int = Field(1, ge=1, description="How many members must be met")


RequirementNode = MaterialNode | AllOfNode | AnyOfNode
AllOfNode.model_rebuild()
AnyOfNode.model_rebuild()


class EvaluatedMaterialNode(MaterialNode):
    satisfied: bool = Field(description="Whether the ticket's materials meet this node")


class EvaluatedAllOfNode(BaseModel):
    all_of: list[EvaluatedRequirementNode] = Field(min_length=1)
    satisfied: bool


class EvaluatedAnyOfNode(BaseModel):
    any_of: list[EvaluatedRequirementNode] = Field(min_length=1)
    min: int = Field(1, ge=1)
    satisfied: bool


EvaluatedRequirementNode = EvaluatedMaterialNode | EvaluatedAllOfNode | EvaluatedAnyOfNode
EvaluatedAllOfNode.model_rebuild()
EvaluatedAnyOfNode.model_rebuild()


class MaterialSummary(BaseModel):
    key: MaterialKey
    kind: Literal["document", "information"]
    label: str
    optional: bool


class Rule(BaseModel):
    name: str
    source: str


class Requirements(BaseModel):
    """What a ticket with these facts needs (api.md "Requirements")."""

    type: TicketType
    outcome: Literal["checklist", "manual_review"]
    message: str | None = Field(None, description="Present for manual_review")
    requirement: RequirementNode | None
    materials: list[MaterialSummary] = Field(description="Every material the tree names")
    rule: Rule | None = None


class EvidenceReview(BaseModel):
    decision: Literal["accepted", "rejected"]
    reason: str | None = None
    note: str | None = None
    at: Time | None = None


class Finding(BaseModel):
    """api.md "Evidence analysis": one finding, its message written for the reader."""

    code: FindingCode
    severity: Literal["warning", "info"]
    message: str


class Extracted(BaseModel):
    """What was read from the file (reviewers only): `mrz`, `card` (first6, last4,
    full_number_visible; never the number)."""

    mrz: dict[str, Any] | None = None
    card: dict[str, Any] | None = None


class Evidence(BaseModel):
    """One stored file."""

    id: str
    material: DocumentKey
    filename: str
    size: int = Field(ge=1, le=MAX_FILE_BYTES)
    content_type: Choice(EVIDENCE_TYPES, "As sniffed from the content")
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    uploaded_at: Time
    warnings: list[str] = Field([], description="What a reviewer should look at")
    review: EvidenceReview | None
    purged_at: Time | None = Field(
        None, description="When the retention purge deleted the file; the row stays (recovery.md)"
    )
    analysis: Literal["pending", "done", "failed", "skipped"] | None = Field(
        None, description="What is inside the file, read after it is stored (api.md)"
    )
    findings: list[Finding] = Field([], description="Never refuse a file: advice, or facts")
    extracted: Extracted | None = Field(
        None, description="Reviewers only: what was read (never a full card number)"
    )


class ChecklistItem(BaseModel):
    key: MaterialKey
    kind: Literal["document", "information"]
    label: str
    status: Literal["missing", "provided", "accepted", "rejected", "requested"]
    optional: bool = False


class MaterialRequest(BaseModel):
    materials: list[MaterialKey]
    message: str
    at: Time


class ChangeShown(BaseModel):
    mobile: str | None = None
    email: Email | None = None


class Ticket(BaseModel):
    """A ticket as its customer sees it (api.md `GET /tickets/<reference>`)."""

    reference: str = Field(description="e.g. UF-7KQ2-M9XD", examples=["UF-7KQ2-M9XD"])
    type: TicketType
    status: Status
    facts: Facts
    account_name: str
    contact_email: Email | None = None
    change: ChangeShown | None = None
    restriction_reason: RestrictionReason | None = None
    description: str | None = None
    holder_name: str | None = Field(
        None, description="The full name as on the identity document, as the customer typed it"
    )
    created_at: Time
    submitted_at: Time | None
    decided_at: Time | None = None
    outcome: Literal["checklist", "manual_review"]
    message: str | None = None
    requirement: EvaluatedRequirementNode | None
    complete: bool = Field(description="Counting evidence that is provided and not rejected")
    missing: list[MaterialKey] = Field(description="Material keys still needed")
    checklist: list[ChecklistItem]
    evidence: list[Evidence]
    information: dict[str, Any]
    requests: list[MaterialRequest]
    explanation: str | None = None
    decision_note: str | None = None
    flags: list[TicketFlag]
    priority: Priority
    effective_at: Time | None = Field(
        None, description="An approved account change takes effect at this time (recovery.md)"
    )


class TicketCreated(Ticket):
    access_token: str = Field(description="Shown this once; send it as a bearer token")


__all__ = [
    "Address",
    "EvidenceUpload",
    "InformationUpdate",
    "RequirementsQuery",
    "SubmitRequest",
    "TicketCreate",
    "text_limit",
]
