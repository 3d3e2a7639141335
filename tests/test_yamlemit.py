"""The fast emitter's output always loads back to the same data (property-based)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import yamlemit, yamlio
from generator.yamlemit import emit

keys = st.text(min_size=1, max_size=20)
scalars = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["yes", "No", "on", "~", "null", "1e3", "0x1F", "0755", "1.15", "12:30",
                     "- a", "a: b", "#c", "[x]", "{y}", "&a", "*b", "!t", "|", ">", "'q'", '"d"',
                     "trailing ", " leading", "tab\tin", "line\nbreak\n", "\n", "x\n\n",
                     "é", "\u2028", "\ufeff", "%p", "@at", "`bt`", "=", "<<"]),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.booleans(),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(keys, children, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_emit_round_trips_through_pyyaml(doc: Any) -> None:
    text = emit(doc)
    assert yaml.safe_load(text) == doc
    assert yamlio.load_one(text, "t") == doc if doc is not None else True


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, documents, min_size=1, max_size=5))
def test_emit_is_deterministic_and_block_style(doc: dict[str, Any]) -> None:
    assert emit(doc) == emit(dict(doc))
    assert not emit(doc).startswith("{")


# Known shapes (`shape_emitters`, `expect`): a builder like generator/render/skeleton.py's,
# whose fixed values are shared between the objects it builds and whose varying ones come
# from `v`.
def _build(v: list[Any]) -> list[Any]:
    return [{"apiVersion": "v1", "kind": "ShapeTest",
             "metadata": {"name": v[0], "labels": {"fixed": "true", "n": v[1]}},
             "spec": {"flag": True, "count": 3, "ratio": 1.5, "none": None, "empty": {},
                      "items": [], "list": ["a", v[2], {"name": v[3], "port": 8000}],
                      "script": "line one\nline two\n"}},
            {"kind": "ShapeTest2", "data": {"k": v[4]}}]


EMITTERS = yamlemit.shape_emitters(_build, 5)
SLOT_VALUES = st.one_of(scalars, st.sampled_from(["\ue0000\ue001", "\ue000", "x\ny"]),
                        st.floats(allow_nan=True), st.none(), st.lists(scalars, max_size=2),
                        st.dictionaries(keys, scalars, max_size=2))


def _built(values: list[Any]) -> list[Any]:
    """`_build(values)`, each document noted as built in its shape (as the skeleton does)."""
    docs = _build(values)
    for doc, known in zip(docs, EMITTERS, strict=True):
        assert known is not None
        yamlemit.expect(doc, known)
    return docs


def _nodes(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every container's path in `data`."""
    found = [path]
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        if isinstance(value, (dict, list)):
            found += _nodes(value, (*path, key))
    return found


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.text(max_size=20), st.integers()), min_size=5, max_size=5))
def test_an_object_of_a_known_shape_is_written_as_the_walk_writes_it(values: list[Any]) -> None:
    for doc, known, held in zip(_built(values), EMITTERS, (values[:4], values[4:]), strict=True):
        assert emit(doc) == yamlemit.walk(doc)
        # taken from the cut text unless a value holds a line break (a literal block)
        assert known is not None
        assert (known(doc) is None) == any(type(v) is str and "\n" in v for v in held)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_an_object_changed_after_it_was_built_is_written_as_it_is_now(data: Any) -> None:
    """Whatever a caller changes (a value, its type, a key, the order, a list's length), the
    text is that of the object as it is when written."""
    doc = _built(["name", 7, "b", "c", "d"])[0]
    node = _at(doc, data.draw(st.sampled_from(_nodes(doc))))
    change = data.draw(st.sampled_from(["set", "add", "delete", "reorder", "copy"]))
    if isinstance(node, dict):
        key = data.draw(st.sampled_from(sorted(node)) if node else keys)
        if change == "add":
            key = data.draw(keys)
            node[key] = data.draw(SLOT_VALUES)
        elif change == "delete" and key in node:
            del node[key]
        elif change == "reorder" and key in node:
            node[key] = node.pop(key)
        elif change == "copy" and key in node and isinstance(node[key], str):
            node[key] = "".join(list(node[key]))  # equal, but another object
        else:
            node[key] = data.draw(SLOT_VALUES)
    elif change in ("add", "delete") or not node:
        if node and change == "delete":
            node.pop()
        else:
            node.append(data.draw(SLOT_VALUES))
    else:
        node[data.draw(st.integers(0, len(node) - 1))] = data.draw(SLOT_VALUES)
    assert emit(doc) == yamlemit.walk(doc)


def test_fixed_values_are_checked_by_identity_not_equality() -> None:
    """True == 1 == 1.0 and 0.0 == -0.0, but they are written differently."""
    for key, other in (("flag", 1), ("count", 3.0), ("ratio", True), ("none", "null")):
        doc = _built(["n", 1, "b", "c", "d"])[0]
        doc["spec"][key] = other
        assert emit(doc) == yamlemit.walk(doc) != yamlemit.walk(_build(["n", 1, "b", "c", "d"])[0])


def test_a_hint_left_by_another_object_is_harmless() -> None:
    """A hint names a shape by an object's id; one reused by another object, of another shape
    or none, changes nothing."""
    shape, other = EMITTERS
    assert shape is not None and other is not None
    for doc in (_build(["a", 1, "b", "c", "d"])[1], {"kind": "ShapeTest", "x": 1}, {}):
        yamlemit.expect(doc, shape)
        assert emit(doc) == yamlemit.walk(doc)


def test_a_shape_that_cannot_be_cut_exactly_has_no_emitter() -> None:
    """A marker-like text in a key or a fixed value, or one value twice: written by the walk."""
    for build in (lambda v: [{"kind": "Cut1", "\ue0000\ue001": v[0]}],
                  lambda v: [{"kind": "Cut2", "a": v[0], "b": "\ue000"}],
                  lambda v: [{"kind": "Cut3", "a": v[0], "b": v[0]}]):
        assert yamlemit.shape_emitters(build, 1) == [None]


def test_the_character_classes_match_the_spans_they_are_written_from() -> None:
    """The emitter's classes are compiled as complements (`_outside`); over every code point
    they accept exactly what the classes written with the spans accept."""
    import re

    word = "A-Za-z0-9_./\u00c0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    printable = (r"\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                 r"\U00010000-\U0010ffff")
    pairs = [(re.compile(f"[{word}]"), f"[^{yamlemit._outside(yamlemit._WORD)}]"),
             (re.compile(f"[{word} ()+=@$%^&~,;:-]"),
              f"[^{yamlemit._outside(yamlemit._WORD + ' ()+=@$%^&~,;:-')}]"),
             (re.compile(f"[{printable}]"), yamlemit._PRINTABLE.pattern[:-1]),
             (re.compile(f"[^{printable}]"), yamlemit._NON_PRINTABLE.pattern)]
    assert yamlemit._PLAIN.pattern == f"{pairs[0][1]}{pairs[1][1]}*"
    for written, pattern in pairs:
        compiled = re.compile(pattern)
        wrong = [hex(code) for code in range(0x110000)
                 if (written.match(chr(code)) is None) != (compiled.match(chr(code)) is None)]
        assert not wrong, (written.pattern, wrong[:5])
