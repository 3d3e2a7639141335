"""Wording that helps: what a pattern allows, near names, counts. Pure functions, no I/O."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

# The config schema's patterns (generator/schemas/config.schema.json) in words, with an example.
PATTERNS: dict[str, str] = {
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$":
        "a Kubernetes name: lowercase letters, digits and '-', starting and ending with a "
        "letter or digit, e.g. team-a",
    "^[a-z]([-a-z0-9]*[a-z0-9])?$":
        "a Kubernetes name starting with a letter: lowercase letters, digits and '-', "
        "e.g. llama-8b",
    "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[KMGTPE]i?|[numkMGTPE])?$":
        "a Kubernetes quantity: a number with an optional unit (Ki, Mi, Gi, Ti, or k, M, G), "
        "e.g. 50Gi (not 50GB)",
    "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$":
        "a duration: numbers with units ns, us, ms, s, m or h, e.g. 1h or 90s",
    "^[0-9]+(\\.[0-9]+)?(s|m|h)$": "a duration in s, m or h, e.g. 1h",
    "^[a-zA-Z0-9./_-]+$": "letters, digits, '.', '/', '_' and '-' only",
    "^[a-zA-Z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$":
        "a registry host with an optional port and path, e.g. registry.example.com/nvcr",
    "^[-._a-zA-Z][-._a-zA-Z0-9]*$":
        "an environment variable name Kubernetes accepts: letters, digits, '_', '-' and '.', "
        "not starting with a digit, e.g. NIM_LOG_LEVEL",
    "^[-._a-zA-Z0-9]+$": "a Secret or ConfigMap key: letters, digits, '_', '-' and '.' only",
    "^[^/]": "a path relative to the claim's root (no leading '/'), e.g. llama-8b",
}

_JSON_TYPES = {bool: "true/false", int: "a number", float: "a number", list: "a list",
               dict: "a mapping", type(None): "empty (null)"}


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pattern_message(shown: str, pattern: str) -> str:
    """`"Team-A" is not ...` in words when the pattern is known, else the pattern itself."""
    words = PATTERNS.get(pattern)
    return f"{shown} is not {words}" if words else f"{shown} does not match {pattern}"


def type_message(value: Any, expected: Any, field: str | int | None,
                 written: str | None = None) -> str | None:
    """A YAML scalar that became a number or boolean where a string is expected: say quote it,
    quoting what the file says (`written`, e.g. `1.10`) rather than what YAML made of it (1.1)."""
    wanted = expected if isinstance(expected, list) else [expected]
    if "string" not in wanted or not isinstance(value, (bool, int, float)):
        return None
    shown = json.dumps(value)
    meant = written if written is not None else shown
    key = f"{field}: " if isinstance(field, str) else ""
    read = f"{written} was read as {shown}" if written not in (None, shown) else \
        f"{shown} was read as {_JSON_TYPES[type(value)]}"
    return (f"{read}, not a string: put it in quotes as you meant it, e.g. "
            f'{key}{json.dumps(meant)}')


def near_names(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """Known names that start with `name`; else contain it; else look like it (best first)."""
    names = sorted(set(known))
    lowered = name.lower()
    for found in ([n for n in names if n.lower().startswith(lowered)],
                  [n for n in names if lowered in n.lower()],
                  difflib.get_close_matches(name, names, n=limit, cutoff=0.6)):
        if found:
            return found[:limit]
    return []


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean "a" or "b"?)`, or nothing."""
    near = near_names(name, known)
    if not near:
        return ""
    quoted = [f'"{n}"' for n in near]
    choices = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return f" (did you mean {choices}?)"
