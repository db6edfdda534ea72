"""Requirement evaluation per call, on the largest trees the rules produce.

`evaluate(requirement, have)` for an unfreeze ticket with a card (any two of an identity
document — itself any of passport, both ID card sides, driving licence — card front and
card transactions: the deepest tree) and a reseller that is not authenticated (the widest
all-of), each with nothing provided (every branch reports what it misses) and with a
typical partial set. The whole chain a request runs, parse_facts → resolve → evaluate,
is timed as well.

Baseline: a call of an empty function with the same two arguments, timed the same way,
so the figure can be read against the cost of any Python call on this machine.
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable

from benchmarks.report import Row, progress, times, us
from triage.requirements import evaluate, parse_facts, resolve

TARGET = 50e-6
REPEATS = 7
UNFREEZE_CARD = {"type": "unfreeze", "account_type": "individual", "card_added": "true"}
RESELLER_NOT_AUTHENTICATED = {
    "type": "account_change",
    "customer_type": "reseller",
    "real_name_auth": "not_completed",
    "account_type": "enterprise",
    "card_added": "false",
}
CASES = (
    ("unfreeze with card", UNFREEZE_CARD, frozenset()),
    ("unfreeze with card", UNFREEZE_CARD, frozenset({"id_card_front", "card_front"})),
    ("reseller, not authenticated", RESELLER_NOT_AUTHENTICATED, frozenset()),
    (
        "reseller, not authenticated",
        RESELLER_NOT_AUTHENTICATED,
        frozenset({"phone_number", "email", "enterprise_name", "partner_consent_email"}),
    ),
)


def per_call(fn: Callable[[], object], budget: float = 0.2) -> float:
    """Median seconds per call over REPEATS runs of about `budget` seconds each."""
    number, _ = timeit.Timer(fn).autorange()
    number = max(number, int(number * budget / 0.2))
    runs = timeit.Timer(fn).repeat(repeat=REPEATS, number=number)
    return statistics.median(run / number for run in runs)


def _noop(node: object, have: object) -> None:
    return None


def run() -> list[Row]:
    progress("requirement evaluation")
    rows = []
    for label, raw, have in CASES:
        requirement = resolve(parse_facts(raw)).requirement
        assert requirement is not None
        result = evaluate(requirement, have)
        assert not result.satisfied  # a real evaluation that walks every branch
        call = per_call(lambda r=requirement, h=have: evaluate(r, h))
        empty = per_call(lambda r=requirement, h=have: _noop(r, h))
        provided = f"{len(have)} provided" if have else "nothing provided"
        rows.append(
            Row(
                f"evaluate(), {label}, {provided}",
                us(call),
                f"empty call {us(empty)}",
                times(call / empty),
                f"< {us(TARGET)}",
                call < TARGET,
            )
        )
    raw, have = RESELLER_NOT_AUTHENTICATED, CASES[-1][2]
    chain = per_call(lambda: evaluate(resolve(parse_facts(raw)).requirement, have))
    empty = per_call(lambda: _noop(raw, have))
    rows.append(
        Row(
            "parse_facts → resolve → evaluate, reseller",
            us(chain),
            f"empty call {us(empty)}",
            times(chain / empty),
            f"< {us(TARGET)}",
            chain < TARGET,
        )
    )
    return rows
