"""Machine-readable zones of travel documents, per ICAO Doc 9303 (api.md `extracted.mrz`).

Parts 3, 4 and 5 of Doc 9303 (8th edition): TD3 (passports, 2 lines of 44 characters)
and TD1 (identity cards, 3 lines of 30). Every check digit is computed (weights 7, 3, 1
repeating; digits are their value, A-Z are 10-35, the filler `<` is 0) and the composite
one too; `check_digits_valid` is True only when all hold, which gives `mrz_invalid`
otherwise.

The text comes from OCR, so common confusions are undone inside the MRZ only: spaces
dropped, `«` (OCR's reading of `<<`) as `<`, and by field: where the format allows only
digits (dates, check digits) O/Q/D read as 0, I/L as 1, Z as 2, S as 5, G as 6, B as 8;
where it allows only letters (country codes, names) the reverse. A document number may
hold both, so when its check digit fails, O and 0 are swapped until one spelling passes
(bounded). Pure: no Flask.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass
from datetime import date

TD3_LENGTH = 44
TD1_LENGTH = 30
_WEIGHTS = (7, 3, 1)
_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2",
                           "S": "5", "G": "6", "B": "8"})  # fmt: skip
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"})
# At most this many O/0 positions of a document number are tried both ways (2^6 = 64).
_MAX_SWAPS = 6
_LINE_CHARS = re.compile(r"[^A-Z0-9<]")


def char_value(ch: str) -> int:
    """A character's value in a check digit: 0-9, A-Z as 10-35, `<` as 0 (9303-3, 4.9)."""
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise ValueError(f"{ch!r} cannot appear in an MRZ")


def check_digit(field: str) -> str:
    """The check digit of `field`: the sum of values times 7, 3, 1 repeating, modulo 10."""
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _check_ok(field: str, digit: str, *, optional: bool = False) -> bool:
    # An empty optional field (all fillers) may carry `<` as its check digit (9303-4, 4.2.2).
    if optional and set(field) == {"<"} and digit in ("<", "0"):
        return True
    return digit.isdigit() and check_digit(field) == digit


@dataclass(frozen=True)
class MRZ:
    """What a machine-readable zone says. Dates are ISO strings (None when unreadable)."""

    format: str  # "TD3" or "TD1"
    document_type: str
    issuing_country: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str | None
    sex: str
    expiry_date: str | None
    check_digits_valid: bool
    failed_checks: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """api.md `extracted.mrz` (no `format`, no `failed_checks`)."""
        data = asdict(self)
        for key in ("format", "failed_checks"):
            data.pop(key)
        return data

    @property
    def name(self) -> str:
        """Given names then surname, as one would type them."""
        return " ".join(p for p in (self.given_names, self.surname) if p)


def clean_line(line: str) -> str:
    """An OCR line as MRZ characters: upper case, `«` as `<`, spaces and others dropped."""
    text = line.upper().replace("«", "<").replace("\u2039", "<").replace("\u02c2", "<")
    return _LINE_CHARS.sub("", text)


def _digits(text: str) -> str:
    return text.translate(_TO_DIGIT)


def _letters(text: str) -> str:
    return text.translate(_TO_LETTER)


def _date(yymmdd: str, *, today: date, future: bool) -> str | None:
    """YYMMDD as an ISO date. A birth date is in the past (at most 100 years); an expiry
    date at most 50 years ahead of `today`, else last century."""
    if not yymmdd.isdigit():
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = 2000 + yy
    if (future and year > today.year + 50) or (not future and year > today.year):
        year -= 100
    try:
        return date(year, mm, dd).isoformat()
    except ValueError:
        return None


def _names(field: str) -> tuple[str, str]:
    """Primary and secondary identifiers: `<<` separates them, `<` separates words."""
    field = _letters(field).rstrip("<")
    surname, _, given = field.partition("<<")
    return (
        " ".join(surname.replace("<", " ").split()),
        " ".join(given.replace("<", " ").split()),
    )


