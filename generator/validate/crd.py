"""CRD -> JSON schema conversion in kubeconform's layout (its `openapi2jsonschema.py`).

Each version's `openAPIV3Schema` becomes `{group}/{kind}_{version}.json` (lower-cased kind), with
every object that lists `properties` closed by `additionalProperties: false` (the root is left
open, as kubeconform does) and `format: int-or-string` turned into `oneOf [string, integer]`.
One deliberate difference: objects marked `x-kubernetes-preserve-unknown-fields: true` stay
open, where kubeconform closes them and then rejects what the API server accepts.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from generator.errors import InvalidInputError

CRD_API_GROUP = "apiextensions.k8s.io"
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("not", "additionalItems")
DEFAULT_FORMAT = "{fullgroup}/{kind}_{version}"
FORMAT_FIELDS = ("kind", "version", "group", "fullgroup")
INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}


@dataclass(frozen=True)
class ConvertedSchema:
    """One schema file: where it goes in the layout and what it holds."""

    group: str
    kind: str
    version: str
    schema: dict[str, Any]

    @property
    def relpath(self) -> str:
        """`{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`."""
        return self.filename(DEFAULT_FORMAT)

    def filename(self, fmt: str) -> str:
        """The file name for openapi2jsonschema's FILENAME_FORMAT variables, plus `.json`."""
        return fmt.format(kind=self.kind.lower(), version=self.version,
                          group=self.group.split(".")[0], fullgroup=self.group) + ".json"


def close_objects(schema: Any, *, root: bool = False, close: bool = True) -> Any:
    """A copy of `schema` converted as kubeconform does (see the module docstring).

    `close=False` is the lenient flavour: objects are left open (only int-or-string changes).
    """
    if not isinstance(schema, dict):
        return copy.deepcopy(schema)
    if schema.get("format") == "int-or-string" or (
            schema.get("x-kubernetes-int-or-string") is True
            and not {"type", "anyOf", "oneOf"} & set(schema)):
        return {**copy.deepcopy(INT_OR_STRING),
                **{k: v for k, v in schema.items() if k in ("description", "pattern")}}

    def sub(value: Any) -> Any:
        return close_objects(value, close=close)

    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: sub(item) for name, item in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [sub(item) for item in value]
        elif key == "items":
            out[key] = [sub(s) for s in value] if isinstance(value, list) else sub(value)
        elif key in _SCHEMA_ONE or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = sub(value)
        else:
            out[key] = copy.deepcopy(value)
    keep_open = (not close or root
                 or schema.get("x-kubernetes-preserve-unknown-fields") is True)
    if "properties" in out and "additionalProperties" not in out and not keep_open:
        out["additionalProperties"] = False
    return out


def _require(value: Any, what: str, source: str) -> Any:
    if value in (None, "", [], {}):
        raise InvalidInputError(f"not a CustomResourceDefinition: {what} is missing",
                                source=source)
    return value


def convert_crd(crd: dict[str, Any], source: str = "<crd>", *, close: bool = True
                ) -> list[ConvertedSchema]:
    """Every version schema of one CustomResourceDefinition."""
    if not (isinstance(crd, dict) and crd.get("kind") == "CustomResourceDefinition"
            and str(crd.get("apiVersion", "")).startswith(f"{CRD_API_GROUP}/")):
        raise InvalidInputError("not a CustomResourceDefinition", source=source)
    spec = _require(crd.get("spec"), "spec", source)
    group = _require(spec.get("group"), "spec.group", source)
    kind = _require((spec.get("names") or {}).get("kind"), "spec.names.kind", source)
    legacy = (spec.get("validation") or {}).get("openAPIV3Schema")
    versions = spec.get("versions") or [{"name": spec.get("version")}]
    out = []
    for entry in versions:
        name = _require(entry.get("name"), "spec.versions[].name", source)
        schema = (entry.get("schema") or {}).get("openAPIV3Schema") or legacy
        if schema is None:
            continue  # kubeconform has nothing to write either
        out.append(ConvertedSchema(group, kind, name,
                                   close_objects(schema, root=True, close=close)))
    if not out:
        raise InvalidInputError(f"CRD {kind}.{group} has no openAPIV3Schema", source=source)
    return out


def iter_crds(documents: Iterable[Any], source: str) -> Iterator[dict[str, Any]]:
    """CRDs from parsed documents; a `List` (`kubectl get crd -o yaml`) is expanded."""
    for doc in documents:
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(
                doc.get("items"), list):
            yield from iter_crds(doc["items"], source)
        elif isinstance(doc, dict):
            yield doc
        else:
            raise InvalidInputError("a document is not an object", source=source)
