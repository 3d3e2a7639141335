"""Template output -> objects, parsing each template *shape* once instead of every render.

The Jinja templates stay the source of every object. What changed is how their text becomes
objects: parsing YAML (PyYAML's constructor runs in Python even with the C parser) took most
of `render`'s time, and 1,000 projects x 5 deployments render the same few shapes 26,000
times with only names and images differing.

How: values enter the YAML only through the `q` filter (JSON, which is YAML). While a render
records (`env.recording`), `q` writes a numbered placeholder `"<U+E000>n<U+E001>"` for each
string or integer instead and keeps the value. The text with placeholders, the *shape*, is
the same for every deployment that takes the same branches, so it is parsed once by the
project's safe loader (`yamlio.load_all`) and kept as JSON text split at the placeholders.
Each render then joins that text with the JSON text of its own values and `json.loads` it
(a C parser: about 30 us for a ServingRuntime, against about 400 us through PyYAML).

Why that is the same result, byte for byte: `q` only records strings without control,
line-break, surrogate, non-character or placeholder code points, and integers. Such a
string's `to_yaml` form is one double-quoted scalar whose only escapes are `\\"` and `\\\\`,
and any YAML 1.1/1.2 loader reads it back as the string; a JSON integer reads back as that
integer. A double-quoted scalar is one token whatever its content, so swapping it for another
changes no other part of the parse. A shape is used only when every placeholder comes back
as a whole value (not a key, not part of a longer string or comment, each exactly once) and
the objects are plain JSON data (string keys, no shared nodes); otherwise, or when the shape
does not parse, the template is rendered again without placeholders and parsed as before, so
errors read exactly as they did.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2

from generator import yamlio
from generator.errors import NimGitopsError
from generator.render.env import SLOT_CLOSE, SLOT_OPEN, recording

MAX_SHAPES = 1024  # distinct (template, shape) pairs kept; the cache starts over beyond that
_SLOT = re.compile(f'"{SLOT_OPEN}([0-9]+){SLOT_CLOSE}"')


class _Shape:
    """The JSON text of a shape's documents, cut at its placeholders."""

    __slots__ = ("order", "pieces")

    def __init__(self, pieces: list[str], order: list[int]) -> None:
        self.pieces = pieces  # len(order) + 1 pieces of JSON text
        self.order = order  # the slot that goes between pieces[i] and pieces[i + 1]

    def fill(self, values: list[str]) -> list[Any]:
        """The documents with each slot's JSON text (`env.recording`) in its place."""
        pieces = self.pieces
        out = [pieces[0]]
        for i, slot in enumerate(self.order, 1):
            out.append(values[slot])
            out.append(pieces[i])
        docs: list[Any] = json.loads("".join(out))
        return docs


_SLOW = object()  # a shape that must be parsed with its real values every time
_shapes: dict[tuple[str, str], _Shape | object] = {}


def _plain_json(data: Any, seen: set[int]) -> bool:
    """True when `data` survives json.dumps/json.loads unchanged (and has no shared nodes)."""
    if isinstance(data, dict):
        if id(data) in seen:
            return False
        seen.add(id(data))
        return all(type(k) is str and _plain_json(v, seen) for k, v in data.items())
    if isinstance(data, list):
        if id(data) in seen:
            return False
        seen.add(id(data))
        return all(_plain_json(v, seen) for v in data)
    return data is None or type(data) in (str, int, float, bool)


def _shape(text: str, slots: int, where: str) -> _Shape | object:
    """Parse a shape once; _SLOW when it cannot be filled provably like the real text."""
    try:
        docs = yamlio.load_all(text, where)
    except NimGitopsError:
        return _SLOW  # the real text reports its own error
    if not _plain_json(docs, set()):
        return _SLOW
    encoded = json.dumps(docs, ensure_ascii=False)
    parts = _SLOT.split(encoded)
    pieces, order = parts[0::2], [int(n) for n in parts[1::2]]
    whole = sorted(order) == list(range(slots)) and encoded.count(SLOT_OPEN) == slots
    # a whole value: after `[`, `, ` or `: ` (never a backslash) and before `,`, `]` or `}`
    values = all(p.endswith(("[", ", ", ": ")) for p in pieces[:-1]) and all(
        p.startswith((",", "]", "}")) for p in pieces[1:])
    if not (whole and values):
        return _SLOW  # a placeholder went missing, into a longer string, or became a key
    return _Shape(pieces, order)


def load_rendered(template: jinja2.Template, context: dict[str, Any], where: str) -> list[Any]:
    """Render `template` with `context` and load its documents (empty ones dropped)."""
    with recording() as values:
        text = template.render(context)
    key = (template.name or "", text)
    shape = _shapes.get(key)
    if shape is None:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        shape = _shapes[key] = _shape(text, len(values), where)
    if isinstance(shape, _Shape):
        return shape.fill(values)
    return yamlio.load_all(template.render(context), where)
