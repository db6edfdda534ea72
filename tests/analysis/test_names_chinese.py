"""Chinese names typed in Han characters against a passport's MRZ (api.md `name_mismatch`):
compared through their toneless pinyin, Simplified and Traditional alike, in any order of
surname and given names, without losing the mismatch of a different name."""

from __future__ import annotations

import pytest

from triage.analysis.names import names_match, nearly_match, pinyin_spellings

# (typed by the customer, read from the MRZ's name field)
SAME = [
    ("张伟", "ZHANG<<WEI"),
    ("張偉", "ZHANG<<WEI"),  # Traditional characters
    ("ZHANG Wei", "ZHANG<<WEI"),
    ("Zhang-Wei", "ZHANG<<WEI"),
    ("张伟", "WEI ZHANG"),  # given name first, as `Mrz.name` puts it
    ("张伟", "ZHANGWEI"),
    ("张 伟", "ZHANG<<WEI"),  # a space between surname and given name
    ("张\u3000伟", "ZHANG<<WEI"),  # an ideographic space
    ("李娜", "LI<<NA"),
    ("王小明", "WANG<<XIAOMING"),  # a two-character given name, one word in the MRZ
    ("欧阳娜娜", "OUYANG<<NANA"),  # a compound surname
    ("司马相如", "SIMA<<XIANGRU"),
    # Surnames whose reading is not the character's common one (heteronyms).
    ("曾小明", "ZENG<<XIAOMING"),
    ("单田芳", "SHAN<<TIANFANG"),
    ("区家明", "OU<<JIAMING"),
    ("仇英", "QIU<<YING"),
    ("解缙", "XIE<<JIN"),
    ("朴正", "PIAO<<ZHENG"),
    ("查良镛", "ZHA<<LIANGYONG"),
    # ü: YU on Chinese passports, U or V on older ones.
    ("吕布", "LYU<<BU"),
    ("吕布", "LU<<BU"),
    ("吕布", "LV<<BU"),
    ("女娲", "NYU<<WA"),
    # Full-width Latin letters typed on a Chinese keyboard.
    ("ＺＨＡＮＧ　Ｗｅｉ", "ZHANG<<WEI"),  # noqa: RUF001 - full-width on purpose
]

DIFFERENT = [
    ("张伟", "LI<<NA"),  # another name entirely
    ("李娜", "ZHANG<<WEI"),
    ("张伟", "ZHANG<<WEN"),  # the given name differs
    ("张伟", "ZHANG<<WEIMING"),  # a character missing
    ("张伟明", "ZHANG<<WEI"),  # a character too many
    ("王伟", "ZHANG<<WEI"),  # the surname differs
    ("张伟", "ZHANG"),
    ("张伟", ""),
    ("张Wei", "ZHANG<<WEI"),  # mixed scripts: compared as written, as before
    ("山田たろう", "YAMADA<<TARO"),  # kana has no pinyin
    ("김민준", "KIM<<MINJUN"),  # nor hangul
]


@pytest.mark.parametrize(("typed", "read"), SAME)
def test_the_same_chinese_name(typed: str, read: str) -> None:
    assert names_match(typed, read)
    assert names_match(read, typed)  # whichever side is the document


@pytest.mark.parametrize(("typed", "read"), DIFFERENT)
def test_a_different_chinese_name_still_mismatches(typed: str, read: str) -> None:
    assert not names_match(typed, read)
    assert not names_match(read, typed)


def test_two_han_names_are_compared_as_characters() -> None:
    # Through pinyin these would be one name (zhang wei): characters decide between them.
    assert not names_match("张伟", "章玮")
    assert not names_match("张三", "张四")
    assert names_match("张伟", "张 伟")


def test_one_letter_apart_in_pinyin_is_nearly_the_same() -> None:
    # An OCR slip in the MRZ: reported as "info", still a mismatch.
    assert not names_match("张伟", "ZHANG<<WEl")
    assert nearly_match("张伟", "ZHANG<<WEl")
    assert nearly_match("張偉", "ZHANG<<WE")
    assert not nearly_match("张伟", "LI<<NA")


def test_pinyin_spellings() -> None:
    assert pinyin_spellings("张伟") == {"zhangwei"}
    assert pinyin_spellings("張偉") == {"zhangwei"}
    assert "shantianfang" in pinyin_spellings("单田芳")  # every reading of 单
    assert "dantianfang" in pinyin_spellings("单田芳")
    assert pinyin_spellings("吕") == {"lyu", "lu", "lv"}
    # Nothing but Han characters with a reading, or nothing at all.
    assert pinyin_spellings("Zhang Wei") == set()
    assert pinyin_spellings("张Wei") == set()
    assert pinyin_spellings("たろう") == set()
    assert pinyin_spellings("") == set()
    assert pinyin_spellings("\U000f0000") == set()  # a private-use character


def test_only_the_usual_reading_and_the_surnames_count() -> None:
    # The surname (first character) is read as pypinyin reads it in the name and as a
    # surname; every other character has its usual reading only: 单 is not CHAN, 曾 in
    # the given name is not ZENG.
    assert pinyin_spellings("单曾区仇朴查解") == {"dancengquchoupuchajie", "shancengquchoupuchajie"}
    assert pinyin_spellings("尉遲恭") == {"weichigong", "yuchigong"}  # a compound surname
    assert pinyin_spellings("吕吕") == {
        a + b for a in ("lyu", "lu", "lv") for b in ("lyu", "lu", "lv")
    }
    # Rare readings of common surnames do not make another surname: 王 is not YU.
    assert not names_match("王伟", "YU<<WEI")
    assert not names_match("沈伟", "CHEN<<WEI")
    assert names_match("沈伟", "SHEN<<WEI")
