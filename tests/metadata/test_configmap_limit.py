"""One size rule for the metadata ConfigMap: render, `metadata generate`, `metadata validate`
and policy rule NIM008 give the same verdict right at the API server's 1 MiB limit and one
byte over it; render, the chart, `metadata validate` and NIM008 at Argo CD's client-side apply
threshold (SSA_THRESHOLD bytes of last-applied JSON) and one byte over it.

The API server sums the values of `data` (not the keys) and refuses more than 1,048,576 bytes
(`ValidateConfigMap` in kubernetes' pkg/apis/core/validation/validation.go); the entries here
are sized so that their JSON values add up to exactly that, or one byte more.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest

from generator import catalog as catalog_mod
from generator import yamlio
from generator.catalog import Catalog, ModelEntry, configmap, configmap_yaml
from generator.config import load_config
from generator.render import render_objects
from generator.render.objects import catalog_configmap
from generator.resolve import resolve
from generator.validate import ValidateOptions, validate_objects
from tests.chart.support import helm_template, write_values
from tests.helpers import FAKE_KEY, run_cli
from tests.metadata.conftest import entry
from tests.ngc_server import NgcServer

LIMIT = 1024 * 1024
REDESIGN_CONFIG = Path(__file__).parent.parent / "hardening" / "inputs" / "config" / \
    "valid-redesign.yaml"  # deploys llama-3.1-8b-instruct 1.15.5 and renders nim-models-data
SSA = {"argocd.argoproj.io/sync-options": "ServerSideApply=true"}


def _value_bytes(docs: list[dict[str, Any]]) -> int:
    return sum(len(ModelEntry.from_json_dict(d).to_json().encode()) for d in docs)


@functools.cache
def _docs(total: int) -> tuple[dict[str, Any], ...]:
    """Contract entries whose ConfigMap values add up to exactly `total` bytes."""
    docs = [entry("llama-3.1-8b-instruct", tags=("1.15.5",), latest="1.15.5")]
    while True:
        more = entry(f"model-{len(docs):03d}", shortDescription="d" * 8000)
        if _value_bytes([*docs, more]) > total - 1000:
            break
        docs.append(more)
    last = entry(f"model-{len(docs):03d}", shortDescription="")
    last["shortDescription"] = "d" * (total - _value_bytes([*docs, last]))
    docs.append(last)
    assert _value_bytes(docs) == total
    return tuple(docs)


def _entries(total: int) -> list[ModelEntry]:
    return [ModelEntry.from_json_dict(d) for d in _docs(total)]


def _data_bytes(text: str, source: str) -> int:
    docs = [d for d in yamlio.load_all(text, source) if d.get("kind") == "ConfigMap"]
    [cm] = [d for d in docs if d["metadata"]["name"] == "nim-models-data"]
    return sum(len(v.encode()) for v in cm["data"].values())


def _one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize(("total", "fits"), [(LIMIT, True), (LIMIT + 1, False)],
                         ids=["at-the-limit", "one-byte-over"])
def test_render_generate_validate_and_nim008_agree(tmp_path: Path, total: int,
                                                   fits: bool) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(configmap_yaml(_entries(total)), "utf-8")

    rendered = run_cli(["render", str(REDESIGN_CONFIG), "--catalog", str(catalog), "-o", "-"])
    generated = tmp_path / "generated.yaml"
    with NgcServer(list(_docs(total))) as ngc:
        generate = run_cli(["metadata", "generate", "--ngc-url", ngc.base_url, "-o",
                            str(generated), "--retries", "0", "-q"],
                           env={"NGC_API_KEY": FAKE_KEY})  # a fake key the loopback accepts
    validated = run_cli(["metadata", "validate", str(catalog)])
    report = validate_objects([configmap(_entries(total), annotations=SSA)],
                              ValidateOptions(ignore_missing_schemas=True))
    nim008 = [f for _, f in report.problems() if f.rule == "NIM008"]

    if fits:
        assert rendered.code == 0, rendered.err
        assert _data_bytes(rendered.out, "render") == LIMIT
        assert generate.code == 0, generate.err
        assert _data_bytes(generated.read_text("utf-8"), str(generated)) == LIMIT
        assert validated.code == 0, validated.err
        assert validated.out == f"ok {catalog} ({len(_docs(total))} models)\n"
        assert nim008 == []
    else:
        # one sentence for the one rule, each command adding where (file, field) and what to do
        [finding] = nim008
        sentence = finding.message
        assert finding.path == "$.data" and "1,048,577 bytes" in sentence
        assert rendered.code == 1 and rendered.out == ""
        line = _one_error(rendered.err)
        assert "spec.platform.catalog" in line and sentence in line
        assert generate.code == 3
        line = _one_error(generate.err)
        assert str(generated) in line and sentence in line
        assert not generated.exists()
        assert validated.code == 1 and validated.out == ""
        data_line = catalog.read_text("utf-8").splitlines().index("data:") + 1
        assert f"error: {catalog}:{data_line} data: {sentence}" in validated.err


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)], ids=["at", "over"])
def test_binary_data_counts_its_decoded_bytes(extra: int, refused: bool) -> None:
    """binaryData is base64 in YAML; the API server counts the bytes it decodes to."""
    import base64

    half = LIMIT // 2
    blob = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "blob", "namespace": "ns", "annotations": SSA},
            "data": {"text": "x" * (half + extra)},
            "binaryData": {"blob": base64.b64encode(b"\0" * (LIMIT - half)).decode()}}
    report = validate_objects([blob], ValidateOptions(ignore_missing_schemas=True))
    assert [f.rule for _, f in report.problems()] == (["NIM008"] if refused else [])


def _cm(data: dict[str, str], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "big", "namespace": "ns"}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


# Little data, much JSON: the keys count in the last-applied annotation but not against the
# API server's 1 MiB, and Go's encoding/json writes `<` and control characters as 6 bytes.
JSON_HEAVY = {
    "key-heavy": {f"k{i:04d}-" + "k" * 194: "" for i in range(1500)},
    "html-escaped": {"k": "<" * 50000},
    "control-characters": {"k": "\x01" * 50000},
}


@pytest.mark.parametrize("data", list(JSON_HEAVY.values()), ids=list(JSON_HEAVY))
def test_small_data_with_large_json_needs_server_side_apply(data: dict[str, str]) -> None:
    """The client-side apply threshold measures the object's JSON, however little data it has."""
    cm = _cm(data)
    assert catalog_mod.data_size(cm) < catalog_mod.SSA_THRESHOLD // 2
    assert catalog_mod.client_side_apply_size(cm) is not None
    report = validate_objects([cm], ValidateOptions(ignore_missing_schemas=True))
    assert [f.rule for _, f in report.problems()] == ["NIM008"]
    marked = validate_objects([_cm(data, SSA)], ValidateOptions(ignore_missing_schemas=True))
    assert [f.rule for _, f in marked.problems()] == []


