"""What a ticket must provide: the rules of materials.md as pure data and functions.

Nothing here imports Flask, so the whole matrix is tested in microseconds.
"""

from .facts import FACT_KEYS, TICKET_TYPES, Facts, FactsError, parse_facts
from .materials import DOCUMENT_KEYS, INFORMATION_KEYS, MATERIALS, Material
from .nodes import AllOf, AnyOf, Evaluation, Need, Node, evaluate, needs, node_json
from .rules import RULES, Resolution, Rule, authorization_letter_check, resolve

__all__ = [
    "DOCUMENT_KEYS",
    "FACT_KEYS",
    "INFORMATION_KEYS",
    "MATERIALS",
    "RULES",
    "TICKET_TYPES",
    "AllOf",
    "AnyOf",
    "Evaluation",
    "Facts",
    "FactsError",
    "Material",
    "Need",
    "Node",
    "Resolution",
    "Rule",
    "authorization_letter_check",
    "evaluate",
    "needs",
    "node_json",
    "parse_facts",
    "resolve",
]
