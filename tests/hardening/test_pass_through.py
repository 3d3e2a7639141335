"""Objects passed through `krm` and `migrate render` keep their meaning (issue #27, item 6):
they are read with YAML 1.2's core schema, as kustomize and kpt read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import yamlio
from tests.hardening.test_key_writers import DATA, ESO, _config, _resource_list
from tests.helpers import run_cli

PASS_THROUGH = """apiVersion: v1
kind: ConfigMap
metadata: {name: schedule, namespace: p}
data:
  window: 12:30
  switch: on
  answer: yes
  mode: 0755
binaryData:
  blob: !!binary aGVsbG8=
"""


def test_krm_passes_yaml_12_scalars_through_as_written(tmp_path: Path) -> None:
    item = yamlio.load_one(PASS_THROUGH, "item", core=True)
    text = _resource_list(_config(tmp_path), item)
    # the same object, as kustomize writes it into the ResourceList (plain scalars)
    text = text.replace('window: "12:30"', "window: 12:30").replace('switch: "on"', "switch: on")
    result = run_cli(["krm"], input=text)
    assert result.code == 0, result.err
    (passed,) = [i for i in yamlio.load_all(result.out, "krm")[0]["items"]
                 if i["metadata"]["name"] == "schedule"]
    assert passed["data"] == {"window": "12:30", "switch": "on", "answer": "yes", "mode": 755}
    assert passed["binaryData"] == {"blob": "aGVsbG8="}


def test_migrate_keeps_exported_scalars(tmp_path: Path) -> None:
    text = (DATA / "legacy-modal.yaml").read_text("utf-8").replace(
        "      opendatahub.io/apiProtocol: REST\n",
        "      opendatahub.io/apiProtocol: REST\n      maintenance-window: 12:30\n"
        "      enabled: on\n", 1)
    export = tmp_path / "export.yaml"
    export.write_text(text, "utf-8")
    out = tmp_path / "out"
    result = run_cli(["migrate", "render", str(export), "-o", str(out), *ESO])
    assert result.code == 0, result.err
    live = yamlio.load_one((out / "fraud-detection/live/servingruntime-llama-318b.yaml")
                           .read_text("utf-8"), "live")
    annotations = live["metadata"]["annotations"]
    assert annotations["maintenance-window"] == "12:30" and annotations["enabled"] == "on"


# --- issue #27 item 16: the KRM function never replaces a user's item ---------------------------

def _generated(tmp_path: Path) -> list[dict[str, Any]]:
    result = run_cli(["krm"], input=_resource_list(_config(tmp_path)))
    assert result.code == 0, result.err
    items: list[dict[str, Any]] = yamlio.load_one(result.out, "krm")["items"]
    return items


def test_krm_keeps_a_users_item_that_shares_an_identity(tmp_path: Path) -> None:
    generated = _generated(tmp_path)
    pvc = next(i for i in generated if i["kind"] == "PersistentVolumeClaim")
    users = {**pvc, "spec": {**pvc["spec"], "storageClassName": "the-users-class"}}
    result = run_cli(["krm"], input=_resource_list(_config(tmp_path), users))
    assert result.code == 0, result.err
    items = yamlio.load_one(result.out, "krm")["items"]
    same = [i for i in items if (i["kind"], i["metadata"]["name"]) ==
            ("PersistentVolumeClaim", pvc["metadata"]["name"])]
    assert same == [users]
    assert "items[0] PersistentVolumeClaim/p/d-cache" in result.err
    assert "kept as it is" in result.err


def test_krm_replaces_its_own_earlier_output(tmp_path: Path) -> None:
    """Run on its own output (a kpt pipeline run twice): the same items, once each."""
    generated = _generated(tmp_path)
    annotated = [{**i, "metadata": {**i["metadata"], "annotations": {
        **(i["metadata"].get("annotations") or {}),
        "config.kubernetes.io/index": "0"}}} for i in generated]
    result = run_cli(["krm"], input=_resource_list(_config(tmp_path), *annotated))
    assert result.code == 0, result.err
    assert yamlio.load_one(result.out, "krm")["items"] == generated
    assert "kept as it is" not in result.err
