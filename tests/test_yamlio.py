"""The single YAML setup: safe loading and canonical, unambiguous dumping."""

from __future__ import annotations

from typing import Any

import pytest

from generator import yamlio
from generator.errors import InvalidInputError


@pytest.mark.parametrize("text", ["yes", "no", "on", "1e3", "0755", "1.15", "null", "~", "",
                                  "true", "0x1F", "-1", ".5", "1.15.5", "12:30"])
def test_ambiguous_strings_stay_strings(text: str) -> None:
    dumped = yamlio.dump({"v": text})
    assert yamlio.load_one(dumped, "t")["v"] == text
    assert '"' in dumped


@pytest.mark.parametrize("text", ["a: b", "#x", "- item", "{x}", "[1]", "@at", "`tick`", "é ü",
                                  "multi\nline\n", "trailing ", "'quote'", '"dq"'])
def test_special_strings_round_trip(text: str) -> None:
    assert yamlio.load_one(yamlio.dump({"v": text}), "t")["v"] == text


def test_duplicate_keys_are_refused_with_line() -> None:
    with pytest.raises(InvalidInputError) as err:
        yamlio.load_all("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert "dup.yaml:3" in str(err.value)
    assert "duplicate key 'a'" in str(err.value)


def test_timestamps_stay_strings() -> None:
    assert yamlio.load_one("d: 2026-02-04T19:47:27.380Z\n", "t")["d"] == "2026-02-04T19:47:27.380Z"


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    with pytest.raises(InvalidInputError, match="aliases expand"):
        yamlio.load_all("\n".join(lines) + "\n", "bomb.yaml")


def test_non_utf8_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="not valid UTF-8"):
        yamlio.decode(b"a: \xff\n", "x.yaml")


def test_bom_is_dropped() -> None:
    assert yamlio.load_one(yamlio.decode(b"\xef\xbb\xbfa: 1\n", "x"), "x") == {"a": 1}


def test_lines_are_mapped_to_paths() -> None:
    data, lines = yamlio.load_with_lines("spec:\n  projects:\n  - name: a\n  - name: b\n", "c")
    assert data["spec"]["projects"][1]["name"] == "b"
    assert lines[("spec", "projects", 1, "name")] == 4
    assert yamlio.format_path(("spec", "projects", 1, "name")) == "spec.projects[1].name"


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(InvalidInputError) as err:
        yamlio.load_all("a: 1\nb: [\n", "bad.yaml")
    assert str(err.value).startswith("bad.yaml:")


SAMPLES = [
    "a: 1\nb: 0x1F\nc: 0o17\nd: 1_000\ne: 1:30\nf: 1.5e3\ng: .inf\nh: -.nan\n",
    "t: [yes, No, on, OFF, true, ~, null, '', \"\", '1', 2001-12-14]\n",
    "base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n",
    "=: equals\nk: v\n",
    "a: !!str 12\nb: !!binary aGk=\nc: !!set {x}\n",
    "? [a, b]\n: complex key\n",
    "a: 1\na: 2\n",
    "1: int\ntrue: bool\n",
    "- {a: [1, {b: [x, y]}]}\n- !custom thing\n",
    "--- 1\n---\n--- [a]\n--- {k: v}\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_direct_construction_equals_pyyaml(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading builds the same data, or fails with the same error, as PyYAML's constructor."""
    def outcome() -> Any:
        try:
            return repr(yamlio.load_all(text, "t"))  # repr: nan != nan, but prints alike
        except InvalidInputError as exc:
            return ("error", str(exc))

    fast = outcome()

    def unusual(node: Any, loader: Any) -> Any:
        raise yamlio._Unusual

    monkeypatch.setattr(yamlio, "_direct", unusual)
    assert fast == outcome()