def _document_number(number: str, digit: str) -> str:
    """The number as read, or an O/0 spelling of it that passes its check digit."""
    if _check_ok(number, digit):
        return number
    positions = [i for i, c in enumerate(number) if c in "O0"][:_MAX_SWAPS]
    for choice in itertools.product("O0", repeat=len(positions)):
        candidate = list(number)
        for position, ch in zip(positions, choice, strict=True):
            candidate[position] = ch
        spelling = "".join(candidate)
        if _check_ok(spelling, digit):
            return spelling
    return number


def parse_td3(line1: str, line2: str, today: date) -> MRZ:
    """Two lines of 44 (9303-4, 4.2.2): names on the first, numbers on the second."""
    l1, l2 = line1.ljust(TD3_LENGTH, "<")[:TD3_LENGTH], line2.ljust(TD3_LENGTH, "<")[:TD3_LENGTH]
    document_type = _letters(l1[0:2])
    issuing = _letters(l1[2:5])
    surname, given = _names(l1[5:])
    digit_number = _digits(l2[9])
    number = _document_number(l2[0:9], digit_number)
    nationality = _letters(l2[10:13])
    birth, digit_birth = _digits(l2[13:19]), _digits(l2[19])
    sex = {"M": "M", "F": "F"}.get(l2[20], "X")
    expiry, digit_expiry = _digits(l2[21:27]), _digits(l2[27])
    personal, digit_personal = l2[28:42], _digits(l2[42]) if l2[42] != "<" else "<"
    digit_composite = _digits(l2[43])
    composite = number + digit_number + birth + digit_birth + expiry + digit_expiry
    composite += personal + digit_personal
    checks = {
        "document_number": _check_ok(number, digit_number),
        "birth_date": _check_ok(birth, digit_birth),
        "expiry_date": _check_ok(expiry, digit_expiry),
        "personal_number": _check_ok(personal, digit_personal, optional=True),
        "composite": _check_ok(composite, digit_composite),
    }
    return MRZ(
        format="TD3",
        document_type=document_type.rstrip("<"),
        issuing_country=issuing.rstrip("<"),
        surname=surname,
        given_names=given,
        document_number=number.rstrip("<"),
        nationality=nationality.rstrip("<"),
        birth_date=_date(birth, today=today, future=False),
        sex=sex,
        expiry_date=_date(expiry, today=today, future=True),
        check_digits_valid=all(checks.values()),
        failed_checks=tuple(k for k, ok in checks.items() if not ok),
    )


def parse_td1(line1: str, line2: str, line3: str, today: date) -> MRZ:
    """Three lines of 30 (9303-5, 4.2.2): number, then dates, then names."""
    l1, l2, l3 = (x.ljust(TD1_LENGTH, "<")[:TD1_LENGTH] for x in (line1, line2, line3))
    document_type = _letters(l1[0:2])
    issuing = _letters(l1[2:5])
    digit_number = _digits(l1[14])
    number = _document_number(l1[5:14], digit_number)
    optional1 = l1[15:30]
    birth, digit_birth = _digits(l2[0:6]), _digits(l2[6])
    sex = {"M": "M", "F": "F"}.get(l2[7], "X")
    expiry, digit_expiry = _digits(l2[8:14]), _digits(l2[14])
    nationality = _letters(l2[15:18])
    optional2 = l2[18:29]
    digit_composite = _digits(l2[29])
    composite = number + digit_number + optional1 + birth + digit_birth
    composite += expiry + digit_expiry + optional2
    surname, given = _names(l3)
    checks = {
        "document_number": _check_ok(number, digit_number),
        "birth_date": _check_ok(birth, digit_birth),
        "expiry_date": _check_ok(expiry, digit_expiry),
        "composite": _check_ok(composite, digit_composite),
    }
    return MRZ(
        format="TD1",
        document_type=document_type.rstrip("<"),
        issuing_country=issuing.rstrip("<"),
        surname=surname,
        given_names=given,
        document_number=number.rstrip("<"),
        nationality=nationality.rstrip("<"),
        birth_date=_date(birth, today=today, future=False),
        sex=sex,
        expiry_date=_date(expiry, today=today, future=True),
        check_digits_valid=all(checks.values()),
        failed_checks=tuple(k for k, ok in checks.items() if not ok),
    )


