"""A fast yes/no check compiled from a JSON schema, in front of jsonschema.

Almost every resource is valid, and jsonschema's error-collecting walk costs most of a run.
`compile_check` turns the keywords Kubernetes and CRD schemas use into nested closures that
only answer "valid?". The answer is used in one direction only: "valid" skips jsonschema,
anything else runs jsonschema for the authoritative errors. Where in doubt a closure answers
"not valid" (for instance a float where an integer is expected), and a schema with any
keyword not handled here gets no fast check at all, so a fast "valid" is never wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]
ANNOTATIONS = frozenset({
    "description", "default", "title", "example", "examples", "format", "nullable",
    "$schema", "$id", "$comment", "$defs", "definitions", "readOnly", "writeOnly",
    "deprecated", "id",
})


class Unsupported(Exception):
    """The schema uses a keyword this module does not compile."""


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def _type_check(name: str) -> Check:
    if name == "object":
        return lambda v: isinstance(v, dict)
    if name == "array":
        return lambda v: isinstance(v, list)
    if name == "string":
        return lambda v: isinstance(v, str)
    if name == "integer":
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if name == "number":
        return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if name == "boolean":
        return lambda v: isinstance(v, bool)
    if name == "null":
        return lambda v: v is None
    raise Unsupported(f"type {name}")


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if not pointer.startswith("#/"):
            raise Unsupported(f"$ref {pointer}")
        if pointer not in self.refs:
            cell: list[Check] = []
            self.refs[pointer] = lambda v: cell[0](v)  # recursion: resolved below
            target: Any = self.root
            for part in pointer[2:].split("/"):
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported(f"$ref {pointer}")
                target = target[part]
            cell.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported("schema is not an object")
        checks: list[Check] = []
        for key, value in schema.items():
            if key in ANNOTATIONS or key.startswith("x-"):
                continue
            if key in ("properties", "additionalProperties", "patternProperties", "required",
                       "minProperties", "maxProperties"):
                continue  # handled together below
            checks.append(self._keyword(key, value, schema))
        if any(k in schema for k in ("properties", "additionalProperties", "patternProperties",
                                     "required", "minProperties", "maxProperties")):
            checks.append(self._object(schema))
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    def _keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check:
        if key == "type":
            names = value if isinstance(value, list) else [value]
            tests = [_type_check(n) for n in names]
            return tests[0] if len(tests) == 1 else (lambda v: any(t(v) for t in tests))
        if key == "enum":
            options = list(value)
            return lambda v: any(_same(v, o) for o in options)
        if key == "const":
            return lambda v: _same(v, value)
        if key == "pattern":
            rx = re.compile(value)
            return lambda v: not isinstance(v, str) or rx.search(v) is not None
        if key in ("minLength", "maxLength"):
            bound = int(value)
            if key == "minLength":
                return lambda v: not isinstance(v, str) or len(v) >= bound
            return lambda v: not isinstance(v, str) or len(v) <= bound
        if key in ("minimum", "maximum"):
            if "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
                raise Unsupported("exclusive bounds")
            limit = value

            def number(v: Any) -> bool:
                return isinstance(v, (int, float)) and not isinstance(v, bool)
            if key == "minimum":
                return lambda v: not number(v) or v >= limit
            return lambda v: not number(v) or v <= limit
        if key in ("minItems", "maxItems"):
            count = int(value)
            if key == "minItems":
                return lambda v: not isinstance(v, list) or len(v) >= count
            return lambda v: not isinstance(v, list) or len(v) <= count
        if key == "items":
            if not isinstance(value, dict):
                raise Unsupported("items as a list")
            item = self.compile(value)
            return lambda v: not isinstance(v, list) or all(item(i) for i in v)
        if key in ("anyOf", "oneOf", "allOf"):
            subs = [self.compile(s) for s in value]
            if key == "anyOf":
                return lambda v: any(s(v) for s in subs)
            if key == "allOf":
                return lambda v: all(s(v) for s in subs)
            return lambda v: sum(1 for s in subs if s(v)) == 1
        if key == "not":
            sub = self.compile(value)
            return lambda v: not sub(v)
        if key == "$ref":
            return self.ref(value)
        raise Unsupported(key)

    def _object(self, schema: dict[str, Any]) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        props = {name: self.compile(sub) for name, sub in
                 (schema.get("properties") or {}).items()}
        extra_schema = schema.get("additionalProperties", True)
        extra = self.compile(extra_schema)
        closed = extra_schema is False
        required = tuple(schema.get("required") or ())
        low = schema.get("minProperties")
        high = schema.get("maxProperties")

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for name in required:
                if name not in v:
                    return False
            if (low is not None and len(v) < low) or (high is not None and len(v) > high):
                return False
            for name, value in v.items():
                sub = props.get(name)
                if sub is not None:
                    if not sub(value):
                        return False
                elif closed or not extra(value):
                    return False
            return True
        return check


def compile_check(schema: dict[str, Any]) -> Check | None:
    """A fast validity check for `schema`, or None when it uses keywords not handled here."""
    try:
        return _Compiler(schema).compile(schema)
    except (Unsupported, re.error, TypeError, ValueError, RecursionError):
        return None
