"""Checking a metadata ConfigMap: the shipped JSON schema plus the rules a schema cannot say."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.catalog import (
    KEY_RULE,
    client_side_apply_problem,
    size_problem,
    valid_key,
)
from generator.errors import InvalidInputError
from generator.metadata.conform import schema, tag_problem

MAX_FILE_BYTES = 16 * 1024 * 1024  # what is read at all; the ConfigMap limit is size_problem's


@dataclass(frozen=True)
class Finding:
    """One problem: an error fails validation, a warning does not."""

    level: str
    source: str
    message: str
    path: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def _validators() -> tuple[Any, Any]:
    from jsonschema import Draft202012Validator

    full = schema()
    entry = {**full["$defs"]["entry"], "$schema": full["$schema"]}
    return Draft202012Validator(full), Draft202012Validator(entry)


def _path(*parts: str | int) -> str:
    return yamlio.format_path(parts)


def _entry_findings(key: str, value: str, source: str, line: int | None,
                    entry_validator: Any) -> list[Finding]:
    def err(message: str, *field: str | int) -> Finding:
        return Finding("error", source, message, _path("data", key, *field), line)

    try:
        doc = json.loads(value)
    except json.JSONDecodeError as exc:
        return [err(f"value is not JSON ({exc.msg} at line {exc.lineno})")]
    except ValueError:  # an integer of over 4,300 digits
        return [err("value holds a number too large to read")]
    except RecursionError:
        return [err("value nests too deeply")]
    found = [err(e.message, *e.absolute_path)
             for e in sorted(entry_validator.iter_errors(doc), key=lambda e: list(e.path))]
    if not isinstance(doc, dict):
        return found
    if isinstance(doc.get("name"), str) and doc["name"] != key:
        found.append(err(f"name {doc['name']!r} differs from its key {key!r}", "name"))
    tags, latest = doc.get("tags"), doc.get("latestTag")
    if isinstance(tags, list) and isinstance(latest, str) and latest not in tags:
        found.append(err(f"latestTag {latest!r} is not among the tags", "latestTag"))
    # jsonschema searches patterns, so `$` lets a final newline through ("1.0\n"); a tag
    # must match whole, as `metadata generate` checks it (conform.tag_problem)
    for index, tag in enumerate(tags if isinstance(tags, list) else []):
        if isinstance(tag, str) and not found and tag_problem(tag):
            found.append(err(str(tag_problem(tag)), "tags", index))
    return found


def validate_document(doc: Any, source: str, lines: dict[tuple[str | int, ...], int],
                      ) -> tuple[list[Finding], int]:
    """Findings for one parsed ConfigMap and the number of models it holds."""
    full_validator, entry_validator = _validators()
    found = [Finding("error", source, e.message, _path(*e.absolute_path),
                     lines.get(tuple(e.absolute_path)))
             for e in sorted(full_validator.iter_errors(doc), key=lambda e: list(e.path))
             if "propertyNames" not in e.schema_path]  # bad keys: reported below, by key
    data = doc.get("data") if isinstance(doc, dict) else None
    count = 0
    if isinstance(data, dict):
        for key, value in data.items():
            line = lines.get(("data", key))
            if not valid_key(key):
                found.append(Finding(
                    "error", source, f"key {str(key)[:80]!r} is not a valid ConfigMap key "
                    f"({KEY_RULE}): use the bare repository name", _path("data", str(key)[:80]),
                    line))
                continue
            if isinstance(value, str):
                count += 1
                found.extend(_entry_findings(key, value, source, line, entry_validator))
    problem = size_problem(doc)
    if problem:
        found.append(Finding("error", source, problem, "data", lines.get(("data",))))
        return found, count
    apply_problem = client_side_apply_problem(doc)
    if apply_problem:
        found.append(Finding("warning", source, apply_problem))
    return found, count


def validate_file(path: Path) -> tuple[list[Finding], int]:
    """Findings for one file (parse errors included) and its model count."""
    source = str(path)
    try:
        text = yamlio.read_text(path, max_bytes=MAX_FILE_BYTES)
        doc, lines = yamlio.load_with_lines(text, source)
    except InvalidInputError as exc:
        return [Finding("error", source, exc.message, exc.path or "", exc.line)], 0
    if doc is None:
        return [Finding("error", source, "the file is empty")], 0
    return validate_document(doc, source, lines)
