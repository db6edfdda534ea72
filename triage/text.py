"""What text we accept, how long each field may be, how names are matched and how text is shown.

security.md, "State, text and load": text from anyone is checked before it is stored (lone
surrogates, NUL and other non-characters refused with `400 invalid_request`), every text
field has one length limit shared by the API, the pages and the OpenAPI document,
bidirectional controls are never rendered raw, nothing stored can make a page fail to
render, and nothing the client sent is echoed back beyond a short excerpt. Issue 9 adds
that names are normalised (NFKC, case-folded, invisible marks removed) wherever matched.

Pure: no Flask import except inside `register`, which wires `show_text` into Jinja.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

# --- length limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextField:
    """One text field's rule: at most `limit` characters; `multiline` allows tab and newlines."""

    limit: int
    multiline: bool = False


_NAME = TextField(200)
_EMAIL = TextField(254)  # RFC 5321's longest forward path
_PHONE = TextField(30)
_LONG = TextField(4000, multiline=True)
_ADDRESS_PART = TextField(200)

# THE table of length limits (security.md: "every text field has a length limit, the same in
# the API and the pages"). Keys are the names the API uses; dotted names are parts of objects.
# forms/*, triage/tickets/information.py, the services and triage/api/openapi.py all read it.
FIELDS: dict[str, TextField] = {
    # ticket creation (api.md POST /tickets)
    "account_name": _NAME,
    "contact_email": _EMAIL,
    "change.mobile": _PHONE,
    "change.email": _EMAIL,
    "description": _LONG,
    "type": TextField(20),
    "customer_type": TextField(20),
    "real_name_auth": TextField(20),
    "account_type": TextField(20),
    "restriction_reason": TextField(40),
    # submission, reviews, requests, decisions
    "explanation": _LONG,
    "note": _LONG,  # evidence review note and decision note
    "message": _LONG,  # a reviewer's request for more materials
    "decision": TextField(20),
    # A rejection reason is a code (checked against its list); a legal hold's reason
    # (recovery.md, triage.retention) is a sentence a lead writes.
    "reason": TextField(500),
    "reviewer": _EMAIL,  # reassign: the new holder's email
    "material": TextField(40),  # a material key (evidence.material is VARCHAR(40))
    "materials": TextField(40),  # each key of a request for more
    "holder_name": _NAME,  # creation: the name as on the identity document (api.md)
    # information items (api.md PUT /information); `information` is the rule of any other
    "information": _NAME,
    "user_name": _NAME,
    "enterprise_name": _NAME,
    "bank_account_name": _NAME,
    "last_service": _NAME,
    "email": _EMAIL,
    "phone_number": _PHONE,
    "original_mobile": _PHONE,
    "bank_account_number": TextField(40),
    "contact_address.line1": _ADDRESS_PART,
    "contact_address.line2": _ADDRESS_PART,
    "contact_address.city": _ADDRESS_PART,
    "contact_address.province": _ADDRESS_PART,
    "contact_address.postal_code": _ADDRESS_PART,
    "contact_address.country": _ADDRESS_PART,
    # uploads (evidence.filename is VARCHAR(255); checks.py keeps a shorter display name)
    "filename": TextField(255),
    # pages only
    "reference": TextField(20),
    "code": TextField(60),
    "password": TextField(1024),
    "flag": TextField(30),
    "limit": TextField(10),
}
# A JSON object key (material keys are at most 28 characters): also the longest thing an
# error's `fields` may name, so a key can never be a long echo.
KEY_LIMIT = 40
# Any string the table does not name (ignored fields, query parameters we do not read).
DEFAULT_LIMIT = 4000
# How much of a client's input an error message may quote (security.md: "a short excerpt").
EXCERPT = 40


def field(name: str) -> TextField:
    """The rule for `name`: an exact entry, else its last dotted part, else the default.

    `contact_address.city` → its own entry; `materials[2]` → `materials`; an information
    item the table does not list (`user_name`) → `information`.
    """
    name = re.sub(r"\[\d+\]$", "", name)
    if name in FIELDS:
        return FIELDS[name]
    last = name.rsplit(".", 1)[-1]
    if last in FIELDS:
        return FIELDS[last]
    return TextField(DEFAULT_LIMIT, multiline=False)


def limit(name: str) -> int:
    """The most characters field `name` may hold (see `FIELDS`)."""
    return field(name).limit


# --- acceptable text ----------------------------------------------------------------------------

_MULTILINE_OK = frozenset("\t\n\r")  # browsers send a textarea's newlines as CRLF


