"""Bad configs: exit 1, one line naming file, line and field, nothing written."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import _validator, config_schema
from generator.yamlio import format_path
from tests.helpers import run_cli, without_source_context
from tests.render.conftest import BASE_CONFIG


def _deployment(cfg: dict[str, Any]) -> dict[str, Any]:
    dep: dict[str, Any] = cfg["spec"]["projects"][0]["deployments"][0]
    return dep


# Each case's expected text is our own: the field path, and our own wording where we word the
# message; where jsonschema words it ("is not of type", "is too long"), only the path is pinned.
CASES: list[tuple[str, Callable[[dict[str, Any]], None], str | tuple[str, ...]]] = [
    ("unknown-field", lambda c: c["spec"].update(projectz=[]),
     "spec.projectz: unknown field"),
    ("unknown-deployment-field", lambda c: _deployment(c).update(gpu=1),
     "spec.projects[0].deployments[0].gpu: unknown field"),
    ("wrong-type", lambda c: _deployment(c).update(replicas="two"),
     "spec.projects[0].deployments[0].replicas: "),
    ("bad-provider", lambda c: c["spec"]["secrets"].update(provider="sops"),
     'spec.secrets.provider: "sops" is not one of'),
    ("model-typo", lambda c: _deployment(c).update(model="llama-3.1-8b-instruc"),
     '"llama-3.1-8b-instruc" is not in the catalog (did you mean "llama-3.1-8b-instruct"?)'),
    ("unknown-tag", lambda c: _deployment(c).update(tag="9.9.9"),
     'spec.projects[0].deployments[0].tag: "9.9.9" is not a tag of "llama-3.1-8b-instruct"'),
    ("floating-tag", lambda c: _deployment(c).update(tag="latest"),
     '"latest" is a floating tag'),
    ("floating-minor-tag", lambda c: _deployment(c).update(tag="1.15"),
     '"1.15" is a floating tag'),
    ("uppercase-name", lambda c: _deployment(c).update(name="Llama"),
     "spec.projects[0].deployments[0].name: \"Llama\" is not a Kubernetes name starting with "
     "a letter: lowercase letters, digits and '-', e.g. llama-8b"),
    ("name-too-long", lambda c: _deployment(c).update(name="a" * 54),
     "spec.projects[0].deployments[0].name: "),
    ("bad-project-name", lambda c: c["spec"]["projects"][0].update(name="Team_A"),
     'spec.projects[0].name: "Team_A" is not a Kubernetes name: lowercase letters, digits '
     "and '-', starting and ending with a letter or digit, e.g. team-a"),
    ("quantity-in-gb", lambda c: _deployment(c).update(storage={"size": "50GB"}),
     'storage.size: "50GB" is not a Kubernetes quantity: a number with an optional unit '
     "(Ki, Mi, Gi, Ti, or k, M, G), e.g. 50Gi (not 50GB)"),
    ("model-prefix", lambda c: _deployment(c).update(model="mistral-7b"),
     '"mistral-7b" is not in the catalog (did you mean "mistral-7b-instruct-v0.3"?)'),
    ("model-unknown", lambda c: _deployment(c).update(model="no-such-thing"),
     '"no-such-thing" is not in the catalog; `nim-gitops catalog list` shows the models'),
    ("duplicate-deployment", lambda c: c["spec"]["projects"][0]["deployments"].append(
        {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.4"}),
     "spec.projects[0].deployments[1].name: duplicate deployment name"),
    ("duplicate-project", lambda c: c["spec"]["projects"].append({"name": "team-a"}),
     "spec.projects[1].name: duplicate project 'team-a'"),
    ("missing-store", lambda c: c["spec"]["secrets"].update(externalSecrets={}),
     "a secret store is required when provider is external-secrets"),
    ("unknown-placeholder", lambda c: c["spec"]["secrets"]["externalSecrets"].update(
        remoteRef={"key": "nim/{team}/{deployment}"}),
     "unknown placeholder {team}"),
    ("catalog-escapes", lambda c: c["spec"].update(platform={"catalog": {"file": "../x.yaml"}}),
     "points outside the config's directory"),
    ("catalog-missing", lambda c: c["spec"].update(platform={"catalog": {"file": "none.yaml"}}),
     "none.yaml' does not exist: build it with `nim-gitops metadata generate"),
    ("wrong-api-version", lambda c: c.update(apiVersion="v1"),
     'apiVersion: must be "nim-gitops.opendatahub.io/v1alpha1"'),
    ("missing-model", lambda c: _deployment(c).pop("model"),
     ("spec.projects[0].deployments[0]: ", "is required")),
    ("allow-list-excludes", lambda c: c["spec"].update(
        platform={"catalog": {"models": ["mistral-7b-instruct-v0.3"]}}),
     '"llama-3.1-8b-instruct" is not in spec.platform.catalog.models'),
    ("bad-quantity", lambda c: _deployment(c).update(storage={"size": "lots"}),
     "spec.projects[0].deployments[0].storage.size"),
    ("negative-gpus", lambda c: _deployment(c).update(gpus=-1),
     "spec.projects[0].deployments[0].gpus: "),
    # Serving options (issue #28): one line naming the field.
    ("token-auth-bad-name", lambda c: _deployment(c).update(
        tokenAuth={"serviceAccounts": ["CI_Bot"]}),
     'deployments[0].tokenAuth.serviceAccounts[0]: "CI_Bot" is not a Kubernetes name'),
    ("env-bad-name", lambda c: _deployment(c).update(env=[{"name": "1BAD", "value": "x"}]),
     'deployments[0].env[0].name: "1BAD" is not an environment variable name Kubernetes '
     "accepts"),
    ("env-value-and-value-from", lambda c: _deployment(c).update(env=[
        {"name": "A", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
     "deployments[0].env[0]: set either value or valueFrom, not both"),
    ("env-ngc-key", lambda c: _deployment(c).update(env=[{"name": "NGC_API_KEY", "valueFrom": {
        "secretKeyRef": {"name": "other", "key": "k"}}}]),
     "deployments[0].env[0].name: NGC_API_KEY is set by the runtime from the deployment's key "
     "Secret"),
    ("env-cache-path", lambda c: _deployment(c).update(env=[
        {"name": "NIM_CACHE_PATH", "value": "/tmp"}]),
     "deployments[0].env[0].name: NIM_CACHE_PATH is set by the runtime from the cache mount"),
    ("env-runtime-set", lambda c: _deployment(c).update(env=[
        {"name": "NIM_LOG_LEVEL", "value": "DEBUG"}]),
     "deployments[0].env[0].name: NIM_LOG_LEVEL is set by the runtime; to replace its value on "
     "purpose, list it in overrideEnv"),
    ("env-override-never", lambda c: _deployment(c).update(overrideEnv=["NGC_API_KEY"]),
     'deployments[0].overrideEnv[0]: "NGC_API_KEY" cannot be overridden'),
    ("env-literal-token", lambda c: _deployment(c).update(env=[
        {"name": "HF_TOKEN", "value": "not-a-real-token"}]),
     "deployments[0].env[0].value: looks like a credential; keep it in a Secret"),
    ("env-hf-token-value", lambda c: _deployment(c).update(env=[
        {"name": "EXTRA", "value": "hf_" + "a" * 34}]),
     "deployments[0].env[0].value: looks like a credential"),
    ("env-twice", lambda c: _deployment(c).update(env=[{"name": "A", "value": "1"},
                                                      {"name": "A", "value": "2"}]),
     'deployments[0].env[1].name: "A" is set twice'),
    ("min-over-max", lambda c: _deployment(c).update(minReplicas=3, maxReplicas=2),
     "deployments[0].minReplicas: minReplicas (3) is greater than maxReplicas (2)"),
    ("min-over-replicas", lambda c: _deployment(c).update(minReplicas=2),
     "deployments[0].minReplicas: minReplicas (2) is greater than maxReplicas (1)"),
    ("operator-scale-from-zero", lambda c: _deployment(c).update(
        backend="nim-operator", minReplicas=0, maxReplicas=2),
     "deployments[0].minReplicas: the NIM Operator autoscales with a HorizontalPodAutoscaler"),
    ("sub-path-escapes", lambda c: _deployment(c).update(
        storage={"existingClaim": "shared", "subPath": "a/../.."}),
     "deployments[0].storage.subPath: must stay inside the claim"),
    ("sub-path-absolute", lambda c: _deployment(c).update(
        storage={"existingClaim": "shared", "subPath": "/abs"}),
     "deployments[0].storage.subPath: \"/abs\" is not a path relative to the claim's root"),
    ("sub-path-without-claim", lambda c: _deployment(c).update(storage={"subPath": "a"}),
     "deployments[0].storage.subPath: only read with storage.existingClaim"),
    ("claim-with-size", lambda c: _deployment(c).update(
        storage={"existingClaim": "shared", "size": "10Gi"}),
     "deployments[0].storage.size: the existing claim's own"),
    ("claim-with-preload", lambda c: _deployment(c).update(
        storage={"existingClaim": "shared"}, cache={"preload": True}),
     "deployments[0].cache: an existing claim is filled by whoever owns it"),
    ("claim-rendered-by-nim-gitops", lambda c: c["spec"]["projects"][0]["deployments"].append(
        {"name": "b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
         "storage": {"existingClaim": "llama-8b-cache"}}),
     'deployments[1].storage.existingClaim: "llama-8b-cache" is the cache PVC nim-gitops '
     'renders (and prunes) for deployment "llama-8b"'),
    ("claim-same-sub-path", lambda c: c["spec"]["projects"][0]["deployments"].extend([
        {"name": "a", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
         "storage": {"existingClaim": "shared", "subPath": "x"}},
        {"name": "b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
         "storage": {"existingClaim": "shared", "subPath": "x"}}]),
     'deployments[2].storage.subPath: deployment "a" already mounts claim "shared" at '
     'sub-path "x"'),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_config_is_one_line_with_location(
    base_config: dict[str, Any], write_config: Callable[..., Path], tmp_path: Path,
    mutate: Callable[[dict[str, Any]], None], expected: str | tuple[str, ...],
) -> None:
    mutate(base_config)
    path = write_config(base_config)
    out = tmp_path / "out"
    result = run_cli(["render", str(path), "-o", str(out)])
    assert result.code == 1, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for fragment in (expected,) if isinstance(expected, str) else expected:
        assert fragment in lines[0]
    assert "Traceback" not in result.err
    assert str(path) in lines[0] or "none.yaml" in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("a: [\n", "invalid YAML"),
    ("spec: 1\nspec: 2\n", ":2: invalid YAML at column 1: duplicate key 'spec'"),
    ("- just\n- a list\n", "the config must be a mapping"),
    ("apiVersion: nim-gitops.opendatahub.io/v1alpha1\nkind: NimGitOps\n\tmetadata: {}\n",
     "invalid YAML"),
])
def test_unparseable_config(write_config: Callable[..., Path], tmp_path: Path, text: str,
                            expected: str) -> None:
    path = write_config(text)
    result = run_cli(["render", str(path), "-o", str(tmp_path / "out")])
    assert result.code == 1
    assert expected in result.err
    assert len(without_source_context(result.err.strip().splitlines())) == 1


def test_error_line_points_at_the_field(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "examples/quickstart/nim-gitops.yaml").read_text()
    bad = text.replace("model: llama-3.1-8b-instruct", "model: llama-3-8b")
    path = tmp_path / "prod.yaml"
    path.write_text(bad)
    line = next(i for i, s in enumerate(bad.splitlines(), 1) if "llama-3-8b" in s)
    result = run_cli(["render", str(path), "-o", "-"])
    assert result.code == 1
    assert f"prod.yaml:{line} spec.projects[0].deployments[0].model:" in result.err


def test_missing_config_file_is_exit_1(tmp_path: Path) -> None:
    result = run_cli(["render", str(tmp_path / "nope.yaml"), "-o", "-"])
    assert result.code == 1
    assert "nope.yaml: file not found" in result.err


def test_missing_output_is_a_usage_error(write_config: Callable[..., Path],
                                         base_config: dict[str, Any]) -> None:
    result = run_cli(["render", str(write_config(base_config))])
    assert result.code == 2


# --- key revisions (docs/secrets.md "Rotating a key") ---

@pytest.mark.parametrize(("secrets", "where", "field"), [
    ({"provider": "vault", "vault": {"type": "kv-v1", "pinVersion": True}}, None, "pinVersion"),
    ({"provider": "none", "scope": "project"}, "deployment", "keyRevision"),
    ({"provider": "none", "scope": "deployment"}, "project", "keyRevision"),
])
def test_key_revision_settings_that_rotate_nothing_are_refused(
        write_config: Any, base_config: dict[str, Any], secrets: dict[str, Any],
        where: str | None, field: str) -> None:
    base_config["spec"]["secrets"] = secrets
    project = base_config["spec"]["projects"][0]
    if where == "deployment":
        project["deployments"][0]["keyRevision"] = 2
    elif where == "project":
        project["keyRevision"] = 2
    path = write_config(base_config)
    result = run_cli(["render", str(path), "-o", "-"])
    assert result.code == 1
    assert result.err.count("\n") == 1 and str(path) in result.err and field in result.err


def test_a_yaml_syntax_error_shows_the_line_the_column_and_a_caret(tmp_path: Path) -> None:
    """Issue #25: file, the right line, column, the offending line with a caret under the
    column, and an indentation hint, after the one-line error."""
    path = tmp_path / "nim-gitops.yaml"
    path.write_text("apiVersion: nim-gitops.opendatahub.io/v1alpha1\nkind: NimGitOps\n"
                    "spec:\n  projects:\n  - name: p\n     deployments: []\n", "utf-8")
    result = run_cli(["render", str(path), "-o", "-"])
    assert result.code == 1
    first, source, caret = result.err.strip().splitlines()
    assert first.startswith(f"error: {path}:6: invalid YAML at column 17: mapping values are "
                            "not allowed")
    assert "check this line's indentation" in first
    assert source == "  6 |      deployments: []"
    assert caret == "    |                 ^" and caret.index("^") == source.index(":")


@pytest.mark.parametrize(("written", "expected"), [
    ("1.10", 'tag: 1.10 was read as 1.1, not a string: put it in quotes as you meant it, '
             'e.g. tag: "1.10"'),
    ("1.5", 'tag: 1.5 was read as a number, not a string: put it in quotes as you meant it, '
            'e.g. tag: "1.5"'),
])
def test_a_tag_read_as_a_number_is_quoted_as_written(tmp_path: Path, written: str,
                                                     expected: str) -> None:
    """Issue #25: the number has lost its zero; the hint quotes what the file says."""
    path = tmp_path / "nim-gitops.yaml"
    path.write_text("apiVersion: nim-gitops.opendatahub.io/v1alpha1\nkind: NimGitOps\n"
                    "metadata: {name: a}\nspec:\n  projects:\n  - name: p\n    deployments:\n"
                    f"    - name: d\n      model: llama-3.1-8b-instruct\n      tag: {written}\n",
                    "utf-8")
    result = run_cli(["render", str(path), "-o", "-"])
    assert result.code == 1
    assert result.err.strip() == \
        f"error: {path}:10 spec.projects[0].deployments[0].{expected}"


