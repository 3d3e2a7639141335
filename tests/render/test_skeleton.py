"""Parsing a template's shape once and filling values in gives exactly what parsing every
rendered text gives: same objects, same errors, for any value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import yamlio
from generator.errors import NimGitopsError
from generator.render import skeleton
from generator.render.env import environment

TEMPLATES = {
    "whole values": 'kind: K\nmetadata:\n  name: {{ a | q }}\n  labels: {x: {{ b | q }}}\n'
                    'spec:\n  list: [{{ a | q }}, {{ n | q }}]\n  items:\n  - {{ b | q }}\n',
    "two documents": "---\nkind: A\nmetadata: {name: {{ a | q }}}\n---\n---\nkind: B\n"
                     "metadata: {name: {{ b | q }}, n: {{ n | q }}}\n",
    "inside a longer string": "kind: K\nmetadata: {name: x-{{ a | q }}}\n",
    "in a literal block": "kind: K\ndata:\n  f: |\n    {{ a | q }}\n",
    "as a key": "kind: K\nmetadata:\n  {{ a | q }}: 1\n  {{ b | q }}: 2\n",
    "in a comment": "kind: K # {{ a | q }}\nmetadata: {name: {{ b | q }}}\n",
    "after a backslash": 'kind: K\nmetadata: {name: "x\\{{ a | q }}}\n',
    "fixed values of every kind": "kind: K\nspec: {f: 1.5, i: 2, t: true, z: null, e: [], m: {},"
                                  " s: 'it''s', x: {{ a | q }}, '1': {{ n | q }}}\n",
    "an infinite float": "kind: K\nspec: {inf: .inf, x: {{ a | q }}}\n",
}
texts = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "yes", "1e3", "0755", "~", "a: b", "# c", "\\", '"', "\n", "é", "\u2028", "\ufeff",
     "\x85", "\ud800", "\ue000", "\ue0010\ue001", '"\ue0000\ue001"', "<<", "*a", "&b"]))


def _expected(source: str, context: dict[str, Any]) -> Any:
    """The documents (or the error) of parsing the text rendered with real values."""
    text = environment().from_string(source).render(context)
    try:
        return yamlio.load_all(text, "t")
    except NimGitopsError as exc:
        return ("error", str(exc))


def _actual(source: str, context: dict[str, Any]) -> Any:
    try:
        return skeleton.load_rendered(environment().from_string(source), context, "t")
    except NimGitopsError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@settings(max_examples=150, deadline=None)
@given(a=texts, b=texts, n=st.one_of(st.integers(), st.booleans(), texts))
def test_filled_shape_equals_parsed_text(name: str, a: str, b: str, n: object) -> None:
    context = {"a": a, "b": b, "n": n}
    assert _actual(TEMPLATES[name], context) == _expected(TEMPLATES[name], context)


def test_a_shape_is_parsed_once_and_each_render_gets_its_own_objects() -> None:
    source = TEMPLATES["whole values"]
    first = _actual(source, {"a": "one", "b": "x", "n": 1})
    shapes = len(skeleton._shapes)
    second = _actual(source, {"a": "two", "b": "y", "n": 2})
    assert len(skeleton._shapes) == shapes  # same shape, no new parse
    assert first[0]["metadata"]["name"] == "one" and second[0]["metadata"]["name"] == "two"
    assert second[0]["spec"]["list"] == ["two", 2]
    second[0]["metadata"]["labels"]["x"] = "changed"
    assert _actual(source, {"a": "two", "b": "y", "n": 2})[0]["metadata"]["labels"]["x"] == "y"


def test_placeholders_are_only_written_while_recording() -> None:
    template = environment().from_string("v: {{ a | q }}")
    assert template.render(a="x") == 'v: "x"'


@pytest.mark.parametrize("name, filled", [("whole values", True), ("two documents", True),
                                          ("inside a longer string", False),
                                          ("in a literal block", False), ("as a key", False),
                                          ("in a comment", False), ("after a backslash", False),
                                          ("fixed values of every kind", True),
                                          ("an infinite float", False)])
def test_only_whole_value_placeholders_are_filled(name: str, filled: bool) -> None:
    template = environment().from_string(TEMPLATES[name])
    skeleton._shapes.clear()
    skeleton.load_rendered(template, {"a": "a", "b": "b", "n": 3}, "t")
    (shape,) = skeleton._shapes.values()
    assert (shape is not skeleton._SLOW) is filled
