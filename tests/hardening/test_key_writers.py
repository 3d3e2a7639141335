"""Keys on every writer (issue #27, items 1 and 2): no command writes key material into a file or
a data stream, and data is never rewritten to hide one.

- `migrate render` of a runtime whose NGC_API_KEY is a literal value writes a reference to the
  key Secret the migration creates instead, and says to store and revoke the key;
- every tree and single-file writer refuses text holding a key, naming where it sits, before a
  byte is written (stdout included);
- data on stdout passes through unchanged: no `***` inside a manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import FAKE_KEY, REPO, kustomize_build, run_cli

DATA = REPO / "tests" / "data" / "migrate"
ESO = ["--provider", "external-secrets", "--store", "vault-nim"]


def _literal_export(tmp_path: Path, value: str = FAKE_KEY) -> Path:
    """The legacy-modal export with its first runtime's key typed in as a literal value."""
    text = (DATA / "legacy-modal.yaml").read_text("utf-8")
    before = ("      - name: NGC_API_KEY\n        valueFrom:\n          secretKeyRef:\n"
              "            key: NGC_API_KEY\n            name: nvidia-nim-secrets\n")
    assert before in text
    text = text.replace(before, f"      - name: NGC_API_KEY\n        value: {value}\n", 1)
    path = tmp_path / "export.yaml"
    path.write_text(text, "utf-8")
    return path


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text("utf-8")
            for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("value", [FAKE_KEY, "a-legacy-key-of-another-shape"])
def test_migrate_replaces_a_literal_key_with_the_reference_it_creates(
        tmp_path: Path, value: str) -> None:
    out = tmp_path / "out"
    result = run_cli(["migrate", "render", str(_literal_export(tmp_path, value)), "-o", str(out),
                      *ESO])
    assert result.code == 0, result.err
    files = _files(out)
    assert not [rel for rel, text in files.items() if value in text]
    assert value not in result.out + result.err
    built = {(d["kind"], d["metadata"]["name"]): d
             for d in yamlio.load_all(kustomize_build(out / "fraud-detection"), "kustomize")}
    runtime = built[("ServingRuntime", "llama-318b")]
    env = {e["name"]: e for e in runtime["spec"]["containers"][0]["env"]}
    assert env["NGC_API_KEY"] == {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
        "name": "nim-api-key-llama-318b", "key": "NGC_API_KEY"}}}
    # the Secret it references is created by the migration's scaffolds
    assert ("ExternalSecret", "nim-api-key-llama-318b") in built
    plan = run_cli(["migrate", "plan", str(_literal_export(tmp_path, value))])
    assert "literal value, written to no file" in plan.out and "revoke" in plan.out
    assert value not in plan.out + plan.err


def _config(tmp_path: Path, **spec: Any) -> Path:
    config = {"apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
              "metadata": {"name": "k"},
              "spec": {"projects": [{"name": "p", "deployments": [
                  {"name": "d", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"}]}], **spec}}
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    return path


KRM_SECRET = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "handmade", "namespace": "p"},
              "stringData": {"NGC_API_KEY": FAKE_KEY}}


def _resource_list(config: Path, *items: dict[str, Any]) -> str:
    function_config = yamlio.load_one(config.read_text("utf-8"), str(config))
    return yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                        "items": list(items), "functionConfig": function_config})


def test_krm_refuses_a_key_in_a_pass_through_item_and_writes_nothing(tmp_path: Path) -> None:
    result = run_cli(["krm"], input=_resource_list(_config(tmp_path), KRM_SECRET))
    assert result.code == 1
    assert result.out == ""
    (line,) = result.err.strip().splitlines()
    assert "<stdout>" in line and "Secret/handmade" in line and "stringData.NGC_API_KEY" in line
    assert FAKE_KEY not in result.err


def test_data_on_stdout_is_never_rewritten(tmp_path: Path) -> None:
    """Text that merely mentions nvapi- (no key) reaches stdout as it is."""
    note = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "note", "namespace": "p"},
            "data": {"how": "keys start with nvapi- and live in Vault"}}
    result = run_cli(["krm"], input=_resource_list(_config(tmp_path), note))
    assert result.code == 0, result.err
    items = yamlio.load_one(result.out, "krm")["items"]
    (passed,) = [i for i in items if i["metadata"]["name"] == "note"]
    assert passed["data"]["how"] == note["data"]["how"]
    assert "***" not in result.out


@pytest.mark.parametrize("writer", ["tree", "file", "stdout"])
def test_every_writer_refuses_key_material_before_writing(tmp_path: Path, writer: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The guard sits in the writers themselves: a key that reached a rendered object by any
    path is refused there, naming the file (or stdout), the object and the field."""
    from generator import writer as writer_mod
    from generator.errors import InvalidInputError

    text = yamlio.dump({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "leak", "namespace": "p"},
                        "data": {"key": FAKE_KEY}})
    target = tmp_path / "out"
    with pytest.raises(InvalidInputError) as refused:
        if writer == "tree":
            writer_mod.plan_tree(target, {"p/leak.yaml": text}, "render")
        elif writer == "file":
            writer_mod.atomic_write(target / "leak.yaml", text)
        else:
            writer_mod.atomic_write("-", text)
    message = str(refused.value)
    assert "ConfigMap/leak at data.key" in message and FAKE_KEY not in message
    assert not target.exists()


def test_a_registered_key_is_refused_whatever_its_shape(tmp_path: Path) -> None:
    """A key read by the tool (registered for masking) is refused in data even when it does
    not look like an nvapi- key."""
    from generator import redact, writer
    from generator.errors import InvalidInputError

    odd = "legacy-key-" + "q" * 30
    redact.register(odd)
    try:
        with pytest.raises(InvalidInputError):
            writer.atomic_write(tmp_path / "x.json", json.dumps({"k": odd}))
    finally:
        redact._SECRETS.discard(odd)
    assert not (tmp_path / "x.json").exists()


# --- issue #27 item 5: keys in the base64 the API server decodes --------------------------------

def _wrapped(text: str, offset: int) -> str:
    """base64 of `offset` filler bytes and `text`, wrapped at 20 characters as some tools do."""
    import base64

    encoded = base64.b64encode(b"x" * offset + text.encode()).decode()
    return "\n".join(encoded[i:i + 20] for i in range(0, len(encoded), 20))


@pytest.mark.parametrize("offset", [0, 1, 2])
@pytest.mark.parametrize("kind", ["Secret", "ConfigMap"])
def test_a_key_in_wrapped_or_misaligned_base64_is_caught(tmp_path: Path, kind: str,
                                                         offset: int) -> None:
    """Go's base64 (the API server's) skips line breaks, and a key need not start on a
    3-byte boundary: validate and every writer decode as the API server does."""
    from generator import writer
    from generator.errors import InvalidInputError

    field = "data" if kind == "Secret" else "binaryData"
    obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "hidden", "namespace": "p"},
           field: {"k": _wrapped(FAKE_KEY, offset)}}
    path = tmp_path / "obj.yaml"
    path.write_text(yamlio.dump(obj), "utf-8")
    result = run_cli(["validate", str(path)])
    assert result.code == 1 and ("NIM001" in result.out or "NIM002" in result.out), result.out
    with pytest.raises(InvalidInputError, match=f"{kind}/hidden at {field}.k"):
        writer.atomic_write(tmp_path / "out.yaml", yamlio.dump(obj))
    assert not (tmp_path / "out.yaml").exists()
