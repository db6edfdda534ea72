"""Languages (api.md, "Languages"): English, Simplified Chinese and Spanish.

The language of a request comes from `?lang=`, then the cookie the language switcher sets,
then `Accept-Language`; English otherwise. Customer pages, their emails, the reason texts
and API error messages are translated; error `code`s never are. Catalogs live in
`translations/` (see `triage.i18n.catalog` and `make translations`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel import Locale
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import Babel, format_date, format_time, get_locale, get_translations, gettext

from triage.errors import Msg
from triage.languages import DEFAULT, LANGUAGES, TAGS, normalise
from triage.paths import shipped

TRANSLATIONS = shipped("translations")  # in the wheel, or at the checkout's root

COOKIE = "lang"
# Reviewer and lead pages stay English (issue 11): a reviewer's browser language does not
# mix them. Every blueprint under /review/ is here (tests/i18n/test_english_only.py).
ENGLISH_ONLY = frozenset({"review", "auth", "jobs", "dashboard", "retention"})
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """`?lang=`, then the switcher's cookie, then `Accept-Language`, then English."""
    if not has_request_context():  # a job outside a request: it uses force_locale
        return DEFAULT
    if request.blueprint in ENGLISH_ONLY:
        return DEFAULT
    for value in (request.args.get("lang"), request.cookies.get(COOKIE)):
        chosen = normalise(value)
        if chosen:
            return chosen
    # Each tag the browser sends, best first, through our spellings: zh-CN, zh-SG, zh-TW and
    # zh all find zh_Hans, es-CL es. (Werkzeug's best_match falls back from zh-CN to zh,
    # which does not match zh-Hans, so a browser sending only zh-CN got English.)
    for tag, quality in request.accept_languages:
        chosen = normalise(tag) if quality > 0 and tag != "*" else None
        if chosen:
            return chosen
    return DEFAULT


def current_language() -> str:
    """The request's locale as one of `LANGUAGES`' keys."""
    locale = get_locale()
    return str(locale) if locale is not None and str(locale) in LANGUAGES else DEFAULT


def translate(text: str | None) -> str:
    """A vocabulary string (a material label, a reason, a status word) in the request's
    language; unknown text comes back unchanged. Never Markup: the result is escaped."""
    if not text:
        return text or ""
    return str(gettext(text))


def short_label(label: str) -> str:
    """A material's label up to its colon, in the request's language ("Passport")."""
    words = translate(label)
    for colon in (":", "\uff1a"):  # the ASCII colon and the full-width one of Chinese
        words = words.split(colon)[0]
    return words.strip()


def file_size(size: int | None) -> str:
    """A size as the customer reads it: "1.2 MB", "1,2 MB", "340 KB"."""
    size = int(size or 0)
    locale = current_language()
    if size >= 1024 * 1024:
        number = format_decimal(round(size / (1024 * 1024), 1), locale=locale)
        return gettext("%(size)s MB", size=number)
    if size >= 1024:
        number = format_decimal(max(1, round(size / 1024)), locale=locale)
        return gettext("%(size)s KB", size=number)
    return gettext("%(size)s bytes", size=format_decimal(size, locale=locale))


def extension_list(extensions: list[str] | tuple[str, ...]) -> str:
    """ ".doc, .docx … or .odt" in the request's language ("…或 .odt", "… u .odt")."""
    dotted = [f".{extension}" for extension in extensions]
    if current_language() == DEFAULT and len(dotted) > 1:  # the policy's own words, no comma
        return ", ".join(dotted[:-1]) + f" or {dotted[-1]}"
    return format_list(dotted, style="or", locale=current_language()) if dotted else ""


def upload_attributes(policy: Any) -> dict[str, str]:
    """An upload policy's `data-` attributes with its words in the request's language."""
    attributes = dict(policy.data_attributes())
    attributes["data-max-words"] = file_size(policy.max_file_bytes)
    attributes["data-extension-words"] = extension_list(policy.extensions)
    return attributes


def date_time(value: datetime | None) -> str:
    """A date and time to the minute in the request's language, as the locale joins them:
    "Mar 5, 2026, 2:07 PM", "2026年3月5日 14:07", "5 mar 2026, 14:07" (UTC, as stored)."""
    if value is None:
        return ""
    joined = str(Locale.parse(current_language()).datetime_formats["medium"])
    return joined.replace("{1}", format_date(value, "medium")).replace(
        "{0}", format_time(value, "short")
    )