def test_the_warning_keeps_its_fix_with_the_longest_name() -> None:
    """A finding is cut at 240 characters; a ConfigMap name may take 253 of them, and what to
    add must survive the cut."""
    cm = _cm(JSON_HEAVY["key-heavy"])
    cm["metadata"]["name"] = "n" * 253
    report = validate_objects([cm], ValidateOptions(ignore_missing_schemas=True))
    [finding] = [f for _, f in report.problems()]
    assert "argocd.argoproj.io/sync-options: ServerSideApply=true" in finding.message


NAMESPACE = "redhat-ods-applications"  # where render puts nim-models-data for REDESIGN_CONFIG


@functools.cache
def _ssa_entries(total: int) -> tuple[ModelEntry, ...]:
    """Entries whose ConfigMap (in NAMESPACE) is exactly `total` bytes of last-applied JSON:
    each `d` of a description is one byte of it."""
    def size(entries: list[ModelEntry]) -> int:
        return catalog_mod.last_applied_size(configmap(entries, namespace=NAMESPACE))

    entries = [ModelEntry.from_json_dict(entry("llama-3.1-8b-instruct", tags=("1.15.5",),
                                               latest="1.15.5"))]
    while size(entries) < total - 20000:
        entries.append(ModelEntry.from_json_dict(
            entry(f"model-{len(entries):03d}", shortDescription="d" * 8000)))
    last = entry(f"model-{len(entries):03d}", shortDescription="")
    last["shortDescription"] = "d" * (total - size([*entries, ModelEntry.from_json_dict(last)]))
    entries.append(ModelEntry.from_json_dict(last))
    assert size(entries) == total
    return tuple(entries)


