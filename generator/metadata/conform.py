"""The metadata schema's rules, applied while `metadata generate` builds the ConfigMap.

`metadata validate` checks a file against generator/schemas/metadata.schema.json; `metadata
generate` applies the same rules to NGC's answers, model by model, so that it never writes a
file its own validate rejects, and render never puts a tag with shell metacharacters into an
image reference. What does not fit is handled per model:

- a tag the schema refuses, or one holding key-shaped text, is left out (a tag listed twice is
  written once);
- a description or display name holding key-shaped text is left out (the display name falls
  back to the model name, which the schema allows as one);
- any other field that does not fit (name, namespace, latestTag, updatedDate, ...) sets the
  model aside as a failure naming the field.

Patterns are matched whole (`re.fullmatch`): stricter than jsonschema's `re.search`, whose `$`
also matches before a final newline. Key-shaped text is never quoted in a message.

The rules are read from the schema, field by field; the rest of an entry's schema (types,
required fields, no others, at least one tag, tags unique) holds by construction of
`ModelEntry.to_json_dict` and `clean_tags`. jsonschema itself is not run per model (0.1 ms a
model, on the path of the last answers): tests/metadata/test_conform.py proves, for arbitrary
answers, that every entry conform keeps passes the schema, and fails when the schema gains a
keyword this module does not apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from generator import redact
from generator.catalog import ModelEntry
from generator.metadata.extended import Details

SCHEMA = "metadata.schema.json"
KEY_SHAPED = "holds an API key (or a key-shaped string)"
SHOWN = 40  # characters of a refused value quoted in a message
# fields checked against their own rule; tags and latestTag are checked as tags
_PLAIN_FIELDS = (("name", "name"), ("namespace", "namespace"), ("updatedDate", "updated_date"),
                 ("displayName", "display_name"), ("shortDescription", "short_description"))


@cache
def schema() -> dict[str, Any]:
    """The shipped schema of the ConfigMap (`$defs.entry` describes one value)."""
    text = resources.files("generator.schemas").joinpath(SCHEMA).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def entry_rule(field: str) -> Mapping[str, Any]:
    """The schema's rule for one field of an entry (`tags` gives the array's rule)."""
    rule: Mapping[str, Any] = schema()["$defs"]["entry"]["properties"][field]
    return rule


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def prepare() -> None:
    """Read the schema and compile every pattern in it (a run does it while it waits on NGC:
    4 ms less after the last answer)."""
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                _compiled(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema())


def fits(rule: Mapping[str, Any], value: str) -> bool:
    """`value` meets a string rule of the schema: its length bounds and its whole pattern."""
    if len(value) < rule.get("minLength", 0) or len(value) > rule.get("maxLength", len(value)):
        return False
    pattern = rule.get("pattern")
    return pattern is None or _compiled(pattern).fullmatch(value) is not None


def rule_text(rule: Mapping[str, Any]) -> str:
    """What a string rule asks for, in a few words, for a message."""
    parts = []
    if "pattern" in rule:
        parts.append(f"matching {rule['pattern']}")
    if "minLength" in rule:
        parts.append(f"at least {rule['minLength']} characters")
    if "maxLength" in rule:
        parts.append(f"at most {rule['maxLength']} characters")
    return ", ".join(parts) or "a string"


def shown(value: str) -> str:
    """`value` quoted for a message, cut to SHOWN characters (never key-shaped text)."""
    if redact.find_key(value):
        return "(key-shaped text)"
    return repr(value[:SHOWN] + ("..." if len(value) > SHOWN else ""))


def namespace_problem(namespace: str) -> str | None:
    """Why `--namespace` cannot be the ConfigMap's `metadata.namespace`, or None."""
    if redact.find_key(namespace):
        return KEY_SHAPED
    rule = schema()["properties"]["metadata"]["properties"]["namespace"]
    if fits(rule, namespace):
        return None
    return (f"{shown(namespace)} is not a valid namespace (a DNS label: lower-case letters, "
            f"digits and '-', {rule_text(rule)})")


def tag_problem(tag: str) -> str | None:
    """Why `tag` cannot be written (schema or key-shaped text), or None."""
    if redact.find_key(tag):
        return f"a tag {KEY_SHAPED}"
    rule = entry_rule("tags")["items"]
    return None if fits(rule, tag) else f"tag {shown(tag)} is not a valid image tag " \
        f"({rule_text(rule)})"


def clean_tags(tags: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """The tags that may be written, in order and each once, and what was left out."""
    kept: list[str] = []
    notes: list[str] = []
    for tag in tags:
        problem = tag_problem(tag)
        if problem:
            notes.append(f"{problem}: left out")
        elif tag in kept:
            notes.append(f"tag {shown(tag)} is listed twice: written once")
        else:
            kept.append(tag)
    return tuple(kept), notes


def without_key_text(entry: ModelEntry) -> tuple[ModelEntry, list[str]]:
    """`entry` with free text that holds key-shaped text left out, and notes saying so."""
    notes = []
    if redact.find_key(entry.short_description):
        entry = replace(entry, short_description="")
        notes.append(f"shortDescription {KEY_SHAPED}: left out (written empty)")
    if redact.find_key(entry.display_name):
        entry = replace(entry, display_name=entry.name)
        notes.append(f"displayName {KEY_SHAPED}: the model name written instead")
    return entry, notes


def field_problem(entry: ModelEntry) -> str | None:
    """Why a field other than the tags sets the model aside, or None."""
    for field, attr in _PLAIN_FIELDS:
        value: str = getattr(entry, attr)
        if redact.find_key(value):
            return f"{field} {KEY_SHAPED}"
        rule = entry_rule(field)
        if not fits(rule, value):
            return f"{field} {shown(value)} does not fit the metadata schema ({rule_text(rule)})"
    return None


def latest_problem(latest: str, kept: tuple[str, ...]) -> str | None:
    """Why `latestTag` sets the model aside (not among the tags that may be written), or None."""
    if latest in kept and fits(entry_rule("latestTag"), latest):
        return None
    if redact.find_key(latest):
        return f"latestTag {KEY_SHAPED}"
    return (f"latestTag {shown(latest)} is not a valid image tag "
            f"({rule_text(entry_rule('latestTag'))})")


@dataclass(frozen=True)
class Conformed:
    """One model after the schema's rules: the entry to write (None: set aside and why)."""

    entry: ModelEntry | None
    notes: tuple[str, ...] = ()
    problem: str | None = None


def conform_entry(entry: ModelEntry) -> Conformed:
    """`entry` as the schema allows it: bad tags and key-shaped free text left out (notes),
    or None with the reason when a field that cannot be left out does not fit."""
    entry, notes = without_key_text(entry)
    tags, tag_notes = clean_tags(entry.tags)
    problem = field_problem(entry) or latest_problem(entry.latest_tag, tags)
    if problem is not None:
        return Conformed(None, problem=problem)
    return Conformed(replace(entry, tags=tags), (*notes, *tag_notes))


def details_problem(details: Details) -> str | None:
    """Why a model's extended details cannot go into the side file, or None."""
    text = json.dumps(details.to_json_dict(), ensure_ascii=False)
    return f"its extended details {KEY_SHAPED}: left out of the side file" \
        if redact.find_key(text) else None
