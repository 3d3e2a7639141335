"""Finds the schema of each resource and compiles it once.

Core kinds use the bundled Kubernetes schemas; other kinds the user's locations, in order. With
the `redesign` target a schema gains the redesign's proposed fields (see `proposed`); with
`current` it is used as given. Validators are cached per kind and per schema file, so each file
is read and compiled once per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema.protocols import Validator
from jsonschema.validators import Draft4Validator, Draft202012Validator, validator_for

from generator.targets import DEFAULT_TARGET
from generator.validate import proposed
from generator.validate.core import CoreSchemas
from generator.validate.fast import Check, compile_check
from generator.validate.locations import SchemaSource, candidates, expand, template_vars

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@dataclass(frozen=True)
class Compiled:
    """A compiled schema and what the engine needs to know about it."""

    validator: Validator
    where: str
    core: bool
    root_properties: frozenset[str] | None  # None: the root accepts any field
    fast: Check | None = None  # a quick "valid?" answer; jsonschema decides otherwise
    proposals: tuple[proposed.ProposedField, ...] = ()  # fields accepted only as proposals


def _root_properties(schema: dict[str, Any]) -> frozenset[str] | None:
    props = schema.get("properties")
    if not isinstance(props, dict) or "additionalProperties" in schema:
        return None
    return frozenset(props)


class SchemaRegistry:
    """Schema lookup with per-run caches."""

    def __init__(self, locations: tuple[str, ...], kubernetes_version: str, strict: bool,
                 target: str = DEFAULT_TARGET) -> None:
        self.core = CoreSchemas(kubernetes_version, strict)
        self.kubernetes_version = self.core.version
        self.strict = strict
        self.locations = locations
        self.target = proposed.check_target(target)
        self.source = SchemaSource()
        self._by_kind: dict[tuple[str, str], Compiled | None] = {}
        self._by_path: dict[str, dict[str, Any] | None] = {}
        self._meta: Compiled | None = None

    def searched(self, api_version: str, kind: str) -> list[str]:
        """Every place looked at for a kind, for the missing-schema message."""
        values = template_vars(api_version, kind, self.kubernetes_version, self.strict)
        return [expand(t, values) for loc in self.locations for t in candidates(loc)]

    def lookup(self, api_version: str, kind: str) -> Compiled | None:
        """The compiled schema of a kind, or None when no location has one."""
        key = (api_version, kind)
        if key not in self._by_kind:
            self._by_kind[key] = self._find(api_version, kind)
        return self._by_kind[key]

    def _find(self, api_version: str, kind: str) -> Compiled | None:
        schema = self.core.schema(api_version, kind)
        if schema is not None:
            where = f"kubernetes v{self.kubernetes_version} ({kind})"
            return Compiled(Draft202012Validator(schema), where, True, None,
                            compile_check(schema))
        for target in self.searched(api_version, kind):
            if target not in self._by_path:
                self._by_path[target] = self.source.load(target)
            found = self._by_path[target]
            if found is None:
                continue
            if self.target == proposed.REDESIGN:
                schema, accepted = proposed.with_proposed(found, api_version, kind)
            else:
                schema, accepted = found, proposed.marked(found, api_version, kind)
            return self._compile(schema, target, accepted)
        return None

    @staticmethod
    def _compile(schema: dict[str, Any], where: str,
                 accepted: tuple[proposed.ProposedField, ...] = ()) -> Compiled:
        cls = validator_for(schema, default=Draft4Validator)
        return Compiled(cls(schema), where, False, _root_properties(schema),
                        compile_check(schema), accepted)

    def object_meta(self) -> Compiled:
        """ObjectMeta of the bundled version: CRD schemas leave `metadata` unchecked."""
        if self._meta is None:
            schema = self.core.definition(OBJECT_META)
            self._meta = Compiled(Draft202012Validator(schema), OBJECT_META, True, None,
                                  compile_check(schema))
        return self._meta