@pytest.mark.slow
@pytest.mark.parametrize("extra", [0, 1], ids=["at-the-threshold", "one-byte-over"])
def test_client_side_apply_limit_one_verdict_one_sentence(tmp_path: Path, extra: int) -> None:
    """At SSA_THRESHOLD bytes of last-applied JSON and one byte over, render, the chart (real
    helm), `metadata validate` and NIM008 agree, the last two with the same sentence."""
    total = catalog_mod.SSA_THRESHOLD + extra
    entries = _ssa_entries(total)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(configmap_yaml(entries, namespace=NAMESPACE), "utf-8")
    rendered = run_cli(["render", str(REDESIGN_CONFIG), "--catalog", str(catalog), "-o", "-"])
    assert rendered.code == 0, rendered.err
    [cm] = [d for d in yamlio.load_all(rendered.out, "render")
            if d["metadata"]["name"] == "nim-models-data"]
    assert catalog_mod.last_applied_size({**cm, "metadata": {
        k: v for k, v in cm["metadata"].items() if k != "annotations"}}) == total
    chart = tmp_path / "chart"
    assert run_cli(["chart", "--catalog", str(catalog), "-o", str(chart)]).code == 0
    values = write_values(REDESIGN_CONFIG, tmp_path / "values.yaml", catalog)
    [charted] = [d for d in yamlio.load_all(helm_template(chart, values), "helm")
                 if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "nim-models-data"]
    report = validate_objects([configmap(entries, namespace=NAMESPACE)],
                              ValidateOptions(ignore_missing_schemas=True))
    validated = run_cli(["metadata", "validate", str(catalog)])
    assert validated.code == 0, validated.err
    if not extra:
        assert "annotations" not in cm["metadata"]
        assert "annotations" not in charted["metadata"]
        assert list(report.problems()) == []
        assert validated.err == ""
        return
    assert cm["metadata"]["annotations"] == SSA == charted["metadata"]["annotations"]
    [finding] = [f for _, f in report.problems()]
    assert finding.rule == "NIM008" and finding.path == "$.metadata.annotations"
    assert f"{total:,} bytes as JSON (what client-side apply stores)" in finding.message
    assert validated.err == f"warning: {catalog}: {finding.message}\n"


def test_render_writes_the_configmap_resolve_checked() -> None:
    """One object for the size check and the output: render copies `Plan.model_list` (adding
    the server-side apply annotation to the copy), so rendering a plan twice gives the same."""
    config = load_config(REDESIGN_CONFIG)
    plan = resolve(config, Catalog({e.name: e for e in _entries(300_000)}, "big"))
    checked = copy.deepcopy(plan.model_list)
    first, second = ([o.obj for o in render_objects(plan)] for _ in range(2))
    assert first == second
    [cm] = [o for o in first if o["kind"] == "ConfigMap"
            and o["metadata"]["name"] == "nim-models-data"]
    assert plan.model_list == checked and checked is not None
    assert "annotations" not in checked["metadata"]
    assert cm == {**checked, "metadata": {**checked["metadata"], "annotations": SSA}}


@pytest.mark.parametrize("namespace", ["a", "n" * 63])
def test_each_namespace_copy_is_judged_by_its_own_size(monkeypatch: pytest.MonkeyPatch,
                                                        namespace: str) -> None:
    """render measures the model list once and adjusts for each namespace it copies it into:
    the verdict at the threshold is the one a direct measure of the copy gives."""
    plan = resolve(load_config(REDESIGN_CONFIG), Catalog({e.name: e for e in _entries(5_000)},
                                                         "small"))
    base = copy.deepcopy(plan.model_list)
    assert base is not None
    exact = catalog_mod.last_applied_size(
        {**base, "metadata": {**base["metadata"], "namespace": namespace}})
    for threshold, annotated in ((exact - 1, True), (exact, False)):
        monkeypatch.setattr(catalog_mod, "SSA_THRESHOLD", threshold)
        [cm] = catalog_configmap(plan, namespace)
        assert cm["metadata"]["namespace"] == namespace
        assert ("annotations" in cm["metadata"]) is annotated
    assert plan.model_list == base  # the plan's own object is never changed
