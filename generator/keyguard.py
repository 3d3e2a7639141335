"""The last check before any data leaves the tool: no key material in a file or a stream.

Messages are masked (`generator.redact`), but data is never rewritten: a masked manifest would
be invalid YAML or differ from the committed tree. So every writer (`writer.atomic_write`,
`writer.plan_tree`, stdout included) calls `refuse_key_material` first, and the whole output is
refused, naming where the key sits, before a byte is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator import redact
from generator.errors import InvalidInputError


def _strings(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...],
                                                                     str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield (*path, str(key)), str(key)
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))


def _where(text: str) -> str:
    """` in Kind/name at field.path` for the first key in `text` read as YAML, else ``."""
    from generator import yamlio

    try:
        docs = yamlio.load_all(text, "output")
    except Exception:  # not YAML (a report, a lock in another format): the file is enough
        return ""
    for obj in (o for doc in docs for o in _objects(doc)):
        for path, value in _strings(obj, ()):
            if redact.find_key(value):
                meta = obj.get("metadata") if isinstance(obj, dict) else None
                name = meta.get("name", "") if isinstance(meta, dict) else ""
                kind = obj.get("kind", "") if isinstance(obj, dict) else ""
                where = yamlio.format_path(path) if path else "$"
                return f" in {kind}/{name} at {where}" if kind else f" at {where}"
    return ""


def _objects(doc: Any) -> Iterator[Any]:
    """The objects of a document: the items of a List or ResourceList, else the document."""
    items = doc.get("items") if isinstance(doc, dict) else None
    if isinstance(items, list) and str(doc.get("kind", "")).endswith("List"):
        yield from items
        rest = {k: v for k, v in doc.items() if k != "items"}
        yield rest
    else:
        yield doc


def refuse_key_material(text: str, where: str) -> None:
    """Raise (exit 1) when `text`, about to be written to `where`, holds key material."""
    if redact.find_key(text):
        raise InvalidInputError(
            f"the output holds NGC key material{_where(text)}; nothing was written (keep keys "
            "in a secret manager and reference them)", source=where)