# What a person reads for each code when a message has no translation yet (messages built
# with the file's name, for instance): a sentence in their language rather than English.
GENERIC_MESSAGES: dict[str, str] = {
    "invalid_request": "Some of what was sent is missing or not valid.",
    "empty_file": "The file is empty (0 bytes). Please check it and upload it again.",
    "unauthorized": "Send the access token or reviewer token that belongs to this.",
    "forbidden": "You may not do this.",
    "not_found": "There is no such ticket, or you may not see it.",
    "invalid_state": "This does not fit the ticket's status just now.",
    "requirements_not_met": "Some required materials are still missing.",
    "file_too_large": "The file is larger than the limit for one file. Please send a smaller one.",
    "unsupported_file_type": "We cannot accept this kind of file. Please upload a .jpg, "
    ".png, .pdf, .doc, .docx or .odt file.",
    "file_type_mismatch": "The file's name and its content disagree about what kind of "
    "file it is. Please rename it and upload it again.",
    "unknown_material": "There is no such item to add files to.",
    "password_protected": "The file needs a password to open. Please save a copy without "
    "a password and upload that.",
    "damaged_file": "The file does not open completely. Please save or scan it again and "
    "upload the new copy.",
    "rate_limited": "Too many attempts in a short time. Please wait a minute and try again.",
    "storage_unavailable": "We could not store files just now. Please try again in a minute.",
    "service_unavailable": "Our database did not answer in time. Please try again in a minute.",
    "server_error": "Something went wrong on our side. Please try again in a minute.",
}


def error_message(code: str, message: str) -> str:
    """An error's message in the request's language; its code is never touched.

    A `Msg` (a template and its values, a file name say) is translated as its template and
    then filled in. A message the catalog does not know (built some other way, or with a
    part that has no translation) is kept as it is in English; elsewhere the code's general
    sentence stands in for it.
    """
    if isinstance(message, Msg):
        filled = _fill(message)
        if filled is not None:
            return filled
        generic = GENERIC_MESSAGES.get(code)
        return translate(generic) if generic else str(message)
    translated = translate(message)
    if translated != message or current_language() == DEFAULT:
        return translated
    generic = GENERIC_MESSAGES.get(code)
    return translate(generic) if generic else message


def translated(message: Msg) -> str | None:
    """`message` (a template and its values) in the request's language, or None when the
    catalog lacks its template or a value that is itself a `Msg`: the caller then says
    something general rather than let English through (`forms.tickets.sentence`)."""
    return _fill(message)


def _in_catalog(text: str) -> bool:
    """Whether the request's catalog has `text` (a translation may equal its msgid, as
    "“%(name)s” %(problem)s. %(advice)s" does in Spanish)."""
    # gettext has no public membership test; `_catalog` is the dict every GNUTranslations
    # (and Babel's subclass, which Flask-Babel merges into) keeps its messages in.
    catalog = getattr(get_translations(), "_catalog", None)
    return text in catalog if catalog is not None else translate(text) != text


def _fill(message: Msg) -> str | None:
    """`message` in the request's language, or None if a part of it has no translation."""
    if current_language() == DEFAULT:
        return str(message)
    if not _in_catalog(message.template):
        return None
    template = translate(message.template)
    values: dict[str, Any] = {}
    for key, value in message.values.items():
        if isinstance(value, Msg):
            value = _fill(value)
            if value is None:
                return None
        values[key] = value
    return template % values if values else template


def _safe_target(target: str | None) -> str:
    """Only a path on this site: "/x?y" is kept; "//evil", "https://…", "/\\evil" are not."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("tickets.start")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return url_for("tickets.start")
    return target


@bp.route("/language/<code>", methods=["GET", "POST"])
def choose(code: str) -> Response:
    """The switcher: remember the language in a cookie and go back to the page."""
    locale = normalise(code) or DEFAULT
    response = redirect(_safe_target(request.values.get("next")), 303)
    response.set_cookie(
        COOKIE,
        locale,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def _here_without_lang() -> str:
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])
    return request.path + (f"?{query}" if query else "")


def _vary(response: Response) -> Response:
    # The same URL answers in three languages: caches must key on what chose it. Static
    # files are the same in every language.
    if request.endpoint == "static":
        return response
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Flask-Babel with our selector, the switcher's route and the template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.after_request(_vary)
    app.jinja_env.filters.update(
        t=translate,
        short_label=short_label,
        filesize=file_size,
        datetime=date_time,
        extension_list=extension_list,
        upload_attributes=upload_attributes,
    )

    @app.context_processor
    def languages() -> dict[str, object]:
        current = current_language()
        here = _here_without_lang() if request else "/"
        return {
            "current_language": current,
            "html_lang": TAGS[current],
            "languages": LANGUAGES,
            "language_url": lambda code: url_for("i18n.choose", code=code, next=here),
            # Staff pages stay English (ENGLISH_ONLY): no switcher that would do nothing.
            "english_only": bool(request) and request.blueprint in ENGLISH_ONLY,
        }
