"""Requirement trees: a material, all of several, or at least `min` of several.

A node may carry `when`, a condition on the ticket's facts; nodes whose condition
does not hold are pruned when a rule is resolved, so one row of the source table
stays one rule even where an item depends on the account type or a bound card.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

Condition = Mapping[str, Any]


@dataclass(frozen=True)
class Need:
    material: str
    optional: bool = False
    when: Condition = field(default_factory=dict)


@dataclass(frozen=True)
class AllOf:
    children: tuple[Node, ...]
    when: Condition = field(default_factory=dict)


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]
    min: int = 1
    when: Condition = field(default_factory=dict)


Node = Union[Need, AllOf, AnyOf]  # noqa: UP007 - a runtime alias used before the classes exist


def all_of(*children: Node, when: Condition | None = None) -> AllOf:
    return AllOf(tuple(children), when or {})


def any_of(*children: Node, min: int = 1, when: Condition | None = None) -> AnyOf:
    if not 1 <= min <= len(children):
        raise ValueError(f"any_of needs 1 <= min <= {len(children)}, got {min}")
    return AnyOf(tuple(children), min, when or {})


def need(material: str, *, optional: bool = False, when: Condition | None = None) -> Need:
    return Need(material, optional, when or {})


def holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    return all(facts.get(name) == value for name, value in condition.items())


def prune(node: Node, facts: Mapping[str, Any]) -> Node | None:
    """The node with every branch whose condition fails removed (None if it fails itself)."""
    if not holds(node.when, facts):
        return None
    if isinstance(node, Need):
        return Need(node.material, node.optional)
    kept = tuple(c for c in (prune(child, facts) for child in node.children) if c is not None)
    if isinstance(node, AllOf):
        return AllOf(kept)
    return AnyOf(kept, min(node.min, len(kept)))


def needs(node: Node) -> Iterator[Need]:
    """Every material leaf, depth first, in the order the source lists them."""
    if isinstance(node, Need):
        yield node
    else:
        for child in node.children:
            yield from needs(child)


@dataclass(frozen=True)
class Evaluation:
    node: Node
    satisfied: bool
    missing: tuple[str, ...]
    children: tuple[Evaluation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return node_json(self.node, self)


def evaluate(node: Node, have: Collection[str]) -> Evaluation:
    """Which parts of `node` the material keys in `have` satisfy, and what is still missing.

    An optional item is always satisfied. For an unsatisfied group, `missing` lists
    what its unsatisfied members still lack, so the customer sees every way to finish.
    """
    if isinstance(node, Need):
        ok = node.optional or node.material in have
        return Evaluation(node, ok, () if ok else (node.material,))
    children = tuple(evaluate(child, have) for child in node.children)
    met = sum(c.satisfied for c in children)
    ok = met == len(children) if isinstance(node, AllOf) else met >= node.min
    missing: tuple[str, ...] = ()
    if not ok:
        missing = tuple(dict.fromkeys(k for c in children if not c.satisfied for k in c.missing))
    return Evaluation(node, ok, missing, children)


def node_json(node: Node, evaluation: Evaluation | None = None) -> dict[str, Any]:
    """The api.md shape of a node, with `satisfied` on every node when evaluated."""
    out: dict[str, Any]
    if isinstance(node, Need):
        out = {"material": node.material}
        if node.optional:
            out["optional"] = True
    else:
        kids = evaluation.children if evaluation else (None,) * len(node.children)
        members = [node_json(c, e) for c, e in zip(node.children, kids, strict=True)]
        if isinstance(node, AllOf):
            out = {"all_of": members}
        else:
            out = {"any_of": members, "min": node.min}
    if evaluation is not None:
        out["satisfied"] = evaluation.satisfied
    return out