# The config's validator checks each distinct array item once (generator/config.py
# `_validator`); a repeated item must still be reported wherever it is invalid, exactly as the
# plain draft 2020-12 validator reports it.
VARIANTS = [
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "gpus": 1},
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "gpus": True},
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "gpus": 1.0},
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "gpus": "1"},
    {"name": "Llama", "model": "llama-3.1-8b-instruct"},
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "gpu": 1},
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "env": [{"name": "A", "value": 1}]},
    {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "env": [{"name": "A", "value": "1"}]},
]


def _errors(validator: Any, data: Any) -> list[tuple[str, str, str]]:
    return sorted((format_path(e.absolute_path), e.message, str(e.context))
                  for e in validator.iter_errors(data))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(range(len(VARIANTS))), max_size=4), max_size=6))
def test_repeated_items_get_the_errors_the_plain_validator_gives(chosen: list[list[int]]) -> None:
    from jsonschema import Draft202012Validator

    data = copy.deepcopy(BASE_CONFIG)
    data["spec"]["projects"] = [
        {"name": f"team-{i}", "deployments": [copy.deepcopy(VARIANTS[v]) for v in variants]}
        for i, variants in enumerate(chosen)]
    assert _errors(_validator(), data) == _errors(Draft202012Validator(config_schema()), data)


def test_a_deployment_valid_in_one_project_is_refused_in_another_where_it_differs(
    base_config: dict[str, Any], write_config: Callable[..., Path],
) -> None:
    """`gpus: 1` passes; the same deployment with `gpus: true` (equal in Python) does not."""
    good = {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5", "gpus": 1}
    base_config["spec"]["projects"] = [
        {"name": "team-a", "deployments": [good]},
        {"name": "team-b", "deployments": [{**good, "gpus": True}]},
        {"name": "team-c", "deployments": [good]},
    ]
    result = run_cli(["render", str(write_config(base_config)), "-o", "-"])
    assert result.code == 1
    assert "spec.projects[1].deployments[0].gpus: " in result.err
