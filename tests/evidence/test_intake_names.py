"""The extension is read from the cleaned name (security.md "Accepting a file"; hunt README:
"passport.jpg " and "passport.jpg" + U+200E were refused with a message that contradicted
itself; an old browser's Windows path was kept as one run-together name)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.evidence import shapes
from triage.evidence.checks import ALLOWED_EXTENSIONS, FileRefused, check_upload
from triage.evidence.names import (
    INVISIBLE_MARKS,
    clean_name,
    extension_of,
    is_invisible,
    sanitise_filename,
)

JPEG = shapes.jpeg()
MARKS = sorted(INVISIBLE_MARKS)


@pytest.mark.parametrize(
    "tail",
    [
        " ",
        "  ",
        ".",
        "..",
        ". .",
        "\u00a0",
        "\u3000",
        *MARKS,
        "\u200e ",
        " \u200b.",
        "\ufeff\u2060",
    ],
)
def test_trailing_spaces_dots_and_invisible_marks_do_not_change_the_extension(tail: str) -> None:
    checked = check_upload(f"passport.jpg{tail}", JPEG)
    assert (checked.extension, checked.filename) == ("jpg", "passport.jpg")


@pytest.mark.parametrize("mark", MARKS)
def test_invisible_marks_inside_a_name_are_removed(mark: str) -> None:
    assert sanitise_filename(f"pass{mark}port.j{mark}pg") == "passport.jpg"
    assert extension_of(f"passport.{mark}jpg") == "jpg"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\ana\\Desktop\\passport.jpg", "passport.jpg"),
        ("C:\\Users\\ana\\My Pictures\\passport.jpg ", "passport.jpg"),
        ("\\\\server\\share\\scans\\passport.jpg", "passport.jpg"),
        ("/home/ana/Pictures/passport.jpg", "passport.jpg"),
        ("D:/mixed\\separators/passport.jpg", "passport.jpg"),
    ],
)
def test_a_full_path_keeps_only_its_last_part(sent: str, kept: str) -> None:
    assert check_upload(sent, JPEG).filename == kept
    assert clean_name(sent) == kept


def test_full_width_extension_letters_compare_as_ascii() -> None:
    assert check_upload("passport.\uff4a\uff50\uff47", JPEG).extension == "jpg"


@pytest.mark.parametrize("name", ["passport.exe\u200e", "passport.jpg.exe ", "passport.exe."])
def test_a_cleaned_name_with_another_extension_is_still_refused(name: str) -> None:
    with pytest.raises(FileRefused) as caught:
        check_upload(name, JPEG)
    assert caught.value.message.startswith("“passport")
    assert "is a .exe file" in caught.value.message


# Breaker B6/B7: format characters (Cf), a variation selector, a tag character, Hangul
# fillers, a combining accent and full-width letters and dot, after or inside an extension.
HIDDEN_AFTER = ["\u00ad", "\u180e", "\u3164", "\ufe0f", "\U000e0020", "\u0301", "\uffa0"]
ALPHABET = st.sampled_from(
    [
        *"abcJPGPNGpdfdocx.",
        " ",
        "\u00a0",
        "/",
        "\\",
        *MARKS,
        *HIDDEN_AFTER,
        "\uff4a",
        "\uff41",
        "\uff0e",
        "\uff50",
        "\uff44",
        "\uff46",
        "\u034f",
    ]
)


def _looks_like(extension: str) -> str:
    """What a reader sees: no invisible characters, plain letters, lower case."""
    visible = "".join(char for char in extension if not is_invisible(char))
    plain = unicodedata.normalize("NFKD", visible)
    return "".join(char for char in plain if not unicodedata.combining(char)).lower()


@pytest.mark.parametrize("tail", HIDDEN_AFTER)
def test_invisible_characters_and_accents_after_the_extension_are_not_part_of_it(tail) -> None:
    checked = check_upload(f"passport.jpg{tail}", JPEG)
    assert (checked.extension, checked.filename) == ("jpg", "passport.jpg")


def test_a_full_width_dot_and_letters_read_as_pdf() -> None:
    # Full-width dot and letters (U+FF0E, U+FF50...): a PDF name, so a JPEG under it is a
    # type mismatch, not "has no file extension".
    assert extension_of("passport\uff0e\uff50\uff44\uff46") == "pdf"
    with pytest.raises(FileRefused) as caught:
        check_upload("passport\uff0e\uff50\uff44\uff46", JPEG)
    assert caught.value.code == "file_type_mismatch"
    assert caught.value.message.startswith("“passport.pdf” is a JPEG image")


@settings(max_examples=600, deadline=None)
@given(st.text(ALPHABET, max_size=24))
def test_a_refusal_never_contradicts_itself(name: str) -> None:
    try:
        check_upload(name, JPEG)
    except FileRefused as refusal:
        named = re.search(r"is a \.(\S+) file, which we cannot accept", refusal.message)
        if named:
            assert named.group(1).lower() not in ALLOWED_EXTENSIONS, refusal.message
            assert _looks_like(named.group(1)) not in ALLOWED_EXTENSIONS, refusal.message
        # A name that is refused for its extension never shows an allowed one.
        shown = re.match(r"“(.*)” is a \.", refusal.message)
        if shown:
            shown_extension = shown.group(1).rpartition(".")[2]
            assert _looks_like(shown_extension) not in ALLOWED_EXTENSIONS, refusal.message
    else:
        assert extension_of(name) in ("jpg", "jpeg")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\ana\\Desktop\\passport.jpg", "passport.jpg"),
        ("\\\\server\\share\\scans\\passport.jpg", "passport.jpg"),
        ("passport.jpg", "passport.jpg"),
        ("Ana%22s passport.jpg", 'Ana"s passport.jpg'),
    ],
)
def test_a_windows_path_survives_multipart_parsing(sent: str, kept: str) -> None:
    # Werkzeug 3 reads the quoted name as an RFC 9110 quoted-string and drops backslashes;
    # old browsers send the full path unescaped.
    from werkzeug.http import parse_options_header

    from triage.evidence.names import multipart_filename

    header = f'form-data; name="file"; filename="{sent}"'
    parsed = parse_options_header(header)[1]["filename"]
    assert sanitise_filename(multipart_filename(header, parsed)) == kept
    assert multipart_filename(None, "x.pdf") == "x.pdf"