def _refused(ch: str, multiline: bool) -> str | None:
    """Why the character `ch` is refused ("<kind> (U+XXXX<note>"), or None.

    security.md "State, text and load"; the wording of controls keeps the earlier
    "contains control characters" so clients matching on it still do.
    """
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        return f"a lone UTF-16 surrogate (U+{cp:04X}"
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        if multiline and ch in _MULTILINE_OK:
            return None
        note = {0: ", NUL", 9: ", a tab", 10: ", a line break", 13: ", a line break"}.get(cp, "")
        if ch in _MULTILINE_OK:
            note += " in a one-line field"
        return f"control characters (U+{cp:04X}{note}"
    if 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE:
        return f"a Unicode non-character (U+{cp:04X}"
    return None


_ASTRAL_NONCHARACTERS = "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17)
)
# Every character `_refused` may refuse, so only those are looked at one by one.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + re.escape(_ASTRAL_NONCHARACTERS)
    + "]"
)


def text_problem(
    value: str, *, multiline: bool = False, max_length: int | None = None
) -> str | None:
    """What is wrong with `value` as text, in words for the `fields` of a 400, or None.

    Refused (security.md, "State, text and load"): lone surrogates (U+D800 to U+DFFF), NUL and
    every other C0 and C1 control and DEL (tab, CR and LF only where `multiline`), and the
    Unicode non-characters U+FDD0 to U+FDEF and U+xFFFE/U+xFFFF of every plane. Longer than
    `max_length` characters is refused too. The answer names the code point and its
    position, never the text itself.
    """
    if max_length is not None and len(value) > max_length:
        return f"must be at most {max_length} characters (this has {len(value)})"
    for match in _SUSPECT.finditer(value):
        position = match.start()
        why = _refused(value[position], multiline)
        if why:
            return f"contains {why}, at position {position + 1})"
    return None


def check_field(name: str, value: str) -> str | None:
    """`text_problem` with the table's rule for field `name`."""
    rule = field(name)
    return text_problem(value, multiline=rule.multiline, max_length=rule.limit)


class TextRefused(ValueError):
    """A text value broke the rule; `str(exc)` is the "what is wrong" words for `fields`."""


def clean(value: Any, name: str, *, max_length: int | None = None) -> str:
    """`value` as accepted text for field `name`: NFC-normalised and stripped.

    TextRefused (a ValueError) when it is not a string or breaks the rule; the length is
    checked after normalising, against `max_length` or the table's limit for `name`.
    """
    if not isinstance(value, str):
        raise TextRefused("must be text")
    rule = field(name)
    why = text_problem(value, multiline=rule.multiline)  # before NFC, which keeps surrogates
    if why:
        raise TextRefused(why)
    text = unicodedata.normalize("NFC", value).strip()
    most = max_length if max_length is not None else rule.limit
    if len(text) > most:
        raise TextRefused(f"must be at most {most} characters")
    return text


def find_problems(data: Any, path: str = "", max_depth: int = 10) -> dict[str, str]:
    """Every string in a parsed JSON document (object keys too) checked by its field's rule.

    Returns {field path: what is wrong}; paths look like `change.mobile`, `materials[1]`,
    `body` for the top level. Nesting deeper than `max_depth` is one problem at the
    shallowest place it happens. Iterative, so no input can exhaust the stack.
    """
    problems: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(data, path, 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            why = check_field(where or "body", value)
            if why:
                problems[where or "body"] = why
        elif isinstance(value, (dict, list)):
            if depth >= max_depth:
                problems[where or "body"] = f"is nested more than {max_depth} levels deep"
                continue
            if isinstance(value, dict):
                for key, item in value.items():
                    why = text_problem(key, max_length=KEY_LIMIT)
                    if why:
                        problems[where or "body"] = f"has a key that {_as_clause(why)}"
                        continue
                    stack.append((item, f"{where}.{key}" if where else key, depth + 1))
            else:
                for index, item in enumerate(value):
                    stack.append((item, f"{where or 'body'}[{index}]", depth + 1))
    return {excerpt(k): v for k, v in problems.items()}


def _as_clause(why: str) -> str:
    """ "must be at most 40 characters (…)" → "is longer than 40 characters", for "a key that…"."""
    if why.startswith("must be at most "):
        return "is longer than " + why.removeprefix("must be at most ").split(" (")[0]
    return why


# --- matching names -----------------------------------------------------------------------------

# Invisible marks that make two names look equal but compare different. Every format
# character (Cf: zero-width space/joiners, BOM U+FEFF, bidi controls, soft hyphen U+00AD,
# word joiner...) plus the few invisible letters and fillers outside Cf.
_INVISIBLE_EXTRA = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e"
    "\u3164\uffa0\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07"
    "\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d\ufe0e\ufe0f"
)


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ch in _INVISIBLE_EXTRA