# OCR miscounts runs of fillers (`<<<<` read as one more or one fewer) and now and then
# reads a stray character into one: a line up to this many characters too long or too
# short is refitted (below).
_MAX_REFIT = 2


def _refits(line: str, length: int) -> list[str]:
    """Spellings of an OCR'd line at exactly `length` characters, most likely first.

    Too long by k (k <= _MAX_REFIT): k characters deleted, fillers and characters beside
    fillers first. Too short by k: k fillers inserted beside fillers. The caller keeps
    the first spelling whose check digits all hold, so a refit cannot make an invalid
    zone valid by chance more than a check digit can (1 in 10 per check, 5 checks).
    """
    difference = len(line) - length
    if difference == 0:
        return [line]
    if abs(difference) > _MAX_REFIT:
        return [line.ljust(length, "<")[:length]]
    near_filler = [
        i
        for i, ch in enumerate(line)
        if ch == "<" or (i > 0 and line[i - 1] == "<") or (i + 1 < len(line) and line[i + 1] == "<")
    ]
    spellings: list[str] = []
    if difference > 0:
        for drop in itertools.combinations(near_filler, difference):
            spellings.append("".join(ch for i, ch in enumerate(line) if i not in drop))
    else:
        for add in itertools.combinations_with_replacement(near_filler, -difference):
            chars = list(line)
            for position in sorted(add, reverse=True):
                chars.insert(position, "<")
            spellings.append("".join(chars))
    spellings.append(line.ljust(length, "<")[:length])
    return list(dict.fromkeys(spellings))


def _best(candidates: list[MRZ]) -> MRZ:
    return next((zone for zone in candidates if zone.check_digits_valid), candidates[-1])


def _td3(first: str, second: str, today: date) -> MRZ:
    line1 = first.ljust(TD3_LENGTH, "<")[:TD3_LENGTH]  # names end in fillers: pad or cut
    return _best([parse_td3(line1, line2, today) for line2 in _refits(second, TD3_LENGTH)])


def _td1(first: str, second: str, third: str, today: date) -> MRZ:
    return _best(
        [
            parse_td1(line1, line2, third, today)
            for line1 in _refits(first, TD1_LENGTH)
            for line2 in _refits(second, TD1_LENGTH)
        ]
    )


def find_mrz(text: str, today: date | None = None) -> MRZ | None:
    """The first MRZ in OCR text, or None.

    TD3: a line starting with P (or V, a visa) holding `<<`, followed by one of 44
    characters give or take _MAX_REFIT. TD1: three lines of about 30, the first starting
    with I, A or C, the third holding `<<`. Lines are cleaned (`clean_line`) first;
    ordinary text (lower case, punctuation) rarely survives that at these lengths.
    """
    today = today or date.today()
    lines = [clean_line(x) for x in text.splitlines()]
    lines = [x for x in lines if len(x) >= TD1_LENGTH - _MAX_REFIT]
    for first, second in itertools.pairwise(lines):
        if (
            first[0] in "PV"
            and "<<" in first
            and len(first) >= TD1_LENGTH + 5
            and abs(len(second) - TD3_LENGTH) <= _MAX_REFIT
        ):
            return _td3(first, second, today)
    for first, second, third in zip(lines, lines[1:], lines[2:], strict=False):
        if (
            all(abs(len(x) - TD1_LENGTH) <= _MAX_REFIT for x in (first, second))
            and first[0] in "IAC"
            and "<<" in third
        ):
            return _td1(first, second, third, today)
    return None


def document_expired(expiry: str | date | None, today: date) -> bool:
    """Whether a document whose validity ends on `expiry` has expired on `today`.

    The document is valid through its expiry date (9303-3: "date of expiry"), so it is
    expired from the day after. An unreadable date is not called expired.
    """
    if expiry is None:
        return False
    if isinstance(expiry, str):
        try:
            expiry = date.fromisoformat(expiry)
        except ValueError:
            return False
    return expiry < today
