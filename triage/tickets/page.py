"""The customer's ticket page as a shape, without words: which boxes to show, which choices
are still open and what is still needed, each item once. Pure: no Flask, no database; the
template puts it into the customer's language.

A rule's "any N of these" group becomes a choice ("Choose 2 of these 3"); once the customer
has made it, the options they did not take are folded away. `todo` lists every item still
needed exactly once: a group's options under one line, a reviewer's request once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.requirements import DOCUMENT_KEYS, AllOf, AnyOf, Evaluation, Facts, Need
from triage.tickets.checklist import TicketState


@dataclass(frozen=True)
class Box:
    """One material: its upload box (a document) or its field (information)."""

    key: str
    status: str  # missing | provided | accepted | rejected | requested
    optional: bool = False
    satisfied: bool = False


@dataclass(frozen=True)
class Group:
    """At least `min` of `options`; `more` is how many the customer still has to choose."""

    min: int
    options: tuple[Option, ...]
    satisfied: bool
    more: int


@dataclass(frozen=True)
class Option:
    """One way through a group: one box, several boxes that go together, or a nested group."""

    parts: tuple[Box | Group, ...]
    satisfied: bool
    sent: bool  # something was sent for it, or a reviewer asked for it
    started: bool  # sent, or still one of the ways to finish the group

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for part in self.parts for k in _keys(part))

    @property
    def folded(self) -> bool:
        """Not needed any more: the group is met without it and nothing was sent for it."""
        return not self.started


@dataclass(frozen=True)
class TodoLine:
    """One line of "still needed": a single item, or a choice among options."""

    key: str | None = None
    status: str = "missing"
    more: int = 0  # for a choice: how many more options to complete
    of: int = 0  # for a choice: how many options are still open
    met: int = 0  # for a choice: how many options are already complete
    options: tuple[TodoLine, ...] = ()
    together: tuple[str, ...] = ()  # for an option of several items that go together


@dataclass
class Page:
    parts: list[Box | Group] = field(default_factory=list)  # the documents, in rule order
    extra: list[Box] = field(default_factory=list)  # documents outside the rule
    todo: list[TodoLine] = field(default_factory=list)


def _keys(part: Box | Group) -> tuple[str, ...]:
    if isinstance(part, Box):
        return (part.key,)
    return tuple(k for option in part.options for k in option.keys)


def build(state: TicketState) -> Page:
    """The documents part of the page and the still-needed list for `state`."""
    statuses = {item.key: item.status for item in state.items}
    page = Page()
    if state.customer is not None:
        page.parts = [p for p in _parts(state.customer, statuses) if _has_documents(p)]
        page.todo = _todo(state.customer, statuses)
    listed = {k for line in page.todo for k in _line_keys(line)}
    in_rule = {k for part in page.parts for k in _keys(part)}
    page.extra = [
        Box(i.key, i.status, satisfied=i.status in ("provided", "accepted"))
        for i in state.items
        if i.kind == "document" and i.key not in in_rule
    ]
    # A reviewer's request for something not (or no longer) on the list: listed once.
    page.todo += [
        TodoLine(i.key, "requested")
        for i in state.items
        if i.status == "requested" and i.key not in listed
    ]
    return page


def _has_documents(part: Box | Group) -> bool:
    return any(k in DOCUMENT_KEYS for k in _keys(part))


def _parts(evaluation: Evaluation, statuses: dict[str, str]) -> list[Box | Group]:
    node = evaluation.node
    if isinstance(node, Need):
        return [_box(node, evaluation, statuses)]
    if isinstance(node, AllOf):
        return [p for child in evaluation.children for p in _parts(child, statuses)]
    return [_group(node, evaluation, statuses)]


def _box(node: Need, evaluation: Evaluation, statuses: dict[str, str]) -> Box:
    return Box(
        node.material, statuses.get(node.material, "missing"), node.optional, evaluation.satisfied
    )


def _group(node: AnyOf, evaluation: Evaluation, statuses: dict[str, str]) -> Group:
    options = []
    for child in evaluation.children:
        parts = tuple(_parts(child, statuses))
        keys = [k for part in parts for k in _keys(part)]
        sent = any(statuses.get(k, "missing") != "missing" for k in keys)
        options.append(Option(parts, child.satisfied, sent, sent or not evaluation.satisfied))
    met = sum(child.satisfied for child in evaluation.children)
    return Group(node.min, tuple(options), evaluation.satisfied, max(0, node.min - met))


def _todo(evaluation: Evaluation, statuses: dict[str, str]) -> list[TodoLine]:
    if evaluation.satisfied:
        return []
    node = evaluation.node
    if isinstance(node, Need):
        return [TodoLine(node.material, statuses.get(node.material, "missing"))]
    if isinstance(node, AllOf):
        return [line for child in evaluation.children for line in _todo(child, statuses)]
    met = sum(child.satisfied for child in evaluation.children)
    open_options = tuple(
        _option_line(child, statuses) for child in evaluation.children if not child.satisfied
    )
    return [TodoLine(more=node.min - met, of=len(open_options), met=met, options=open_options)]


def _option_line(evaluation: Evaluation, statuses: dict[str, str]) -> TodoLine:
    lines = _todo(evaluation, statuses)
    if len(lines) == 1:
        return lines[0]
    # Items that go together (an ID card's two sides): one option, named by all of them.
    return TodoLine(together=tuple(k for line in lines for k in _line_keys(line)))


def _line_keys(line: TodoLine) -> tuple[str, ...]:
    if line.key:
        return (line.key,)
    if line.together:
        return line.together
    return tuple(k for option in line.options for k in _line_keys(option))


def todo_count(page: Page) -> int:
    """How many lines the still-needed list has (a choice counts once)."""
    return len(page.todo)


def hint_key(key: str, facts: Facts) -> str:
    """Which hint an item gets for these answers: "<key>" or a variant, "<key>:<variant>".

    The card holder's identity document is "the one used for real-name authentication"
    only for someone who said the account completed it.
    """
    if key == "card_holder_certificate" and facts.real_name_auth != "completed":
        return f"{key}:no_real_name"
    return key