def normalise_name(value: str) -> str:
    """The form of a name used for matching (issue 9, "Look-alike text"; security.md).

    NFKC (full-width and compatibility forms fold to their plain letters), invisible marks
    removed (zero-width characters, BOM, bidirectional controls, soft hyphen, variation
    selectors), case-folded, NFKC again (case folding can undo it), runs of white space
    collapsed to one space, ends stripped. `normalise_name("\uff21CME\u200b-Cloud ") ==
    "acme-cloud"`.
    """
    text = unicodedata.normalize("NFKC", value)
    text = "".join(ch for ch in text if not _invisible(ch))
    text = unicodedata.normalize("NFKC", text.casefold())
    return " ".join(text.split())


# --- showing text -------------------------------------------------------------------------------

# The explicit embeddings, overrides and isolates (Unicode UAX #9; "Trojan Source",
# CVE-2021-42574). LRM, RLM and ALM are plain marks that cannot reorder other text: kept.
BIDI_CONTROLS = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}
_SHOW = str.maketrans(
    {
        **{ch: f"[{name}]" for ch, name in BIDI_CONTROLS.items()},
        **{cp: "\ufffd" for cp in range(0xD800, 0xE000)},
        **{cp: "\ufffd" for cp in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]},
        **{cp: "\ufffd" for cp in range(0x7F, 0xA0)},
    }
)


def show_text(value: str) -> str:
    """`value` made safe to put in a page: bidi controls rendered visibly, never raw.

    Each embedding, override or isolate control is replaced by its name in brackets
    (U+202E becomes "[RLO]"), so a reviewer sees that the text carries one and it cannot
    reorder what follows. Lone surrogates and control characters other than tab and
    newlines become U+FFFD, so text stored before the checks existed still renders
    (a lone surrogate cannot be encoded as UTF-8, which made such pages answer 500).
    security.md, "State, text and load".
    """
    if value.isprintable():  # False for every Cc, Cf (bidi controls) and Cs character
        return value
    return value.translate(_SHOW)


def excerpt(value: str, length: int = EXCERPT) -> str:
    """At most `length` characters of client input to quote in a message, marked when cut;
    made safe to show (see `show_text`)."""
    text = value if len(value) <= length else value[: length - 1] + "…"
    return show_text(text)


def _finalize(value: Any) -> Any:
    """Jinja `finalize`: every `{{ … }}` that prints a string goes through `show_text`."""
    if isinstance(value, str):
        shown = show_text(value)
        if shown is value or type(value) is str:
            return shown
        return type(value)(shown)  # Markup stays Markup: only plain text was put in
    return value


def register(app: Flask) -> None:
    """Wire the text rules into the app (one call from `create_app`).

    - Jinja's `finalize`: bidirectional controls are never rendered raw, in any template;
      `text_limit(name)` for templates' hand-written inputs.
    - Query parameters are checked before any view runs: 400 `invalid_request` naming
      the parameter. URL path parts too (a NUL in a reference reached PostgreSQL, which
      refuses it with an error): 404, as for any other name that names nothing.
    """
    from flask import request

    from triage.errors import InvalidRequest, NotFound

    app.jinja_env.finalize = _finalize
    # For inputs templates write by hand (the information items): maxlength="{{
    # text_limit('contact_address.city') }}", the same limit the service enforces.
    app.jinja_env.globals["text_limit"] = limit

    @app.before_request
    def check_url_text() -> None:
        problems: dict[str, str] = {}
        for name, value in request.args.items(multi=True):
            why = text_problem(name, max_length=KEY_LIMIT)
            if why:
                problems["query"] = f"has a parameter name that {_as_clause(why)}"
                continue
            why = check_field(name, value)
            if why:
                problems[excerpt(name)] = why
        if problems:
            raise InvalidRequest("Some of the address's parameters are not valid.", problems)
        for value in (request.view_args or {}).values():
            # A reference or id with a NUL in it names nothing (and PostgreSQL refuses the
            # NUL with an error): the same 404 as any other ticket that does not exist.
            if isinstance(value, str) and text_problem(value, max_length=200):
                raise NotFound("There is nothing at this address.")
