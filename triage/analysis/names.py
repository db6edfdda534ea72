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
  ZHANGWEI. Each character is read as pypinyin reads it in the name's context (its usual
  reading), and the surname (the first character, or the first two of a compound surname
  such as 欧阳) also as it is read as a surname, which is often not the usual reading
  (曾 ZENG, 单 SHAN, 区 OU, 仇 QIU: `_SURNAME_READINGS`). Every reading pypinyin knows
  would be too many: 王 WANG would also be YU, 沈 SHEN CHEN, so unrelated surnames
  matched. ü may be spelled YU (as Chinese passports do), U or V. The pinyin is one word
  in the Han order (surname first), so the other name's words may still come in any
  order. Two Han names are compared as characters (through pinyin 张伟 and 章玮 would be
  one name), and a name mixing Han with other letters, or with a character pypinyin has
  no reading for, is compared as it is.

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
# Pinyin spellings of one Han name at most: a character whose spellings would take the
# count over this keeps only its first (the usual one). Only ü (three spellings) and the
# surname multiply them.
_MAX_READINGS = 256
# Surnames read otherwise than pypinyin's usual reading of the character (lazy_pinyin:
# 曾 is "ceng", 单 "dan", 区 "qu"), Simplified and Traditional. Source: the surname
# readings commonly given for these characters (as in Wiktionary's "surname" senses of each
# character), each checked to be one of pypinyin's heteronyms for the character, and kept
# only where it differs from the usual reading (车 CHE, 教 JIAO are usual: left out).
# The compound surnames of 《百家姓》 are listed although lazy_pinyin reads them right as a
# phrase, so that their reading does not depend on the given name that follows (and in
# Traditional it does not: 尉遲 is "weichi", 萬俟 "wanqi").
_SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng",), "单": ("shan",), "單": ("shan",), "区": ("ou",), "區": ("ou",),
    "仇": ("qiu",), "朴": ("piao",), "查": ("zha",), "解": ("xie",),
    "盖": ("ge",), "蓋": ("ge",), "乐": ("yue",), "樂": ("yue",), "缪": ("miao",),
    "繆": ("miao",), "翟": ("zhai",), "覃": ("qin",), "种": ("chong",), "種": ("chong",),
    "秘": ("bi",), "折": ("she",), "召": ("shao",), "员": ("yun",), "員": ("yun",),
    "能": ("nai",), "繁": ("po",), "句": ("gou",), "阚": ("kan",),
    "尉迟": ("yuchi",), "尉遲": ("yuchi",), "万俟": ("moqi",), "萬俟": ("moqi",),
    "长孙": ("zhangsun",), "長孫": ("zhangsun",), "欧阳": ("ouyang",), "歐陽": ("ouyang",),
    "司马": ("sima",), "司馬": ("sima",), "诸葛": ("zhuge",), "諸葛": ("zhuge",),
    "上官": ("shangguan",),
}  # fmt: skip
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


def _spelled_u(syllable: str) -> tuple[str, ...]:
    """A toneless syllable with pypinyin's "v" (ü) spelled every way of `_U_UMLAUT`."""
    if "v" not in syllable:
        return (syllable,)
    return tuple(syllable.replace("v", u) for u in _U_UMLAUT)


@functools.lru_cache(maxsize=4096)
def _han_spellings(chars: str) -> frozenset[str]:
    """`pinyin_spellings` of a run of Han characters (no separators)."""
    # Imported here: only a Han name against a Latin one needs pypinyin's tables.
    from pypinyin import Style, lazy_pinyin

    # The usual reading of each character in the name's context (the phrase dictionary);
    # a character with none is dropped ("ignore"), so the count tells.
    usual = lazy_pinyin(chars, style=Style.NORMAL, errors="ignore")
    if len(usual) != len(chars) or not all(usual):
        return frozenset()
    # The surname (a compound one's two characters as one): its usual reading and its
    # readings as a surname; then each given-name character's usual reading.
    length = 2 if chars[:2] in _SURNAME_READINGS else 1
    surname = "".join(usual[:length])
    found = list(dict.fromkeys((*_spelled_u(surname), *_SURNAME_READINGS.get(chars[:length], ()))))
    for syllable in usual[length:]:
        readings = _spelled_u(syllable)
        if len(found) * len(readings) > _MAX_READINGS:
            readings = readings[:1]
        found = [s + r for s in found for r in readings]
    return frozenset(found)


def pinyin_spellings(name: str) -> set[str]:
    """The toneless pinyin of a name written in Han characters alone, as one word per
    combination of readings ("张伟" → {"zhangwei"}; "单伟" → {"danwei", "shanwei"}): each
    character's usual reading in the name, and the surname's readings as a surname; an
    empty set when the name has anything else (Latin letters, kana) or a character without
    a reading. Separators (spaces, hyphens, the MRZ filler) are left out, as in `words`."""
    chars = "".join(words(name))
    if not chars or not all(_is_han(ch) for ch in chars):
        return set()
    return set(_han_spellings(chars))


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
