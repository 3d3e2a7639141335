"""Template output -> objects, parsing each template *shape* once instead of every render.

The Jinja templates stay the source of every object. What changed is how their text becomes
objects: parsing YAML (PyYAML's constructor runs in Python even with the C parser) took most
of `render`'s time, and 1,000 projects x 5 deployments render the same few shapes 26,000
times with only names and images differing.

How: values enter the YAML only through the `q` filter (JSON, which is YAML). While a render
records (`env.render_recording`), `q` writes a numbered placeholder `"<U+E000>n<U+E001>"` for each
string or integer instead and keeps the value. The text with placeholders, the *shape*, is
the same for every deployment that takes the same branches, so it is parsed once by the
project's safe loader (`yamlio.load_all`) and compiled into a builder: one Python expression
of dict and list displays whose keys and fixed values are constants and whose placeholders
read the recorded values (`lambda v: [{'kind': 'PersistentVolumeClaim', 'metadata': {'name':
v[0], ...}}]`). Each render calls the builder: fresh dicts and lists every time (callers may
change them), while keys and fixed strings are shared, not copied 26,000 times. A
ServingRuntime is built in about 10 us, against about 400 us through PyYAML. The emitter
learns each shape too (`yamlemit.shape_emitters`), and every document built is noted as one of
that shape (`yamlemit.expect`), so it is written from the shape's text once checked.

Why that is the same result, byte for byte: `q` only records strings without control,
line-break, surrogate, non-character or placeholder code points, and integers. Such a
string's `to_yaml` form is one double-quoted scalar whose only escapes are `\\"` and `\\\\`,
and any YAML 1.1/1.2 loader reads it back as the string; a JSON integer reads back as that
integer. A double-quoted scalar is one token whatever its content, so swapping it for another
changes no other part of the parse. A shape is used only when every placeholder comes back
as a whole value (not a key, not part of a longer string or comment, each exactly once) and
the objects are plain data (string keys; strings, integers, booleans, finite floats; no
shared nodes, written as `repr` literals, which read back exactly); otherwise, or when the shape
does not parse, the template is rendered again without placeholders and parsed as before, so
errors read exactly as they did.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, cast

import jinja2

from generator import yamlemit, yamlio
from generator.errors import NimGitopsError
from generator.render.env import SLOT_CLOSE, SLOT_OPEN, render_recording

MAX_SHAPES = 1024  # distinct (template, shape) pairs kept; the cache starts over beyond that
MAX_DEPTH = 64  # deeper shapes are parsed every time (the builder is one nested expression)
_SLOT = re.compile(f"{SLOT_OPEN}([0-9]+){SLOT_CLOSE}")
Builder = Callable[[list[Any]], list[Any]]
Shape = tuple[Builder, list[yamlemit.Known | None]]  # the builder, and how each doc is written
_SLOW = object()  # a shape that must be parsed with its real values every time
_shapes: dict[tuple[str, str], Shape | object] = {}


class _NotFillable(Exception):
    """The shape cannot be filled provably like the real text."""


def _expression(data: Any, slots: list[int], seen: set[int], depth: int) -> str:
    """Python source that builds `data` afresh, with `v[n]` for placeholder n."""
    if depth > MAX_DEPTH:
        raise _NotFillable
    kind = type(data)
    if kind is dict or kind is list:
        if id(data) in seen:  # an alias: the same node twice
            raise _NotFillable
        seen.add(id(data))
        if kind is list:
            return "[" + "".join(_expression(item, slots, seen, depth + 1) + ","
                                 for item in data) + "]"
        for key in data:
            if type(key) is not str or SLOT_OPEN in key or SLOT_CLOSE in key:
                raise _NotFillable  # a placeholder as a key, or a key that is not a string
        return "{" + "".join(f"{key!r}:{_expression(value, slots, seen, depth + 1)},"
                             for key, value in data.items()) + "}"
    if kind is str:
        slot = _SLOT.fullmatch(data)
        if slot is not None:
            slots.append(int(slot.group(1)))
            return f"v[{slot.group(1)}]"
        if SLOT_OPEN in data or SLOT_CLOSE in data:
            raise _NotFillable  # a placeholder inside a longer string
        return repr(data)
    if data is None or kind in (int, bool) or (kind is float and math.isfinite(data)):
        return repr(data)  # the literal of exactly this value
    raise _NotFillable


def _shape(text: str, slots: int, where: str) -> Shape | object:
    """Parse a shape once into a builder (and its documents' emitters, `yamlemit`); _SLOW when
    it cannot be filled provably alike."""
    try:
        docs = yamlio.load_all(text, where)
    except NimGitopsError:
        return _SLOW  # the real text reports its own error
    used: list[int] = []
    try:
        source = _expression(docs, used, set(), 0)
    except _NotFillable:
        return _SLOW
    if sorted(used) != list(range(slots)):
        return _SLOW  # a placeholder went missing (into a comment) or came back twice
    builder: Builder = eval(f"lambda v: {source}", {"__builtins__": {}})
    return builder, yamlemit.shape_emitters(builder, slots)


def load_rendered(template: jinja2.Template, context: dict[str, Any], where: str) -> list[Any]:
    """Render `template` with `context` and load its documents (empty ones dropped)."""
    text, values = render_recording(template, context)
    key = (template.name or "", text)
    shape = _shapes.get(key)
    if shape is None:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        shape = _shapes[key] = _shape(text, len(values), where)
    if shape is not _SLOW:
        builder, emitters = cast(Shape, shape)
        built: list[Any] = builder(values)
        for doc, known in zip(built, emitters, strict=True):
            if known is not None:  # the emitter writes it from the shape's text, once checked
                yamlemit.expect(doc, known)
        return built
    return yamlio.load_all(template.render(context), where)
