"""The catalog as the chart embeds it (`files/catalog.json`).

Go templates cannot sort versions, classify tags or reproduce Python's JSON text, so
everything the renderer derives from a catalog entry is computed here, once, when the chart
is generated: the image repository, the default (newest pinned) tag, the floating tags, the
keyless NIM LLM releases (generator/keyless.py), the exact ConfigMap value text and the pieces
needed to rebuild it with fewer tags (air-gap).
"""

from __future__ import annotations

import json
from typing import Any

from generator import catalog as catalog_mod
from generator.catalog import Catalog, ModelEntry, is_floating, version_key
from generator.keyless import keyless_release

_TAGS = '\n  "tags": '
_UPDATED = ',\n  "updatedDate": '


def _pieces(entry: ModelEntry) -> tuple[str, str]:
    """The JSON text before the tags array and after the latestTag value."""
    text = entry.to_json()
    head = text[: text.index(_TAGS) + len(_TAGS)]
    tail = text[text.index(_UPDATED):]
    rebuilt = head + tags_block(list(entry.tags)) + ',\n  "latestTag": ' + \
        catalog_mod.json_text(entry.latest_tag) + tail
    if rebuilt != text:
        raise AssertionError(f"cannot split the JSON text of {entry.name}")
    return head, tail


def tags_block(tags: list[str]) -> str:
    """The tags array as `json.dumps(indent=2)` writes it at depth one."""
    if not tags:
        return "[]"
    items = ",\n    ".join(catalog_mod.json_text(t) for t in tags)
    return f"[\n    {items}\n  ]"


def _by_version(entry: ModelEntry) -> list[str]:
    """Tags ascending, so the last kept one is what `max(kept, key=version_key)` returns."""
    order = sorted(enumerate(entry.tags), key=lambda it: (version_key(it[1]), -it[0]))
    return [tag for _, tag in order]


def model_data(entry: ModelEntry) -> dict[str, Any]:
    """Everything the chart's templates need about one model."""
    head, tail = _pieces(entry)
    text = entry.to_json()
    newest = entry.newest_pinned_tag()
    known = ", ".join(sorted(entry.tags, key=version_key, reverse=True)[:6])
    return {
        "repository": entry.repository,
        "tags": list(entry.tags),
        "defaultTag": newest or "",
        "floating": [t for t in entry.tags if is_floating(t)],
        "keyless": [t for t in entry.tags if keyless_release(t)],
        "known": known,
        "json": text,
        "head": head,
        "tail": tail,
        "tagJson": {t: catalog_mod.json_text(t) for t in entry.tags},
        "byVersion": _by_version(entry),
    }


def catalog_json(cat: Catalog) -> str:
    """The deterministic text of `files/catalog.json`."""
    data = {
        "models": {name: model_data(cat.models[name]) for name in sorted(cat.models)},
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
