"""Reasons a reviewer may give for rejecting a file, with the words the customer reads."""

REASONS: dict[str, str] = {
    "blurry": "The image is blurry: take a new photo in good light and hold the camera still.",
    "glare": "Glare or reflections hide part of the document: photograph it flat, away from "
    "direct light.",
    "cropped": "Part of the document is cut off: show all four edges.",
    "details_mismatch": "The details do not match the account or your other documents exactly "
    "(spelling, spaces, numbers).",
    "wrong_document": "This is not the document we asked for (for example an ID card instead "
    "of a passport).",
    "expired": "The document has expired: send one that is currently valid.",
    "unmasked_card_number": "The full card number is visible: cover all but the first 6 and "
    "last 4 digits, then send it again.",
    "missing_seal_or_signature": "The letter is missing the official seal or the signature.",
    "incomplete_period": "The records do not cover the whole period asked for.",
    "other": "See the reviewer's note.",
}
