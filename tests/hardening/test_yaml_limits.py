"""Unit tests for the loader limits the bad-input corpus relies on."""

from __future__ import annotations

import pytest
import yaml

from generator import yamlio
from generator.errors import InvalidInputError


@pytest.mark.parametrize("text", [
    "base: &b {a: 1, b: 2}\nx: {<<: *b, b: 3}\n",
    "one: &o {a: 1}\ntwo: &t {a: 2, c: 3}\nx: {<<: [*o, *t], d: 4}\n",
    "one: &o {a: 1}\nx: {<<: [*o, *o, *o], a: 5}\n",
    "deep: &d {a: 1}\nmid: &m {<<: *d, b: 2}\nx: {<<: [*m, *d], c: 3}\n",
])
def test_merge_keys_mean_what_pyyaml_says(text: str) -> None:
    """Dropping overridden merged pairs changes nothing a document means."""
    assert yamlio.load_one(text, "t") == yaml.load(text, Loader=yaml.SafeLoader)


def test_a_merge_key_bomb_stays_small() -> None:
    lines = ["m0: &m0 {k0: a, k1: b}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}], own{i}: x}}"
              for i in range(1, 30)]
    data = yamlio.load_one("\n".join(lines), "t")
    assert len(data["m29"]) == 2 + 29


@pytest.mark.parametrize("text", ["x: " + "[" * 250 + "]" * 250,
                                  "".join("  " * i + f"k{i}:\n" for i in range(250)),
                                  "".join("  " * i + "- \n" for i in range(250)),
                                  "- " * 300 + "x\n",
                                  "x: " + "[" * 60_000 + "]" * 60_000])
def test_deep_nesting_is_refused_before_composing(text: str) -> None:
    """libyaml's composer recurses in C; 60,000 levels would crash the interpreter.

    Whichever limit fires first (ours, or the one newer libyaml releases carry), the user gets
    one error line that names the source: the wording belongs to whoever refused it.
    """
    with pytest.raises(InvalidInputError) as info:
        yamlio.load_all(text, "deep.yaml")
    message = str(info.value)
    assert message.startswith("deep.yaml")
    assert "\n" not in message


def test_nesting_within_the_limit_loads() -> None:
    text = "x: " + "[" * 150 + "]" * 150
    assert yamlio.load_one(text, "t")["x"]
