"""ICAO 9303 machine-readable zones: the specimen, its check digits, mutations, OCR slips."""

from __future__ import annotations

from datetime import date

import pytest

from tests.analysis.synthetic import SPECIMEN_TD3, mrz_td3
from triage.analysis.mrz import (
    check_digit,
    clean_line,
    document_expired,
    find_mrz,
    parse_td3,
)

TODAY = date(2026, 12, 4)
# ICAO Doc 9303 part 5's specimen identity card (TD1), same holder.
SPECIMEN_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


def test_check_digits_of_the_specimen() -> None:
    # 9303-3, 4.9: the worked examples.
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("ZE184226B<<<<<") == "1"
    assert check_digit("L898902C3674081221204159ZE184226B<<<<<1") == "0"
    assert check_digit("D23145890") == "7"


def test_the_td3_specimen() -> None:
    zone = find_mrz("\n".join(SPECIMEN_TD3), TODAY)
    assert zone is not None
    assert zone.as_dict() == {
        "document_type": "P",
        "issuing_country": "UTO",
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "document_number": "L898902C3",
        "nationality": "UTO",
        "birth_date": "1974-08-12",
        "sex": "F",
        "expiry_date": "2012-04-15",
        "check_digits_valid": True,
    }
    assert zone.name == "ANNA MARIA ERIKSSON"


def test_the_td1_specimen() -> None:
    zone = find_mrz("\n".join(SPECIMEN_TD1), TODAY)
    assert zone is not None and zone.format == "TD1"
    assert (zone.document_type, zone.document_number, zone.surname, zone.given_names) == (
        "I",
        "D23145890",
        "ERIKSSON",
        "ANNA MARIA",
    )
    assert zone.check_digits_valid
    assert (zone.birth_date, zone.expiry_date) == ("1974-08-12", "2012-04-15")


# Line 2 positions (0-based) and the check that fails when the character changes.
@pytest.mark.parametrize(
    ("position", "replacement", "failed"),
    [
        (9, "7", {"document_number", "composite"}),  # the number's check digit
        (3, "9", {"document_number", "composite"}),  # a digit of the number
        (15, "9", {"birth_date", "composite"}),  # birth month
        (19, "3", {"birth_date", "composite"}),
        (24, "5", {"expiry_date", "composite"}),
        (27, "0", {"expiry_date", "composite"}),
        (30, "X", {"personal_number", "composite"}),
        (43, "1", {"composite"}),
    ],
)
def test_a_mutated_specimen_fails_the_right_checks(
    position: int, replacement: str, failed: set[str]
) -> None:
    line2 = SPECIMEN_TD3[1]
    mutated = line2[:position] + replacement + line2[position + 1 :]
    assert mutated != line2
    zone = find_mrz(f"{SPECIMEN_TD3[0]}\n{mutated}", TODAY)
    assert zone is not None
    assert not zone.check_digits_valid
    assert set(zone.failed_checks) == failed


def test_a_mutated_td1_fails() -> None:
    line2 = SPECIMEN_TD1[1].replace("7408122", "7408132")
    zone = find_mrz("\n".join((SPECIMEN_TD1[0], line2, SPECIMEN_TD1[2])), TODAY)
    assert zone is not None and not zone.check_digits_valid
    assert "birth_date" in zone.failed_checks


def test_ocr_confusions_inside_the_mrz_are_undone() -> None:
    # Spaces, « for <, O for 0 in dates and check digits, 0 for O in codes and names.
    text = (
        "Some printed text above\n"
        "P < UT0ERIKSS0N«<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<\n"
        "L898902C36UT074O8122F12O4159ZE184226B<<<<<1O\n"
    )
    zone = find_mrz(text, TODAY)
    assert zone is not None and zone.check_digits_valid
    assert (zone.issuing_country, zone.surname, zone.given_names) == (
        "UTO",
        "ERIKSSON",
        "ANNA MARIA",
    )
    assert zone.birth_date == "1974-08-12"


def test_a_document_number_with_o_or_zero_is_spelled_as_its_check_digit_says() -> None:
    line1, line2 = mrz_td3("SILVA", "TOMAS", "C0O1234", "850315", "320101")
    assert line2.startswith("C0O1234")
    read = line2.replace("C0O1234", "COO1234")  # OCR reads both as O
    zone = find_mrz(f"{line1}\n{read}", TODAY)
    assert zone is not None and zone.check_digits_valid
    assert zone.document_number == "C0O1234"


@pytest.mark.parametrize("change", ["drop", "add", "stray"])
def test_miscounted_fillers_are_refitted(change: str) -> None:
    line1, line2 = SPECIMEN_TD3
    if change == "drop":
        line2 = line2.replace("B<<<<<10", "B<<<<10")
        line1 = line1[:-5]
    elif change == "add":
        line2 = line2.replace("B<<<<<10", "B<<<<<<10")
    else:  # OCR reads a stray character beside the fillers
        line2 = line2.replace("B<<<<<10", "B<<<<<710")
    zone = find_mrz(f"{line1}\n{line2}", TODAY)
    assert zone is not None and zone.check_digits_valid
    assert zone.document_number == "L898902C3"


def test_text_without_an_mrz() -> None:
    assert find_mrz("UTOPIA BANK statement\n2026-01-04 CLOUD SERVICES 12.00", TODAY) is None
    assert find_mrz("", TODAY) is None


def test_clean_line() -> None:
    assert clean_line("p<uto eriksson««anna") == "P<UTOERIKSSON<<ANNA"


def test_dates_and_their_century() -> None:
    line1, line2 = mrz_td3("ZHANG", "LI WEI", "C1234567", "050101", "350101")
    zone = parse_td3(line1, line2, TODAY)
    assert (zone.birth_date, zone.expiry_date) == ("2005-01-01", "2035-01-01")
    line1, line2 = mrz_td3("ZHANG", "LI WEI", "C1234567", "300101", "991231")
    zone = parse_td3(line1, line2, TODAY)
    assert zone.birth_date == "1930-01-01"  # 2030 is in the future: last century
    assert zone.expiry_date == "1999-12-31"


def test_an_impossible_date_is_none() -> None:
    line1, line2 = mrz_td3("ZHANG", "LI WEI", "C1234567", "851332", "320101")
    assert parse_td3(line1, line2, TODAY).birth_date is None


def test_document_expired() -> None:
    assert document_expired("2012-04-15", TODAY)
    assert document_expired(date(2026, 12, 3), TODAY)
    assert not document_expired(date(2026, 12, 4), TODAY)  # valid through its last day
    assert not document_expired("2031-01-01", TODAY)
    assert not document_expired(None, TODAY)
    assert not document_expired("not a date", TODAY)
