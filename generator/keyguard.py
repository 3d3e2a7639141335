"""The last check before any data leaves the tool: no key material in a file or a stream.

Messages are masked (`generator.redact`), but data is never rewritten: a masked manifest would
be invalid YAML or differ from the committed tree. So every writer (`writer.atomic_write`,
`writer.plan_tree`, stdout included) calls `refuse_key_material` first, and the whole output is
refused, naming where the key sits, before a byte is written.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from generator import redact
from generator.errors import InvalidInputError

_SECRET_KIND = re.compile(r'kind"?\s*:\s*"?Secret\b')


def decode_base64(value: Any) -> str:
    """`value` decoded as the API server decodes a Secret's `data` or a ConfigMap's
    `binaryData` (Go's standard base64, which skips `\r` and `\n`), as text; "" when it is not
    base64."""
    if not isinstance(value, str):
        return ""
    try:
        raw = base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


def encoded_values(obj: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, decoded text) of the base64 fields the API server decodes: a Secret's `data`
    and a ConfigMap's `binaryData`."""
    if not isinstance(obj, dict):
        return
    field = {"Secret": "data", "ConfigMap": "binaryData"}.get(str(obj.get("kind")))
    values = obj.get(field) if field else None
    if isinstance(values, dict):
        for key, value in values.items():
            yield (str(field), str(key)), decode_base64(value)


def strings(node: Any, path: tuple[str | int, ...] = ()
            ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, text) of every string below `node`, mapping keys included."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield (*path, str(key)), str(key)
            yield from strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, (*path, index))


def _parsed(text: str) -> list[Any]:
    """The objects of `text` read as YAML (List items one by one); none when it is not YAML
    (a report, a lock in another format)."""
    from generator import yamlio

    try:
        docs = yamlio.load_all(text, "output")
    except Exception:  # not YAML: there is no object to name or decode
        return []
    return [obj for doc in docs for obj in _objects(doc)]


def _where(objects: list[Any]) -> str:
    """` in Kind/name at field.path` for the first key among `objects`, else ``."""
    from generator import yamlio

    for obj in objects:
        for path, value in (*strings(obj), *encoded_values(obj)):
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
    """Raise (exit 1) when `text`, about to be written to `where`, holds key material, in
    plain text or in the base64 fields the API server decodes. The text is read as YAML at
    most once: to decode those fields (only when it has any) or to name where a key sits."""
    plain = redact.find_key(text)
    encoded_fields = "binaryData" in text or _SECRET_KIND.search(text) is not None
    if not plain and not encoded_fields:
        return
    objects = _parsed(text)
    if plain or any(redact.find_key(value) for obj in objects
                    for _, value in encoded_values(obj)):
        raise InvalidInputError(
            f"the output holds NGC key material{_where(objects)}; nothing was written (keep "
            "keys in a secret manager and reference them)", source=where)
