"""The project's one hand-written schema: `OdhDashboardConfig` `spec.nimConfig`.

The redesign proposes the field; no upstream CRD has it yet. `schemas build` merges it into the
OdhDashboardConfig schema it writes (so the directory also works with kubeconform), and validate
adds it to any OdhDashboardConfig schema that lacks it, or uses a minimal schema (an open `spec`
with only `nimConfig` described) when no location has one.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

DASHBOARD_GROUP = "opendatahub.io"
DASHBOARD_KIND = "OdhDashboardConfig"


@cache
def _nimconfig() -> dict[str, Any]:
    text = resources.files("generator.schemas").joinpath("nimconfig.schema.json").read_text(
        "utf-8")
    schema: dict[str, Any] = json.loads(text)
    schema.pop("$comment", None)
    return schema


def nimconfig_schema() -> dict[str, Any]:
    """A fresh copy of the `spec.nimConfig` schema."""
    return copy.deepcopy(_nimconfig())


def is_dashboard_config(api_version: str, kind: str) -> bool:
    """True for `opendatahub.io/*` OdhDashboardConfig."""
    return kind == DASHBOARD_KIND and api_version.rpartition("/")[0] == DASHBOARD_GROUP


def with_nimconfig(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with `spec.nimConfig` added when it does not describe the field yet."""
    spec = (schema.get("properties") or {}).get("spec")
    if not isinstance(spec, dict) or "nimConfig" in (spec.get("properties") or {}):
        return schema
    out = copy.deepcopy(schema)
    out_spec = out["properties"]["spec"]
    out_spec.setdefault("properties", {})["nimConfig"] = nimconfig_schema()
    return out


def fallback_dashboard_schema() -> dict[str, Any]:
    """Used when no location has an OdhDashboardConfig schema: only nimConfig is checked."""
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": {"nimConfig": nimconfig_schema()}},
        },
    }
