"""Name matching (api.md `name_mismatch`; the second source document's list of slips)."""

from __future__ import annotations

import pytest

from triage.analysis.names import names_match, nearly_match, words

# "ANNA ERIKSSON" in full-width forms (U+FF21...) with an ideographic space (U+3000).
FULL_WIDTH_NAME = "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in "ANNA ERIKSSON")

SAME = [
    ("McDonald", "MCDONALD"),  # the source document's own example
    ("Mc Donald", "MCDONALD"),
    ("O'Brien", "OBRIEN"),  # an MRZ omits apostrophes
    ("O\u2019Brien", "O'BRIEN"),  # a curly apostrophe
    ("Anne-Marie Dupont", "ANNE MARIE DUPONT"),  # hyphens separate words
    ("Anne-Marie Dupont", "ANNEMARIE DUPONT"),
    ("Anna Maria Eriksson", "ERIKSSON ANNA MARIA"),  # surname first or last
    ("Eriksson, Anna Maria", "ANNA MARIA ERIKSSON"),
    ("José García", "JOSE GARCIA"),  # accents
    ("Müller", "MULLER"),
    ("Müller", "MUELLER"),  # ICAO 9303 transliteration
    ("Øster Søren", "OESTER SOEREN"),
    ("Straße", "STRASSE"),
    (FULL_WIDTH_NAME, "Anna Eriksson"),  # full-width letters and space
    ("anna  eriksson ", "ANNA ERIKSSON"),  # spaces
    ("Anna\u200bEriksson", "ANNAERIKSSON"),  # an invisible zero-width space
    ("张三", "张 三"),  # Chinese names without spaces
    ("张　三", "张三"),
    ("Li Wei", "WEI LI"),
    ("ERIKSSON<<ANNA<MARIA", "Anna Maria Eriksson"),  # MRZ fillers
]
DIFFERENT = [
    ("Anna Eriksson", "ANNA ERIKSEN"),
    ("Ana Eriksson", "ANNA ERIKSSON"),
    ("John Smith", "JANE SMITH"),
    ("Anna Maria Eriksson", "ANNA ERIKSSON"),  # a given name missing
    ("张三", "张四"),
    ("Anna", ""),
    ("", ""),
    ("Nana Eriksson", "ANNA ERIKSSON"),  # an anagram of a word is another word
]


@pytest.mark.parametrize(("typed", "read"), SAME)
def test_same_names(typed: str, read: str) -> None:
    assert names_match(typed, read)
    assert names_match(read, typed)


@pytest.mark.parametrize(("typed", "read"), DIFFERENT)
def test_different_names(typed: str, read: str) -> None:
    assert not names_match(typed, read)


def test_one_letter_apart_is_nearly_the_same() -> None:
    assert nearly_match("Olga Eriksson", "OOLGA ERIKSSON")  # an OCR slip
    assert nearly_match("Ana Eriksson", "ANNA ERIKSSON")
    assert not nearly_match("John Smith", "JANE SMITH")


def test_words() -> None:
    assert words("O'Brien-Smith, Seán") == ["obrien", "smith", "sean"]
    assert words("Müller", icao=True) == ["mueller"]


def test_many_words_are_bounded() -> None:
    typed = "a b c d e f g h i j"
    assert names_match(typed, "j i h g f e d c b a")  # sorted words, not 10! orders
