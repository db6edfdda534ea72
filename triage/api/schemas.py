"""The pieces every API schema is built from: checked text, the error envelope, and the
translation of pydantic's errors into api.md's `400 invalid_request` `fields`.

Request models validate (spectree runs them before a view, see triage/api/openapi.py),
the OpenAPI document is generated from them, and the forms read their limits from the same
table (triage/text.py `FIELDS`, through `text_limit`). No Flask import here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from triage import text
from triage.errors import STATUS
from triage.evidence.policy import MAX_FILE_BYTES

# --- checked text ---------------------------------------------------------------------------------


def text_limit(name: str) -> int:
    """The schema's `maxLength` for API field `name`: triage/text.py's table, the one source
    the pages' `maxlength` and the services read too."""
    return text.limit(name)


def _checked(name: str, required: bool) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None:
            return None
        cleaned = text.clean(value, name)  # TextRefused (a ValueError) says what is wrong
        if not cleaned:
            if required:
                raise PydanticCustomError("required", "is required")
            return None  # only spaces: no answer
        return cleaned

    return check


def Text(
    name: str,
    *,
    required: bool = True,
    cleaner: Callable[[Any], Any] | None = None,
    fmt: str | None = None,
    **kw: Any,
) -> Any:
    """A text field checked by triage/text.py's rule for `name` (refused characters, the
    length limit of `FIELDS`), NFC-normalised and stripped. Blank is "is required", or None
    (no answer) when not `required`, which also makes the field nullable. `cleaner` (an
    information.py function) checks the meaning after the text rule; `fmt` is the JSON
    Schema format it checks (e.g. "email")."""
    validators: list[Any] = [BeforeValidator(_checked(name, required))]
    if cleaner is not None:
        validators.append(AfterValidator(lambda v: None if v is None else cleaner(v)))
    extra = {"format": fmt} if fmt else None
    limited = Annotated[str, Field(max_length=text_limit(name), json_schema_extra=extra)]
    # Optional text may come out of the check as None (only spaces: no answer).
    kind = limited if required else limited | None
    return Annotated[kind, *validators, Field(**kw)]


def Choice(values: Any, description: str = ""):
    """One of `values` (a Literal, so the document shows the enum)."""
    return Annotated[Literal[tuple(values)], Field(description=description or None)]


# --- the error envelope ---------------------------------------------------------------------------

# api.md's codes (uploads refused by the structure checks included) plus our own bug.
ERROR_STATUS: dict[str, int] = {**STATUS, "server_error": 500}
ERROR_WORDS = {
    400: ("BadRequest", "Malformed JSON or fields (`fields` names each), or an empty upload"),
    401: ("Unauthorized", "No token, or a token that opens nothing"),
    403: ("Forbidden", "The caller's role or claim does not allow this"),
    404: ("NotFound", "No such ticket or evidence, or one the caller may not see"),
    409: ("Conflict", "Not in a fitting status, or required materials are missing (`missing`)"),
    413: (
        "TooLarge",
        f"Over {MAX_FILE_BYTES:,} bytes, or the request or ticket is too large",
    ),
    415: ("UnsupportedFile", "An extension or content type not accepted, or the two disagree"),
    422: (
        "Unprocessable",
        "An unknown material key, or a file that needs a password or is damaged",
    ),
    429: ("RateLimited", "Too many requests"),
    500: ("ServerError", "Something went wrong on the server"),
    503: (
        "Unavailable",
        "The database or the evidence store did not answer; nothing was half-done",
    ),
}


class ErrorBody(BaseModel):
    """api.md's error: a code for programs, a sentence for people, and listed extras."""

    model_config = ConfigDict(extra="allow")

    code: Literal[tuple(ERROR_STATUS)]
    message: str = Field(description="A sentence for a person")
    fields: dict[str, str] | None = Field(
        None, description="invalid_request: what is wrong with each field"
    )
    missing: list[str] | None = Field(
        None, description="requirements_not_met: material keys still needed"
    )


class Error(BaseModel):
    """`{"error": {"code", "message", ...}}`, every error of every operation."""

    error: ErrorBody


def _error_model(status: int, codes: tuple[str, ...] = ()) -> type[BaseModel]:
    name, words = ERROR_WORDS[status]
    codes = codes or tuple(c for c, s in ERROR_STATUS.items() if s == status)
    assert all(ERROR_STATUS[c] == status for c in codes), codes
    body = create_model(
        f"{name}Body", __base__=ErrorBody, code=(Literal[codes], ...)
    )  # the codes this status may carry
    model = create_model(name, __base__=Error, error=(body, ...))
    model.__doc__ = f"{words} ({', '.join(codes)})"
    return model


