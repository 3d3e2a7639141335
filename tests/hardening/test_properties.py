"""Property-based tests: catalog text survives the ConfigMap, valid configs render to valid trees.

1. Any model entry (names as ConfigMap keys allow, any display name and description: YAML and
   JSON specials, quotes, newlines, unicode, very long) goes through the ConfigMap writer and
   comes back unchanged from what the dashboard does: parse the YAML, `JSON.parse` each value.
   A few examples take the whole `metadata generate` path against the loopback NGC server.
2. Any config that passes the schema and render's checks, drawn over the sample catalog (both
   backends, cache profiles, preloads and mirrored sources, key revisions on every holder),
   renders a tree that `kubectl kustomize` builds and `nim-gitops validate` accepts, the same
   bytes every time.
3. Every rendering command gives the same bytes under different `PYTHONHASHSEED`s.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import yamlio
from generator.catalog import (
    KEY_PATTERN,
    ModelEntry,
    configmap_yaml,
    load_sample_catalog,
    valid_key,
)
from tests.helpers import FAKE_KEY, kustomize_build, run_cli
from tests.ngc_server import NgcServer

SLOW = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# --- 1. catalog text round trip -------------------------------------------------------------

# everything a str can hold except lone surrogates, which no UTF-8 file can carry
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
TRICKY = st.sampled_from([
    "", " ", "yes", "no", "null", "~", "1e3", "0755", "0x1F", "-", "---", "...", "- a",
    "a: b", "#c", "&a", "*a", "!tag", "%x", "@x", "`x`", "{}", "[]", "'", '"', "\\", "\t",
    "\n", "\r\n", "\u2028", "\u0085", "\ufeff", "\x7f", "\x00", "é", "日本語", "🦙",
    "line one\nline two\n", "  leading", "trailing  ", '{"json": [1, 2]}', "<script>",
])
TEXT = st.one_of(ANY_TEXT, TRICKY, st.lists(TRICKY, max_size=8).map("".join),
                 # extreme lengths, built cheaply from a short random piece
                 st.tuples(ANY_TEXT.filter(bool), st.integers(500, 5_000)).map(
                     lambda piece: piece[0] * piece[1]))
# names that can be ConfigMap keys (a catalog entry named "." or ".." cannot be one, and no
# HTTP client can even ask NGC for it: the path's dot segment is removed)
NAME = st.one_of(st.from_regex(KEY_PATTERN, fullmatch=True).filter(valid_key),
                 st.tuples(st.sampled_from("aZ9.-_"), st.integers(100, 253)).map(
                     lambda piece: "m" + piece[0] * (piece[1] - 1)))
TAG = st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True)


@st.composite
def entries(draw: st.DrawFn) -> ModelEntry:
    tags = draw(st.lists(TAG, min_size=1, max_size=5, unique=True))
    return ModelEntry(
        name=draw(NAME), display_name=draw(TEXT), short_description=draw(TEXT),
        namespace=draw(st.sampled_from(["nim/meta", "nim/nvidia", "nim/mistralai"])),
        # a timestamp, as the metadata schema wants (generate sets other values aside)
        tags=tuple(tags), latest_tag=tags[0],
        updated_date=draw(st.sampled_from(["2025-01-01T00:00:00Z", "2026-02-04T19:47:27.380Z"])),
        eu_restricted=draw(st.booleans()),
    )


# characters go-yaml (kustomize, Argo CD) refuses even inside an escaped string
GO_YAML_REFUSES = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")


def dashboard_view(text: str) -> dict[str, dict[str, Any]]:
    """What the dashboard reads: the ConfigMap's data, each value parsed as JSON."""
    doc = yaml.safe_load(text)
    return {key: json.loads(value) for key, value in doc["data"].items()}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(st.lists(entries(), max_size=4, unique_by=lambda e: e.name))
def test_catalog_text_survives_the_configmap(models: list[ModelEntry]) -> None:
    text = configmap_yaml(models)
    assert dashboard_view(text) == {m.name: m.to_json_dict() for m in models}
    assert yamlio.load_one(text, "t") == yaml.safe_load(text)  # our loader agrees
    assert not GO_YAML_REFUSES.search(text), "kustomize could not carry this ConfigMap"


