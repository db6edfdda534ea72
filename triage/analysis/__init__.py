"""What is inside a piece of evidence: photo quality, card numbers, passports' MRZ, names.

api.md "Evidence analysis"; issue 13. Pure functions: no Flask, no database. The caller
(a background job) stores what `analyse` returns; nothing here refuses a file.

- `quality`: blurry, glare, too_dark, low_resolution (numpy + scipy.ndimage).
- `ocr`: Tesseract (eng+chi_sim) words, card numbers (Luhn) and a masked preview.
- `mrz`: ICAO 9303 machine-readable zones (TD3 passports, TD1 cards) and check digits.
- `names`: whether a typed name and a name read from a document are the same name.
- `phash`: perceptual hashes (64 bits for a photo, 4,096 bits of ink for a PDF's first
  page) and the Hamming distance between two.
- `analyse`: the one entry point, choosing what to run by the material.

Import the module you need (`from triage.analysis.analyse import analyse`): importing the
package loads nothing heavy.
"""

# What `analyse` reads (photos and PDFs), here so that callers can ask without loading the
# engine (numpy, scipy, Tesseract's wrapper): the web process never needs it.
# api.md "Evidence analysis": the finding codes, defined once. The engine gives the first
# eight; the job that stores its result adds the last two, which compare with other files.
ENGINE_FINDINGS = (
    "blurry",
    "glare",
    "too_dark",
    "low_resolution",
    "card_number_visible",
    "mrz_invalid",
    "document_expired",
    "name_mismatch",
)
FINDINGS = (*ENGINE_FINDINGS, "near_duplicate", "same_as_rejected")

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
PDF_TYPE = "application/pdf"
