"""The message catalogs: what is extracted from where, and the commands that keep
`translations/` current (`make translations`, or `python -m triage.i18n.catalog`).

`babel.cfg` maps files to extractors. Besides `_()`/`_l()` calls, two things are extracted
without edits at their sources:

- error messages raised as `InvalidRequest("...")`, `FileRefused(code, "...")` and the
  like (the error classes are extraction keywords), translated where the error envelope is
  rendered (`triage.errorpages`); a message with values is a `Msg("“%(name)s” …", name=…)`
  (`triage.errors.Msg`, also a keyword): its template is the msgid, its values are filled
  in after translation, and a value that is itself a `Msg` is translated too;
- vocabulary tables such as the rejection reasons or the material labels: the string
  values of the module-level names `babel.cfg` lists (`extract_vocabulary`), translated
  when a page shows them (the `t` template filter).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_python
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent.parent
MAPPING = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_Hans", "es")  # English is the source language: its catalog stays empty

# Error classes whose first (or, for FileRefused, second) argument is a sentence for a person.
ERROR_KEYWORDS: dict[str, Any] = {
    name: None
    for name in (
        "TriageError",
        "InvalidRequest",
        "NotFound",
        "Unauthorized",
        "Forbidden",
        "InvalidState",
        "RequirementsNotMet",
        "UnknownMaterial",
        "RateLimited",
        "ServiceUnavailable",
        "StoreUnavailable",
        "Msg",
        # The upload checks' parts of a refusal ("“name” <problem>. <advice>").
        "StructureError",
        "PasswordProtected",
        "DamagedFile",
    )
} | {"FileRefused": (2,)}
KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    **ERROR_KEYWORDS,
}

_IDENTIFIER = re.compile(r"^[a-z0-9_.]*$")  # keys and codes ("blurry", "id_card_front")


def _fold(node: ast.AST, names: dict[str, str]) -> str | None:
    """The string an expression of literals, `+` and module-level string names makes."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left, names), _fold(node.right, names)
        if left is not None and right is not None:
            return left + right
    return None


def _strings(
    node: ast.AST, names: dict[str, str], args: set[int] | None = None
) -> Iterator[tuple[int, str]]:
    """Every maximal string expression under `node`; in calls, only the positional
    arguments `args` (the customer's words of `StatusWords(customer, reviewer, while_)`)."""
    folded = _fold(node, names)
    if folded is not None:
        if folded.strip() and not _IDENTIFIER.match(folded):
            yield node.lineno, folded  # type: ignore[attr-defined]
        return
    if isinstance(node, ast.JoinedStr):
        return  # an f-string: nothing to look up as it is written
    children: list[ast.AST] = list(ast.iter_child_nodes(node))
    if args is not None and isinstance(node, ast.Call):
        children = [a for i, a in enumerate(node.args) if i in args]
    for child in children:
        yield from _strings(child, names, args)


def whole_strings(source: bytes) -> set[str]:
    """The complete string literals of a Python source (adjacent literals joined), but not
    the literal parts of an f-string or of a `+`, which Babel's extractor reports as if they
    were whole messages."""
    tree = ast.parse(source)
    inside_fstrings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    } | {  # and of "Sentence one. " + more(): a first part is not a whole message either
        id(side)
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        for side in (node.left, node.right)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in inside_fstrings
    }


def extract_vocabulary(
    fileobj: IO[bytes], keywords: dict[str, Any], comment_tags: list[str], options: dict
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor: keyword calls as the Python extractor finds them, plus the string
    values of the module-level assignments named in the `names` option."""
    source = fileobj.read()
    whole = whole_strings(source)
    for found in extract_python(BytesIO(source), keywords, comment_tags, options):
        message = found[2][0] if isinstance(found[2], tuple) else found[2]
        if message in whole:  # not a fragment of an f-string
            yield found
    wanted = {n.strip() for n in options.get("names", "").split(",") if n.strip()}
    only = options.get("args")
    args = {int(a) for a in only.split(",")} if only else None
    tree = ast.parse(source)
    constants: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                folded = _fold(statement.value, constants)
                if folded is not None:
                    constants[target.id] = folded
                if target.id in wanted:
                    for lineno, text in _strings(statement.value, constants, args):
                        yield lineno, None, text, []


def extract() -> Catalog:
    """Every customer string of the tree, as `babel.cfg` and `KEYWORDS` find them."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    catalog = Catalog(project="evidence-triage", msgid_bugs_address="", fuzzy=False)
    whole: dict[str, set[str]] = {}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        # Vocabulary files (listed one by one, with options) filter their own results.
        if filename.endswith(".py") and filename not in options_map:
            if filename not in whole:
                whole[filename] = whole_strings((ROOT / filename).read_bytes())
            first = message[0] if isinstance(message, tuple) else message
            if first not in whole[filename]:
                continue  # a fragment of an f-string: see `fragments()`
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def fragments() -> list[tuple[str, int]]:
    """Error messages built with f-strings, which no catalog can translate as written:
    (file, line) of each, as Babel's extractor warns about them."""
    found = []
    for path in sorted((ROOT / "triage").rglob("*.py")):
        tree = ast.parse(path.read_bytes())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ERROR_KEYWORDS
                and any(isinstance(a, ast.JoinedStr | ast.BinOp) for a in node.args)
            ):
                found.append((str(path.relative_to(ROOT)), node.lineno))
    return found


def _po(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    with _po(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def update() -> None:
    """Write messages.pot and merge it into each language's .po (new strings come empty)."""
    template = extract()
    TRANSLATIONS.mkdir(exist_ok=True)
    with TEMPLATE.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=False)
    for locale in LOCALES:
        path = _po(locale)
        if path.exists():
            catalog = read_catalog(locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, project="evidence-triage")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, ignore_obsolete=True)


def compile_catalogs() -> None:
    """The .mo files Flask-Babel reads, one per language, from the .po files."""
    for locale in LOCALES:
        catalog = read_catalog(locale)
        with _po(locale).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


def main(argv: list[str]) -> int:
    """`extract` (the .pot), `update` (.pot and .po), `compile` (.mo), or all three."""
    commands = argv or ["update", "compile"]
    for command in commands:
        if command == "extract":
            with TEMPLATE.open("wb") as handle:
                write_po(handle, extract(), width=100)
        elif command == "update":
            update()
        elif command == "compile":
            compile_catalogs()
        else:
            print(f"unknown command {command!r}: extract, update or compile", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
