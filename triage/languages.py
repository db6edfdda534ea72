"""The languages customer pages and emails are written in, and how their names are read.
Pure: no Flask, so settings (config), account records (triage.accounts.records) and the
pages' locale selection (triage.i18n) share one table."""

from __future__ import annotations

from typing import Any

# Locale → the name a speaker of it reads in the switcher (always in its own language).
LANGUAGES: dict[str, str] = {"en": "English", "zh_Hans": "简体中文", "es": "Español"}
DEFAULT = "en"
# BCP 47 tags for `<html lang>` and for matching Accept-Language.
TAGS = {"en": "en", "zh_Hans": "zh-Hans", "es": "es"}
# Spellings people and browsers use for the same three languages: any case, "-" or "_",
# and a region or script after the language (zh-CN, es-MX, en-GB) read by the language.
_ALIASES = {
    "en": "en",
    "zh": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "es": "es",
}


def normalise(value: Any) -> str | None:
    """The supported locale `value` names, or None: "es-CL" → "es", "zh-TW" → "zh_Hans"
    (ours is the only Chinese), "x-klingon" or a non-string → None."""
    if not isinstance(value, str) or not value.strip():
        return None
    key = value.strip().replace("-", "_").lower()[:20]
    if key in _ALIASES:
        return _ALIASES[key]
    return _ALIASES.get(key.split("_")[0])