def _server_doc(entry: ModelEntry) -> dict[str, Any]:
    return {**entry.to_json_dict(), "euRestricted": False}


@SLOW
@given(models=st.lists(entries(), min_size=1, max_size=3, unique_by=lambda e: e.name))
def test_metadata_generate_round_trips_catalog_text(models: list[ModelEntry],
                                                   tmp_path_factory: pytest.TempPathFactory,
                                                   ) -> None:
    """The whole `metadata generate` path: NGC's JSON in, the dashboard's view out."""
    models = [m for m in models if m.display_name.strip() and m.short_description.strip()]
    out = tmp_path_factory.mktemp("gen") / "cm.yaml"
    with NgcServer([_server_doc(m) for m in models], page_size=2) as server:
        result = run_cli(["metadata", "generate", "-o", str(out), "--ngc-url", server.base_url,
                          "--retries", "0", "-q"], env={"NGC_API_KEY": FAKE_KEY})
    assert result.code == 0, result.err
    got = dashboard_view(out.read_text("utf-8"))
    for model in models:
        for field in ("name", "displayName", "shortDescription"):
            assert got[model.name][field] == model.to_json_dict()[field], field


# --- 2. valid configs render, build and validate ---------------------------------------------

SAMPLE = load_sample_catalog()
DNS = st.from_regex(r"[a-z]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True)
# what a config may hold: no control characters (parse_config refuses them), but any other
# unicode, YAML indicators, quotes, tabs and newlines
DISPLAY_NAME = st.text(st.characters(exclude_categories=["Cc", "Cs", "Cn"]) | st.sampled_from(
    "\t\n:#&*!|>'\"%@`"), min_size=1, max_size=80).filter(str.strip)
QUANTITY = st.sampled_from(["1Gi", "50Gi", "500Mi", "2", "1.5", "100m", "1e3", 10])
BACKEND = st.sampled_from(["kserve", "nim-operator"])
REVISION = st.integers(1, 1_000_000)
PROFILE = st.one_of(st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
                    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True))
# where mirrored weights live: a filled PVC to clone, an S3 prefix, an OCI artifact
SOURCE = st.one_of(
    DNS.map(lambda name: {"pvc": name}),
    st.builds(lambda bucket, endpoint: {"s3": {
        "url": f"s3://{bucket}/nim/weights", "image": "registry.example.com/tools/aws:2.15.0",
        "credentialsSecret": "s3-creds", **({"endpoint": endpoint} if endpoint else {})}},
        st.from_regex(r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]", fullmatch=True),
        st.sampled_from([None, "https://minio.example:9000"])),
    st.builds(lambda ref, secret: {"oci": {
        "ref": ref, "image": "registry.example.com/tools/oras:1.2.0",
        **({"pullSecret": secret} if secret else {})}},
        st.sampled_from(["registry.example.com/weights/llama:1.0",
                         "registry.example.com:5000/w/m@sha256:" + "0" * 64]),
        st.sampled_from([None, "oci-pull"])),
)


