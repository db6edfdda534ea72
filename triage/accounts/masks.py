"""Masked contacts: what reviewers see of an account's registered email and mobile.

recovery.md "Accounts of record": "Reviewers see the record's contacts masked
(`a***@example.org`, `+86 ***-****-1234`); the full values are never returned by the API."
Pure: no Flask.
"""

from __future__ import annotations

import re

# ITU-T E.164 country calling codes by length, for a number written without a separator
# after the code ("+8613800131234"): the 1-digit zones, then the 2-digit codes; every
# other code has 3 digits.
_ONE_DIGIT = {"1", "7"}
_TWO_DIGITS = {
    *("20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45"),
    *("46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61"),
    *("62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94"),
    *("95", "98"),
}
_LEADING_CODE = re.compile(r"^\s*\+\s*(\d{1,3})(?=[\s\-.()])")


def mask_email(email: str | None) -> str | None:
    """`alice@example.org` → `a***@example.org`: the first letter and the domain only.

    recovery.md "Accounts of record" (masked contacts). Enough for a reviewer to tell
    "the same provider as the ticket's contact" from "another one", never the address.
    """
    if not email:
        return None
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def _country_code(mobile: str, digits: str) -> str | None:
    if not mobile.lstrip().startswith("+"):
        return None
    match = _LEADING_CODE.match(mobile)
    if match:
        return match.group(1)
    for size, codes in ((1, _ONE_DIGIT), (2, _TWO_DIGITS)):
        if digits[:size] in codes:
            return digits[:size]
    return digits[:3]


def mask_mobile(mobile: str | None) -> str | None:
    """`+86 138 0013 1234` → `+86 ***-****-1234`: the country code and the last four digits.

    recovery.md "Accounts of record" (masked contacts). A number too short to keep four
    digits hidden shows none of them.
    """
    if not mobile:
        return None
    digits = "".join(ch for ch in mobile if ch.isdigit())
    code = _country_code(mobile, digits)
    national = digits[len(code) :] if code else digits
    tail = national[-4:] if len(national) >= 8 else "****"
    return f"+{code} ***-****-{tail}" if code else f"***-****-{tail}"