ERROR_MODELS: dict[int, type[BaseModel]] = {s: _error_model(s) for s in ERROR_WORDS}
# A narrower 422 where only the material key can be wrong.
UNKNOWN_MATERIAL = create_model(
    "UnknownMaterial",
    __base__=Error,
    error=(
        create_model(
            "UnknownMaterialBody", __base__=ErrorBody, code=(Literal["unknown_material"], ...)
        ),
        ...,
    ),
)


# --- pydantic's errors as api.md's `fields` -------------------------------------------------------


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c"."""
    return ", ".join(v.strip().strip("'") for v in re.split(r", | or ", expected))


_WORDS: dict[str, str] = {
    "missing": "is required",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "extra_forbidden": "is not accepted here",
}


def words(error: Mapping[str, Any]) -> str:
    """What is wrong, in the words the API has always used ("is required", "must be one of:
    …", a validator's own sentence)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("field", "cross_field"):  # ours already, raised again by `Body`
        return error["msg"]
    if kind == "literal_error":
        return f"must be one of: {_choices(ctx.get('expected', ''))}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in ("greater_than_equal", "less_than_equal"):
        return error["msg"].replace("Input should be", "must be")
    return _WORDS.get(kind, error["msg"][:1].lower() + error["msg"][1:])


def path(loc: tuple[Any, ...], ctx: Mapping[str, Any] | None = None) -> str:
    """`("change", "mobile")` → "change.mobile", `("materials", 2)` → "materials[2]";
    a rule about the whole body names the field it is about (`ctx["field"]`)."""
    if ctx and ctx.get("field"):
        return str(ctx["field"])
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return text.excerpt(out or "body")


def fields_of(exc: ValidationError) -> dict[str, str]:
    """{field path: what is wrong} for a 400's `fields`; the first problem of each field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        fields.setdefault(path(error["loc"], error.get("ctx")), words(error))
    return fields


# --- models with rules across fields --------------------------------------------------------------


def problem(field: str, message: str) -> InitErrorDetails:
    """A rule's error about `field` ("" for the model itself, wherever it is nested)."""
    ctx = {"field": field} if field else None
    return InitErrorDetails(
        type=PydanticCustomError("cross_field", message, ctx), loc=(), input=None
    )


class Body(BaseModel):
    """A request model. `cross_field(raw)` states the rules that join several fields; they are
    checked together with the fields' own, so one answer names every bad field (the pages
    show them all at once too)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)
    # The same rules as JSON Schema (`if`/`then`), for the document.
    rules_schema: ClassVar[list[dict[str, Any]]] = []
    # True where the whole body may be left out (it then reads as `{}`).
    optional_body: ClassVar[bool] = False

    @classmethod
    def cross_field(cls, raw: Mapping[str, Any]) -> dict[str, str]:
        """{field: what is wrong} for rules across fields, from the raw input."""
        return {}

    @model_validator(mode="wrap")
    @classmethod
    def _all_problems(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        errors: list[Any] = []
        named: set[str] = set()
        try:
            result = handler(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                errors.append(_again(error))
                named.add(path(error["loc"], error.get("ctx")))
            result = None
        if isinstance(data, Mapping):
            for field, message in cls.cross_field(data).items():
                if field not in named:
                    errors.append(problem(field, message))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        if cls.rules_schema:
            target["allOf"] = cls.rules_schema
        return schema


def _again(error: Mapping[str, Any]) -> InitErrorDetails:
    """A caught error, raised again with the others (its words kept, its place kept)."""
    return InitErrorDetails(
        type=PydanticCustomError(
            "cross_field" if error["type"] == "cross_field" else "field",
            words(error),
            dict(error.get("ctx") or {}) if error["type"] == "cross_field" else None,
        ),
        loc=tuple(error["loc"]),
        input=error.get("input"),
    )


def required_if(condition: Mapping[str, Any], *required: str) -> dict[str, Any]:
    """JSON Schema for "when these fields have these values, these others are required"."""
    return {
        "if": {
            "properties": {
                k: ({"enum": list(v)} if isinstance(v, tuple) else {"const": v})
                for k, v in condition.items()
            },
            "required": list(condition),
        },
        "then": {"required": list(required)},
    }


NOT_BLANK = r"\S"  # text a person wrote: something other than spaces


def _left_out_not_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    options = schema.get("anyOf")
    if options and {"type": "null"} in options and len(options) == 2:
        del schema["anyOf"]
        schema.update(next(o for o in options if o != {"type": "null"}))


# A field that may be left out but is never `null` in the document: its default (None)
# means "not sent" (a rule may say it is required in its own words). For a query, where
# "" reads as not sent, the type may be `X | None` and the document still shows X.
NO_DEFAULT_SHOWN = Field(json_schema_extra=_left_out_not_null)