@st.composite
def caches(draw: st.DrawFn) -> dict[str, Any]:
    cache: dict[str, Any] = {}
    if draw(st.booleans()):
        cache["profiles"] = draw(st.lists(PROFILE, min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        cache["preload"] = draw(st.booleans())
    if draw(st.booleans()):
        cache["source"] = draw(SOURCE)
    return cache


@st.composite
def deployments(draw: st.DrawFn, name: str) -> dict[str, Any]:
    model = SAMPLE.models[draw(st.sampled_from(sorted(SAMPLE.models)))]
    dep: dict[str, Any] = {"name": name, "model": model.name}
    pinned = sorted(t for t in model.tags if model.newest_pinned_tag() and
                    t.count(".") == 2)
    if pinned and draw(st.booleans()):
        dep["tag"] = draw(st.sampled_from(pinned))
    if draw(st.booleans()):
        dep["displayName"] = draw(DISPLAY_NAME)
    if draw(st.booleans()):
        dep["gpus"] = draw(st.integers(0, 8))
    if draw(st.booleans()):
        dep["replicas"] = draw(st.integers(0, 3))
    if draw(st.booleans()):
        dep["protocol"] = draw(st.sampled_from(["http", "grpc"]))
    if draw(st.booleans()):
        dep["storage"] = {"size": draw(QUANTITY)}
    if draw(st.booleans()):
        dep["resources"] = {"requests": {"cpu": draw(QUANTITY), "memory": draw(QUANTITY)}}
    if draw(st.booleans()):
        dep["backend"] = draw(BACKEND)
    if draw(st.booleans()):
        dep["cache"] = draw(caches())
    return dep


def _downloads_from_ngc(dep: dict[str, Any], platform: dict[str, Any]) -> bool:
    """A NIMCache, or a preload Job, fetches the weights from NGC (generator/resolve.py
    _check_key_source): without extended details that needs a key, which provider none never
    references."""
    cache = dep.get("cache", {})
    operator = dep.get("backend", platform.get("backend", "kserve")) == "nim-operator"
    return "source" not in cache and (operator or bool(cache.get("preload")))


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    project_names = draw(st.lists(DNS, min_size=1, max_size=3, unique=True))
    projects = []
    for project in project_names:
        names = draw(st.lists(DNS.filter(lambda s: s[0].isalpha()), max_size=3, unique=True))
        projects.append({"name": project,
                         "deployments": [draw(deployments(n)) for n in names]})
    provider = draw(st.sampled_from(["external-secrets", "vault", "none"]))
    secrets: dict[str, Any] = {"provider": provider,
                               "scope": draw(st.sampled_from(["deployment", "project"]))}
    if provider == "external-secrets":
        secrets["externalSecrets"] = {"storeRef": {"name": draw(DNS)},
                                      "pinVersion": draw(st.booleans())}
    elif provider == "vault":
        secrets["vault"] = {"pinVersion": draw(st.booleans())}
    platform: dict[str, Any] = {
        "target": draw(st.sampled_from(["current", "redesign"])),
        "templates": draw(st.sampled_from([["http"], ["grpc"], ["http", "grpc"]])),
        "account": {"manage": draw(st.booleans())},
    }
    if draw(st.booleans()):
        platform["backend"] = draw(BACKEND)
    if draw(st.booleans()):
        platform["account"]["keyRevision"] = draw(REVISION)
    # a key revision sits on whoever holds the key: the project (scope project) or each
    # deployment (scope deployment)
    for project in projects:
        holders = [project] if secrets["scope"] == "project" else project["deployments"]
        for holder in holders:
            if draw(st.booleans()):
                holder["keyRevision"] = draw(REVISION)
        if provider == "none":  # mirrored weights instead of an NGC download
            for dep in project["deployments"]:
                if _downloads_from_ngc(dep, platform):
                    dep.setdefault("cache", {})["source"] = draw(SOURCE)
    operator = any(d.get("backend", platform.get("backend", "kserve")) == "nim-operator"
                   for p in projects for d in p["deployments"])
    if provider == "none" and operator:
        # NIM Operator v3.1.2 wants an authSecret that provider none cannot give (resolve.py
        # _check_auth_secret refuses it in one line); main serves mirrored weights without one
        platform["nimOperator"] = {"version": "main"}
    if draw(st.booleans()):  # an allow-list holding every deployed model and maybe more
        used = {d["model"] for p in projects for d in p["deployments"]}
        extra = draw(st.lists(st.sampled_from(sorted(SAMPLE.models)), max_size=2))
        platform["catalog"] = {"models": sorted(used | set(extra)) or sorted(SAMPLE.models)[:1]}
    return {
        "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
        "kind": "NimGitOps",
        "metadata": {"name": draw(DNS)},
        "spec": {
            "platform": platform,
            "secrets": secrets,
            "projects": projects,
        },
    }


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@SLOW
@given(config=configs())
def test_any_valid_config_renders_a_tree_that_builds_and_validates(
    config: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, crd_schemas: str,
) -> None:
    from generator.validate import ValidateOptions, validate_paths

    work = tmp_path_factory.mktemp("render")
    path = work / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    other = "redesign" if config["spec"]["platform"]["target"] == "current" else "current"
    assert run_cli(["render", str(path), "-o", "-", "--target", other]).code == 0
    first, second = work / "one", work / "two"
    result = run_cli(["render", str(path), "-o", str(first)])
    assert result.code == 0, result.err
    assert run_cli(["render", str(path), "-o", str(second)]).code == 0
    assert _tree(first) == _tree(second)

    built = kustomize_build(first)
    objects = yamlio.load_all(built, "kustomize build")
    files = [p for p in first.rglob("*.yaml") if p.name != "kustomization.yaml"]
    assert len(objects) == len(files)

    # checked for the platform it renders for; kinds with no CRD here are named in
    # tests/kubeconform_support.py (NO_CRD_HERE) and are the only ones left unchecked
    from tests.kubeconform_support import unexplained_problems

    options = ValidateOptions(schema_locations=(crd_schemas,),
                              target=config["spec"]["platform"]["target"])
    report = validate_paths([str(first)], options)
    assert unexplained_problems(report) == []


# --- 3. the same bytes under any hash seed ----------------------------------------------------

RICH_CONFIG = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "seeds"},
    "spec": {
        "platform": {"templates": ["grpc", "http"],
                     "catalog": {"models": ["mistral-7b-instruct-v0.3", "llama-3.1-8b-instruct",
                                            "nv-embedqa-e5-v5"]}},
        "secrets": {"provider": "vault", "vault": {"vaultAuthRef": "nim-auth"}},
        "projects": [
            {"name": "zeta", "deployments": [
                {"name": "mistral", "model": "mistral-7b-instruct-v0.3", "protocol": "grpc",
                 "resources": {"requests": {"memory": "16Gi", "cpu": "4"},
                               "limits": {"nvidia.com/gpu": 1, "memory": "32Gi"}}},
                {"name": "embed", "model": "nv-embedqa-e5-v5", "gpus": 0}]},
            {"name": "alpha", "deployments": [
                {"name": "llama", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
                 "apiKey": {"vault": {"path": "teams/alpha/ngc", "key": "k"}}}]},
        ],
    },
}


