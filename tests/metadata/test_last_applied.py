"""What client-side apply stores: the object as Go's encoding/json writes it.

The expected texts follow `appendString` in golang/go src/encoding/json/encode.go (Go 1.22 and
later); the helm test checks them against real Go, since Helm's `toJson` is `json.Marshal`.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalog import LAST_APPLIED, go_json, last_applied_size
from tests.chart.support import helm

_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")  # raw, YAML refuses or folds them

TRICKY = {
    "html": ("a<b>&c", r'"a\u003cb\u003e\u0026c"'),
    "line-separators": ("x\u2028y\u2029z", r'"x\u2028y\u2029z"'),
    "non-ascii-kept": ("é—🙂", '"é—🙂"'),
    "quote-and-backslash": ('say "hi" \\ bye', r'"say \"hi\" \\ bye"'),
    "short-escapes": ("\n\r\t\b\f", r'"\n\r\t\b\f"'),
    "other-controls": ("\x00\x01\x1f", r'"\u0000\u0001\u001f"'),
    "del-kept": ("\x7f", '"\x7f"'),
    "c1-kept": ("\x85", '"\x85"'),
}


@pytest.mark.parametrize(("text", "expected"), list(TRICKY.values()), ids=list(TRICKY))
def test_strings_escaped_as_go_does(text: str, expected: str) -> None:
    assert go_json(text) == expected
    assert go_json({text: text}) == "{" + expected + ":" + expected + "}"


def test_compact_and_keys_sorted() -> None:
    assert go_json({"b": [1, True, None], "a": {"z": "", "y": {}}}) == \
        '{"a":{"y":{},"z":""},"b":[1,true,null]}'


def test_measures_the_object_without_its_last_applied_annotation() -> None:
    plain: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "a", "annotations": {"x": "y"}}}
    applied = {**plain, "metadata": {**plain["metadata"], "annotations": {
        "x": "y", LAST_APPLIED: "{" + "z" * 1000 + "}"}}}
    # json.Encoder.Encode ends the text with a newline, which the annotation keeps
    assert last_applied_size(plain) == len(go_json(plain).encode()) + 1
    assert last_applied_size(applied) == last_applied_size(plain)


def test_go_json_is_what_helm_to_json_writes(tmp_path: Path) -> None:
    """Real Go: Helm's `toJson` is `json.Marshal`, the encoder of the last-applied value."""
    obj = {"data": {f"k{i}": text for i, (text, _) in enumerate(TRICKY.values())},
           "metadata": {"name": "n", "labels": {"b": "2", "a": "1"}}, "list": [1, "x", True]}
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: t\nversion: 0.1.0\n", "utf-8")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n"
        "data: {json: {{ toJson .Values.obj | b64enc | quote }}}\n", "utf-8")
    values = tmp_path / "values.json"  # JSON is YAML; its \u escapes carry what YAML can't hold
    values.write_text(_YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(
        {"obj": obj}, ensure_ascii=False)), "utf-8")
    out = helm("template", "t", str(chart), "-f", str(values)).stdout
    [doc] = [d for d in yaml.safe_load_all(out) if d]
    assert base64.b64decode(doc["data"]["json"]).decode() == go_json(obj)
