"""The fast emitter's output always loads back to the same data (property-based)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import yamlio
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
