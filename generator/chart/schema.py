"""values.schema.json: the config schema's `spec`, made self-contained for the chart."""

from __future__ import annotations

import copy
import json
from typing import Any

from generator.config import config_schema

VALUES_DESCRIPTION = (
    "Values of the nim-gitops chart: the same fields as the spec of a nim-gitops config "
    "(platform, secrets, airGap, allowFloatingTags, projects). The chart embeds its catalog, "
    "so platform.catalog.file does not exist here."
)


def values_schema() -> dict[str, Any]:
    """The schema Helm validates values against (draft 2020-12, Helm's default dialect).

    It has no `$schema` and no `$id` (nothing for Helm to fetch in an air-gapped install), only
    local `#/$defs/...` references, and keeps `additionalProperties: false` everywhere, so a
    misspelled key is rejected.
    """
    source = copy.deepcopy(config_schema())
    defs: dict[str, Any] = source["$defs"]
    root = defs.pop("spec")
    del defs["platform"]["properties"]["catalog"]["properties"]["file"]
    _drop_extended_fields(defs)
    schema: dict[str, Any] = {
        "title": "nim-gitops chart values",
        "description": VALUES_DESCRIPTION,
        **root,
        "$defs": defs,
    }
    _check_local_refs(schema)
    return schema


def _drop_extended_fields(defs: dict[str, Any]) -> None:
    """The chart's templates do not render the extended model details (keyless) yet: leave
    their fields out of the values schema, so Helm rejects them instead of ignoring them
    (`nim-gitops values` says why)."""
    del defs["platform"]["properties"]["catalog"]["properties"]["extended"]
    del defs["deployment"]["properties"]["apiKey"]["properties"]["required"]


def _check_local_refs(node: Any) -> None:
    """Fail at generation time if any reference would leave the document."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None and not str(ref).startswith("#/$defs/"):
            raise AssertionError(f"non-local $ref in the values schema: {ref}")
        for value in node.values():
            _check_local_refs(value)
    elif isinstance(node, list):
        for value in node:
            _check_local_refs(value)


def values_schema_json() -> str:
    """The deterministic text of values.schema.json."""
    return json.dumps(values_schema(), indent=2, ensure_ascii=False) + "\n"
