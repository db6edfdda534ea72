"""Whether a typed name and a name read from a document are the same (api.md `name_mismatch`).

The second source document: "If your passport says MCDONALD and you typed McDonald ... it
can care logically", and "spaces vs no spaces, hyphens vs none, full-width vs half-width
characters". So names are compared after normalising what a person cannot be blamed for:

- `triage.text.normalise_name` (NFKC: full-width letters fold to half-width; invisible
  marks removed; case folded);
- accents stripped (NFKD, combining marks dropped), or spelled as ICAO 9303-3 transliterates
  them in an MRZ (Ä as AE, Ø as OE, ß as SS): either spelling matches;
- apostrophes and dots dropped (an MRZ omits them: O'BRIEN is OBRIEN), hyphens, commas,
  the MRZ filler `<` and white space all separate words;
- the order of given names and surname, and where words are split ("MC DONALD",
  "McDonald"): two names match when some order of one's words, joined, equals some order
  of the other's;
- Chinese (and other CJK) names are compared without spaces ("张 三" is "张三");
- a name written in Han characters alone, compared with one in another script (a passport's
  MRZ: `ZHANG<<WEI`), is compared through its toneless pinyin (pypinyin): 张伟 and 張偉 are
  ZHANGWEI. Every reading of every character counts, since a surname's reading is often
  not the common one (曾 ZENG, 单 SHAN, 区 OU, 仇 QIU); ü may be spelled YU (as Chinese
  passports do), U or V. The pinyin is one word in the Han order (surname first), so the
  other name's words may still come in any order. Two Han names are compared as
  characters (through pinyin 张伟 and 章玮 would be one name), and a name mixing Han with
  other letters, or with a character pypinyin has no reading for, is compared as it is.

Pure: no Flask.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

from triage.text import normalise_name

# ICAO 9303-3, 6.A (transliteration of Latin multinational characters): the ones whose
# MRZ spelling is not simply the letter without its accent.
_ICAO = str.maketrans(
    {"ä": "ae", "æ": "ae", "ö": "oe", "ø": "oe", "ü": "ue", "ß": "ss", "å": "aa",
     "œ": "oe", "þ": "th", "ð": "d", "ĳ": "ij", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i"}
)  # fmt: skip
# Apostrophes (straight, curly, modifier letter), grave and acute accents alone, dots.
_DROPPED = re.compile("['\u2019\u2018`\u00b4.\u02bc]")
# White space, hyphen-minus and the Unicode hyphens and dashes, commas, MRZ fillers.
_SEPARATORS = re.compile("[\\s\\-\u2010\u2011\u2012\u2013\u2014,<_/]+")
# Words compared in every order up to this many (6! = 720 joins); beyond, sorted words.
_MAX_PERMUTED = 6
# Pinyin spellings of one Han name at most: a character whose readings would take the
# count over this keeps only its first (most common) reading. A name of four characters
# with three readings each is 81.
_MAX_READINGS = 256
# How pinyin's ü (pypinyin writes "v": lv, nve) is spelled in Latin letters: YU on Chinese
# passports (吕 LYU), and U or V on older ones.
_U_UMLAUT = ("yu", "u", "v")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or 0x3040 <= code <= 0x30FF  # kana
        or 0xAC00 <= code <= 0xD7AF  # hangul
    )


def _is_han(ch: str) -> bool:
    """A Han character, which pinyin can spell (the unified ideographs, their extensions
    and compatibility forms, and U+3007, the ideographic zero); not kana or hangul."""
    if ch == "\u3007":
        return True
    code = ord(ch)
    return _is_cjk(ch) and not (0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF)


@functools.lru_cache(maxsize=4096)
def _readings(ch: str) -> tuple[str, ...]:
    """The toneless pinyin readings of one Han character (pypinyin, every heteronym), ü
    spelled every way of `_U_UMLAUT`; () when pypinyin knows none. One character at a
    time, never as a phrase: the phrase dictionary would pick one reading where a name
    needs all of them."""
    # Imported here: only a Han name against a Latin one needs pypinyin's tables.
    from pypinyin import Style, pinyin

    # [[reading, ...]] for one character; [] ("ignore") when it has none.
    answer = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    found: dict[str, None] = {}  # ordered: pypinyin's most common reading first
    for spelled in answer[0] if answer else ():
        if "v" in spelled:
            found |= dict.fromkeys(spelled.replace("v", u) for u in _U_UMLAUT)
        elif spelled:
            found[spelled] = None
    return tuple(found)


def pinyin_spellings(name: str) -> set[str]:
    """The toneless pinyin of a name written in Han characters alone, as one word per
    combination of the characters' readings ("张伟" → {"zhangwei"}); an empty set when the
    name has anything else (Latin letters, kana) or a character without a reading.
    Separators (spaces, hyphens, the MRZ filler) are left out, as in `words`."""
    chars = "".join(words(name))
    if not chars or not all(_is_han(ch) for ch in chars):
        return set()
    spellings = [""]
    for ch in chars:
        readings = _readings(ch)
        if not readings:
            return set()
        if len(spellings) * len(readings) > _MAX_READINGS:
            readings = readings[:1]
        spellings = [s + r for s in spellings for r in readings]
    return set(spellings)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(name: str, *, icao: bool = False) -> list[str]:
    """The words of a name in their compared form (see the module's rules)."""
    text = normalise_name(name)
    if icao:
        text = text.translate(_ICAO)
    text = _strip_accents(text)
    text = _DROPPED.sub("", text)
    found = [w for w in _SEPARATORS.split(text) if w]
    if any(_is_cjk(ch) for ch in "".join(found)):
        return ["".join(found)]  # Chinese names: no spaces
    return found


def _spellings(parts: list[str]) -> set[str]:
    if len(parts) > _MAX_PERMUTED:
        return {"".join(sorted(parts))}
    return {"".join(order) for order in itertools.permutations(parts)}


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by at most one insertion, deletion or substitution."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i in range(len(a)):
        if a[i] != b[i]:
            return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i + 1 :]
    return True


def _spelled(name: str, own: list[str], other: list[str]) -> set[str]:
    """The joined spellings `name` (whose words are `own`) is compared by, against a name
    whose words are `other`: its pinyin when it is Han alone and `other` has no CJK
    character (a passport's MRZ), else its words joined in every order."""
    if not any(_is_cjk(ch) for word in other for ch in word):
        pinyin = pinyin_spellings(name)
        if pinyin:
            return pinyin
    return _spellings(own)


def nearly_match(typed: str, read: str) -> bool:
    """Whether the names are one letter apart (in some order of their words, or in the
    pinyin of a Han name): what an OCR misreading does ("OLGA" read "OOLGA"), and also what
    a typo does. `analyse` reports such a `name_mismatch` as "info", not "warning"; it is
    still a mismatch."""
    a, b = words(typed), words(read)
    if not a or not b:
        return False
    return any(_one_edit(x, y) for x in _spelled(typed, a, b) for y in _spelled(read, b, a))


def names_match(typed: str, read: str) -> bool:
    """Whether `typed` (by the customer) and `read` (from a document) are the same name
    under the module's rules. Two empty names do not match: nothing was compared."""
    for icao in (False, True):
        a, b = words(typed, icao=icao), words(read, icao=icao)
        if not a or not b:
            return False
        if sorted(a) == sorted(b) or _spelled(typed, a, b) & _spelled(read, b, a):
            return True
    return False
