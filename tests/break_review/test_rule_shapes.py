"""Every rule shape of the requirements engine, declared and as an account record's
stricter list: 'Ask for more' pre-ticks a rejected item iff, with every OTHER material of
the list(s) accepted, a list stays unmet without it (an independent subset walk), and
'Not approvable yet' names exactly the engine's `missing`, once each, with no empty group."""

from __future__ import annotations

import itertools
import random

from triage.requirements import INFORMATION_KEYS, MATERIALS, Facts, evaluate, needs, resolve
from triage.review.operations.decisions import materials_to_ask_again, record_materials_to_ask
from triage.review.serialize import still_to_accept
from triage.tickets.checklist import ChecklistItem, RecordCheck, TicketState


def all_facts():
    for t in ("account_change", "unfreeze"):
        for at in ("individual", "enterprise"):
            for card in (True, False):
                if t == "unfreeze":
                    yield Facts(t, at, card)
                    continue
                for ct in ("direct", "reseller", "partner"):
                    for rn in ("completed", "not_completed"):
                        for pay in (True, False):
                            yield Facts(t, at, card, ct, rn, pay)


def mats(tree):
    return list(dict.fromkeys(n.material for n in needs(tree))) if tree else []


_ORACLE: dict[tuple[str, str], bool] = {}


def indispensable_oracle(key, tree):
    # The walk is exponential in the list's materials and the same lists come back for
    # every record paired with them: remember each answer (trees hold dicts, so by repr).
    memo = (key, repr(tree))
    if memo not in _ORACLE:
        _ORACLE[memo] = _indispensable(key, tree)
    return _ORACLE[memo]


def _indispensable(key, tree):
    ms = mats(tree)
    if key not in ms:
        return False
    for r in range(len(ms) + 1):
        for sub in itertools.combinations(ms, r):
            if key not in sub and evaluate(tree, set(sub)).satisfied:
                return False
    return True


def line_keys(line):
    if line.key:
        return [line.key]
    if line.together:
        return list(line.together)
    return [k for o in line.options for k in line_keys(o)]


def check_lines(lines, where):
    for line in lines:
        if not line.key and not line.together:
            assert line.options, ("empty group", where)
            assert line.more >= 1 and line.of == len(line.options) and line.more <= line.of, (
                "bad counts",
                line,
                where,
            )
            check_lines(line.options, where)


def state_for(declared, record_facts, statuses):
    res = resolve(declared)
    keys = mats(res.requirement)
    extra = [k for k, s in statuses.items() if k not in keys and s != "missing"]
    opt = {n.material for n in needs(res.requirement) if n.optional} if res.requirement else set()
    items = [
        ChecklistItem(
            k,
            MATERIALS[k].kind,
            MATERIALS[k].label,
            "",
            statuses.get(k, "missing"),
            k in opt,
            k in keys,
        )
        for k in dict.fromkeys([*keys, *extra])
    ]
    have = {k for k, s in statuses.items() if s == "accepted"} | {
        k for k, s in statuses.items() if s == "provided" and k in INFORMATION_KEYS
    }
    approval = evaluate(res.requirement, have) if res.requirement else None
    check = None
    if record_facts is not None:
        rres = resolve(record_facts)
        rappr = evaluate(rres.requirement, have) if rres.requirement else None
        check = RecordCheck(
            "mismatch",
            None,
            None,
            [{}],
            (),
            rres,
            rappr,
            list(rappr.missing) if rappr else ([] if have - INFORMATION_KEYS else ["evidence"]),
        )
    return TicketState(res, items, None, approval, False, [], False, [], [], check)


def test_every_rule_shape_pre_ticks_and_lists_what_the_engine_says():
    rng = random.Random(8)
    facts = list(all_facts())
    problems = []
    for declared in facts:
        for record in [None, *[f for f in facts if f.type == declared.type and f != declared]]:
            trees = [resolve(declared).requirement, resolve(record).requirement if record else None]
            trees = [t for t in trees if t]
            universe = list(dict.fromkeys(m for t in trees for m in mats(t)))
            for _ in range(2):
                statuses = {
                    k: rng.choice(["provided", "missing"])
                    if k in INFORMATION_KEYS
                    else rng.choice(["accepted", "rejected", "missing", "provided"])
                    for k in universe
                }
                st = state_for(declared, record, statuses)
                want = [
                    i.key
                    for i in st.items
                    if i.status == "rejected" and any(indispensable_oracle(i.key, t) for t in trees)
                ]
                if materials_to_ask_again(st) != want:
                    problems.append(("ask", declared, record, statuses))
                check = st.record_check
                if check and check.resolution.requirement:
                    tree = check.resolution.requirement
                    rwant = [k for k in check.missing if indispensable_oracle(k, tree)]
                    if record_materials_to_ask(st) != rwant:
                        problems.append(("record ask", declared, record, statuses))
                for ev in (st.approval, check.approval if check else None):
                    lines = still_to_accept(st, ev)
                    keys = [k for line in lines for k in line_keys(line)]
                    expected = set(ev.missing) if ev and not ev.satisfied else set()
                    try:
                        check_lines(lines, declared)
                        assert len(keys) == len(set(keys)) and set(keys) == expected
                    except AssertionError:
                        problems.append(("todo", declared, record, statuses))
    assert problems == []
