"""The catalogs are complete: every customer string has a Chinese and a Spanish translation.

"Customer strings" are what `babel.cfg` extracts (customer templates, `_()` calls, the error
classes' messages) plus the vocabulary the customer pages show at run time (materials,
reasons, status words, restriction reasons, address parts). A string added without its
translations fails here until `make translations` merges it and someone translates it.
"""

from __future__ import annotations

import pytest
from babel.messages.mofile import read_mo

from triage.i18n import GENERIC_MESSAGES
from triage.i18n.catalog import LOCALES, TRANSLATIONS, extract, read_catalog


@pytest.fixture(scope="module")
def extracted():
    return extract()


def _untranslated(catalog, message) -> bool:
    found = catalog.get(message.id, context=message.context)
    if found is None or found.fuzzy:
        return True
    strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
    return not all(s and s.strip() for s in strings)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_extracted_customer_string_is_translated(extracted, locale):
    catalog = read_catalog(locale)
    missing = [m.id for m in extracted if m.id and _untranslated(catalog, m)]
    assert not missing, f"{len(missing)} untranslated in {locale}: {missing[:10]}"


def _vocabulary() -> list[str]:
    from triage.evidence.reasons import REASONS
    from triage.requirements import MATERIALS
    from triage.requirements.rules import NO_RULE_MESSAGE
    from triage.tickets.information import ADDRESS_LABELS
    from triage.tickets.operations import RESTRICTION_REASONS
    from triage.tickets.status import CUSTOMER_WORDS

    words = [*REASONS.values(), *CUSTOMER_WORDS.values(), *RESTRICTION_REASONS.values()]
    words += [*ADDRESS_LABELS.values(), *GENERIC_MESSAGES.values(), NO_RULE_MESSAGE]
    words += [m.label for m in MATERIALS.values()] + [m.hint for m in MATERIALS.values() if m.hint]
    return words


@pytest.mark.parametrize("locale", LOCALES)
def test_every_word_the_customer_pages_look_up_is_translated(locale):
    catalog = read_catalog(locale)
    missing = [w for w in _vocabulary() if not (catalog.get(w) and catalog.get(w).string)]
    assert not missing, f"{len(missing)} untranslated in {locale}: {missing[:10]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders(locale):
    catalog = read_catalog(locale)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems, problems[:5]


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def _as_compiled(message):
    """What Babel's write_mo stores for `message`: a plural form left empty falls back to
    the English singular or plural (an untranslated plural is still compiled; the test
    above reports it as untranslated)."""
    if isinstance(message.id, list | tuple):
        return tuple(s or message.id[min(i, 1)] for i, s in enumerate(message.string))
    return message.string


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_is_current(locale):
    """The .mo the app reads says what the .po says (`make translations` compiles it)."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    with path.open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {
        _key(m.id): _key(_as_compiled(m))
        for m in read_catalog(locale)
        if m.id and m.string and not m.fuzzy
    }
    assert compiled == source, "run `make translations` to compile the catalogs"