def _run(argv: list[str], seed: str, cwd: Path, stdin: str | None = None) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.pop("NGC_API_KEY", None)
    proc = subprocess.run([sys.executable, "-m", "generator", *argv], input=stdin, env=env,
                          cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_renderer_is_independent_of_the_hash_seed(tmp_path: Path) -> None:
    """render (stream), krm, values, airgap images and chart; tests/render covers the tree."""
    config = tmp_path / "nim-gitops.yaml"
    config.write_text(yamlio.dump(RICH_CONFIG), "utf-8")
    function_input = yamlio.dump({"apiVersion": "config.kubernetes.io/v1",
                                  "kind": "ResourceList", "items": [],
                                  "functionConfig": RICH_CONFIG})
    outputs = []
    for seed in ("0", "7", "4242"):
        chart = tmp_path / f"chart-{seed}"
        got = [
            _run(["render", str(config), "-o", "-"], seed, tmp_path),
            _run(["krm"], seed, tmp_path, function_input),
            _run(["values", str(config)], seed, tmp_path),
            _run(["airgap", "images", str(config), "--format", "oc-mirror"], seed, tmp_path),
        ]
        _run(["chart", "-o", str(chart)], seed, tmp_path)
        outputs.append((got, _tree(chart)))
    assert outputs[0] == outputs[1] == outputs[2]


def test_integral_floats_render_as_integers(tmp_path: Path) -> None:
    """`gpus: 2.0` passes the schema (JSON Schema integers include 2.0) and renders as 2."""
    config = json.loads(json.dumps(RICH_CONFIG))
    config["spec"]["projects"][1]["deployments"][0].update(gpus=2.0, replicas=1.0)
    path = tmp_path / "c.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["render", str(path), "-o", "-"])
    assert result.code == 0, result.err
    isvc = next(o for o in yamlio.load_all(result.out, "out")
                if o["kind"] == "InferenceService" and o["metadata"]["name"] == "llama")
    predictor = isvc["spec"]["predictor"]
    assert predictor["minReplicas"] == 1 and isinstance(predictor["minReplicas"], int)
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] in (2, "2")
