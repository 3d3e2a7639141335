"""values.schema.json: the config schema's `spec`, made self-contained for the chart."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from generator.airgap.lock import DIGEST
from generator.catalog import REGISTRY
from generator.config import config_schema

VALUES_DESCRIPTION = (
    "Values of the nim-gitops chart: the same fields as the spec of a nim-gitops config "
    "(platform, secrets, airGap, allowFloatingTags, projects). The chart reads no files but its "
    "own: it embeds its catalog, and `nim-gitops values` writes what the config's side files "
    "say (platform.catalog.anonymousPull from the extended details, airGap.digests from the "
    "digest lock) in place of platform.catalog.file and platform.catalog.extended."
)
# What the config's side files say, as values (docs/helm.md "Side files as values").
ANONYMOUS_PULL: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "uniqueItems": True,
    "description": "Models NGC lets anyone pull, from the config's extended details (written "
                   "by `nim-gitops values`): their deployments get no pull secret, and keyless "
                   "NIM LLM releases no API key (a NIMCache keeps it), unless "
                   "apiKey.required.",
}
DIGESTS: dict[str, Any] = {
    "type": "object",
    "patternProperties": {f"^{re.escape(REGISTRY)}/[^@:]+:[^@:/]+$": {
        "type": "string", "pattern": f"^{DIGEST.pattern}$"}},
    "additionalProperties": False,
    "description": "With pinDigests: the digest of each image by tag, from the config's lock "
                   "file (written by `nim-gitops values`).",
}


def values_schema() -> dict[str, Any]:
    """The schema Helm validates values against (draft 2020-12, Helm's default dialect).

    It has no `$schema` and no `$id` (nothing for Helm to fetch in an air-gapped install), only
    local `#/$defs/...` references, and keeps `additionalProperties: false` everywhere, so a
    misspelled key is rejected.
    """
    source = _without_examples(copy.deepcopy(config_schema()))
    defs: dict[str, Any] = source["$defs"]
    root = defs.pop("spec")
    catalog = defs["platform"]["properties"]["catalog"]["properties"]
    del catalog["file"], catalog["extended"]
    catalog["anonymousPull"] = ANONYMOUS_PULL
    defs["airGap"]["properties"]["digests"] = DIGESTS
    schema: dict[str, Any] = {
        "title": "nim-gitops chart values",
        "description": VALUES_DESCRIPTION,
        **root,
        "$defs": defs,
    }
    _check_local_refs(schema)
    return schema


def _without_examples(node: Any) -> Any:
    """`node` without its `examples`: they show config files (`nim-gitops explain`), whose
    paths and URLs mean nothing to the chart."""
    if isinstance(node, dict):
        return {k: _without_examples(v) for k, v in node.items() if k != "examples"}
    if isinstance(node, list):
        return [_without_examples(v) for v in node]
    return node


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
