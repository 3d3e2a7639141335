"""Fields the NIM redesign proposes that no installed CRD has yet: the one list, and how to use it.

The targets are render's (`generator.targets`, docs/targets.md).

`--target current` (the default) validates against the schemas as given, so a proposed field is
an unknown field like any other. `--target redesign` accepts each field listed here: it is
added to the kind's schema (with its own hand-written schema) and every object that uses it
carries the note `spec.nimConfig: proposed field, not in the installed CRD` in the report.

`schemas build --target redesign` writes the fields into the schemas it builds, marked with
`x-nim-gitops-proposed`, so validate still knows (and says) that they are proposals.
Today's only entry: OdhDashboardConfig `spec.nimConfig`, absent from the installed CRD
(opendatahub-io/odh-dashboard `manifests/base/crd/odhdashboardconfigs.opendatahub.io.crd.yaml`).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from generator.errors import UsageError
from generator.targets import TARGETS

CURRENT, REDESIGN = TARGETS
MARK = "x-nim-gitops-proposed"


@cache
def _resource_schema(filename: str) -> dict[str, Any]:
    text = resources.files("generator.schemas").joinpath(filename).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    schema.pop("$comment", None)
    return schema


@dataclass(frozen=True)
class ProposedField:
    """One field a kind gains in the redesign, with the schema the project wrote for it."""

    group: str
    kind: str
    path: tuple[str, ...]
    schema_file: str

    @property
    def dotted(self) -> str:
        """`spec.nimConfig`."""
        return ".".join(self.path)

    @property
    def note(self) -> str:
        """What the report says about every accepted occurrence."""
        return f"{self.dotted}: proposed field, not in the installed CRD"

    def applies_to(self, api_version: str, kind: str) -> bool:
        """True for this kind in any version of its group."""
        return kind == self.kind and api_version.rpartition("/")[0] == self.group

    def schema(self) -> dict[str, Any]:
        """A fresh copy of the field's schema, marked as a proposal."""
        return {**copy.deepcopy(_resource_schema(self.schema_file)), MARK: self.note}

    def present(self, obj: Any) -> bool:
        """True when `obj` sets the field."""
        node = obj
        for key in self.path:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def _parent(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The schema of the object that holds the field, when `schema` describes it."""
        node: Any = schema
        for key in self.path[:-1]:
            props = node.get("properties") if isinstance(node, dict) else None
            node = props.get(key) if isinstance(props, dict) else None
        return node if isinstance(node, dict) else None

    def described(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The field's schema inside `schema`, or None."""
        props = (self._parent(schema) or {}).get("properties")
        found = props.get(self.path[-1]) if isinstance(props, dict) else None
        return found if isinstance(found, dict) else None

    def added_to(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """A copy of `schema` with the field added, or None when it has no place for it."""
        out = copy.deepcopy(schema)
        parent = self._parent(out)
        if parent is None or not isinstance(parent.setdefault("properties", {}), dict):
            return None
        parent["properties"][self.path[-1]] = self.schema()
        return out


PROPOSED: tuple[ProposedField, ...] = (
    ProposedField("opendatahub.io", "OdhDashboardConfig", ("spec", "nimConfig"),
                  "nimconfig.schema.json"),
)


def check_target(target: str) -> str:
    """`target`, or a usage error naming the known ones."""
    if target not in TARGETS:
        raise UsageError(f"--target {target!r}: expected one of {', '.join(TARGETS)}")
    return target


def fields_for(api_version: str, kind: str) -> tuple[ProposedField, ...]:
    """The proposed fields of a kind."""
    return tuple(f for f in PROPOSED if f.applies_to(api_version, kind))


def marked(schema: dict[str, Any], api_version: str, kind: str) -> tuple[ProposedField, ...]:
    """Proposed fields that `schema` describes with the proposal mark (`schemas build
    --target redesign` wrote them)."""
    return tuple(f for f in fields_for(api_version, kind)
                 if MARK in (f.described(schema) or {}))


def with_proposed(schema: dict[str, Any], api_version: str, kind: str
                  ) -> tuple[dict[str, Any], tuple[ProposedField, ...]]:
    """`schema` with the kind's proposed fields added where it lacks them, and the proposed
    fields the result accepts (added now or marked before). A field that the schema describes
    without the mark is real, not a proposal."""
    out = schema
    accepted = []
    for field in fields_for(api_version, kind):
        existing = field.described(out)
        if existing is not None:
            if MARK in existing:
                accepted.append(field)
            continue
        candidate = field.added_to(out)
        if candidate is None:
            continue  # the schema has no place for it (no `spec` object)
        out = candidate
        accepted.append(field)
    return out, tuple(accepted)
