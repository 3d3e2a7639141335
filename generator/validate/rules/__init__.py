"""NIM policy rules: each has a stable id, a name, a one-line rationale and a check.

A check takes one object and the `Context` of the whole input set and yields `(path, message)`
pairs; the engine turns them into findings tagged with the rule id. `docs/rules.md` lists the
same ids and rationales (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from generator.errors import UsageError
from generator.validate.rules.base import Context, Rule

__all__ = ["BY_ID", "NULL_RULE", "RULES", "Context", "Rule", "resolve_skips", "run_rules"]

def _all_rules() -> tuple[Rule, ...]:
    from generator.validate.rules import kserve, nim_operator, objects, secrets

    return (*secrets.RULES, *kserve.RULES, *objects.RULES, *nim_operator.RULES)


RULES: tuple[Rule, ...] = tuple(sorted(_all_rules(), key=lambda rule: rule.id))
BY_ID = {rule.id: rule for rule in RULES}
NULL_RULE = "NIM010"


def resolve_skips(names: Iterable[str]) -> frozenset[str]:
    """Rule ids from ids or names given to `--skip`; anything unknown is a usage error."""
    by_name = {rule.name: rule.id for rule in RULES}
    out = set()
    for raw in names:
        for name in filter(None, (n.strip() for n in raw.split(","))):
            if name.upper() in BY_ID:
                out.add(name.upper())
            elif name in by_name:
                out.add(by_name[name])
            else:
                known = ", ".join(f"{r.id} ({r.name})" for r in RULES)
                raise UsageError(f"--skip {name}: no such rule (known: {known})")
    return frozenset(out)


def run_rules(obj: dict[str, Any], context: Context, skip: frozenset[str]
              ) -> Iterator[tuple[str, str, str]]:
    """(rule id, path, message) for every rule that `obj` breaks."""
    for rule in RULES:
        if rule.id in skip:
            continue
        for path, message in rule.check(obj, context):
            yield rule.id, path, message
