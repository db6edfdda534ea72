"""The customer's language (api.md "Languages"): `?lang=`, then the switcher's cookie,
then Accept-Language; English when none of them names one we speak."""

from __future__ import annotations

from flask import request

LANGUAGES = ("en", "zh_Hans", "es")
COOKIE = "lang"


def _known(value: str | None) -> str | None:
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        # Simplified Chinese is what we write; zh-CN, zh-SG and zh-Hans all read it.
        return None if tag in ("zh_hant", "zh_tw", "zh_hk", "zh_mo") else "zh_Hans"
    for language in LANGUAGES:
        if tag == language.lower() or tag.split("_")[0] == language:
            return language
    return None


def request_language() -> str:
    """The language of the current request's customer; needs a request context."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        chosen = _known(candidate)
        if chosen:
            return chosen
    for tag, _quality in request.accept_languages:
        chosen = _known(tag)
        if chosen:
            return chosen
    return "en"
