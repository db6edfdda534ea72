"""The upload policy, defined once: the size of one file, the accepted extensions and the
per-ticket caps (api.md "Upload rules", security.md "Accepting a file", README).

Pure module (no Flask). Everything else reads these names: the intake checks
(`triage.evidence.checks`), the app's configuration (`config`), the forms' `accept`
attribute, the pages' words ("up to 5 MB each") and the upload script, which receives
`UploadPolicy.to_json()` through the upload form's `data-` attributes and
`GET /api/v1/vocabulary`. The per-ticket caps are deployment settings
(`TICKET_MAX_FILES`, `TICKET_MAX_BYTES`); the values here are their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_FILE_BYTES: int = 5 * 1024 * 1024
# In the order the `accept` attribute and the customer's sentences list them.
EXTENSIONS: tuple[str, ...] = ("doc", "docx", "jpg", "jpeg", "png", "pdf", "odt")
ALLOWED_EXTENSIONS: frozenset[str] = frozenset(EXTENSIONS)
# The extensions a browser can show as a thumbnail before sending.
IMAGE_EXTENSIONS: tuple[str, ...] = ("jpg", "jpeg", "png")
ACCEPT_ATTRIBUTE: str = ",".join(f".{extension}" for extension in EXTENSIONS)
TICKET_MAX_FILES: int = 40
TICKET_MAX_BYTES: int = 100 * 1024 * 1024


def format_size(size: int) -> str:
    """A byte count as the customer reads it: "5 MB", "1.5 MB", "12 KB", "7 bytes"."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def extension_words(extensions: tuple[str, ...] = EXTENSIONS) -> str:
    """The extensions as a sentence lists them: ".doc, .docx, … or .odt"."""
    dotted = [f".{extension}" for extension in extensions]
    return ", ".join(dotted[:-1]) + f" or {dotted[-1]}" if len(dotted) > 1 else "".join(dotted)


@dataclass(frozen=True)
class UploadPolicy:
    """The rules one deployment applies to uploads, as pages and scripts are told them."""

    max_file_bytes: int = MAX_FILE_BYTES
    extensions: tuple[str, ...] = EXTENSIONS
    image_extensions: tuple[str, ...] = IMAGE_EXTENSIONS
    ticket_max_files: int = TICKET_MAX_FILES
    ticket_max_bytes: int = TICKET_MAX_BYTES

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> UploadPolicy:
        """The policy of an app, from its configuration (the caps may be set per deployment)."""
        return cls(
            max_file_bytes=config.get("MAX_FILE_BYTES", MAX_FILE_BYTES),
            ticket_max_files=config.get("TICKET_MAX_FILES", TICKET_MAX_FILES),
            ticket_max_bytes=config.get("TICKET_MAX_BYTES", TICKET_MAX_BYTES),
        )

    @property
    def accept(self) -> str:
        """The file input's `accept` attribute."""
        return ",".join(f".{extension}" for extension in self.extensions)

    @property
    def max_file_words(self) -> str:
        """ "5 MB": the limit for one file, as the pages say it."""
        return format_size(self.max_file_bytes)

    @property
    def extension_words(self) -> str:
        """ ".doc, .docx, … or .odt": the accepted extensions, as the pages say them."""
        return extension_words(self.extensions)

    def to_json(self) -> dict[str, Any]:
        """The policy for scripts and API clients (`data-` attributes, the vocabulary)."""
        return {
            "max_file_bytes": self.max_file_bytes,
            "max_file_words": self.max_file_words,
            "extensions": list(self.extensions),
            "extension_words": self.extension_words,
            "image_extensions": list(self.image_extensions),
            "accept": self.accept,
            "ticket_max_files": self.ticket_max_files,
            "ticket_max_bytes": self.ticket_max_bytes,
        }

    def data_attributes(self) -> dict[str, str]:
        """The upload form's `data-` attributes, read by static/js/upload.js."""
        return {
            "data-max-bytes": str(self.max_file_bytes),
            "data-max-words": self.max_file_words,
            "data-extensions": " ".join(self.extensions),
            "data-extension-words": self.extension_words,
            "data-image-extensions": " ".join(self.image_extensions),
        }
