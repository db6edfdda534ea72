"""Where the folders the app reads at run time are: templates, static files, migrations.

In a source checkout they sit at the repository's root, beside the `triage` package; the
wheel ships them inside the package (pyproject.toml, `force-include`), so an installed app
finds them without the checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The folder `name` inside the installed package, else the one at the checkout's root."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name
