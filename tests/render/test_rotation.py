"""Key rotation through Git: `rotate` bumps a key revision, and the render changes exactly the
fields that make the secret manager fetch the key again and the predictor roll once."""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, run_cli
from tests.kubeconform_support import StrictChecker, Verdict, failures

REVISION = "nim-gitops.opendatahub.io/key-revision"

SECRETS: dict[str, dict[str, Any]] = {
    "eso": {"provider": "external-secrets", "externalSecrets": {"storeRef": {"name": "ngc"}}},
    "eso-pinned": {"provider": "external-secrets",
                   "externalSecrets": {"storeRef": {"name": "ngc"}, "pinVersion": True}},
    "vault": {"provider": "vault", "vault": {"vaultAuthRef": "nim"}},
    "vault-pinned": {"provider": "vault", "vault": {"pinVersion": True}},
    "vault-kv1": {"provider": "vault", "vault": {"type": "kv-v1"}},
    "none": {"provider": "none"},
}

CONFIG: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "rotation"},
    "spec": {
        "platform": {"target": "current"},
        "projects": [
            {"name": "team-a", "deployments": [
                {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5",
                 "replicas": 2, "gpus": 2},
                {"name": "embed", "model": "nv-embedqa-e5-v5", "tag": "1.10.1"},
            ]},
            {"name": "team-b", "deployments": [
                {"name": "mistral", "model": "mistral-7b-instruct-v0.3", "tag": "1.12.0"},
            ]},
        ],
    },
}


def _config(tmp_path: Path, secrets: str, scope: str, target: str,
            backend: str = "kserve") -> Path:
    data = copy.deepcopy(CONFIG)
    data["spec"]["secrets"] = {**copy.deepcopy(SECRETS[secrets]), "scope": scope}
    data["spec"]["platform"]["target"] = target
    data["spec"]["platform"]["backend"] = backend
    if backend == "nim-operator" and secrets == "none":  # no key: the weights are mirrored,
        # and NIM Operator main serves them without one (v3.1.2 wants an authSecret)
        data["spec"]["platform"]["nimOperator"] = {"version": "main"}
        for project in data["spec"]["projects"]:
            for d in project["deployments"]:
                d["cache"] = {"source": {"pvc": "mirrored-weights"}}
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(data), "utf-8")
    return path


def _render(config: Path) -> str:
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    return result.out


def _rotate(config: Path, *args: str) -> None:
    result = run_cli(["rotate", "-c", str(config), *args])
    assert result.code == 0, result.err


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def _changed(before: Any, after: Any, pointer: str = "") -> set[str]:
    """JSON pointers of the values that differ (into mappings and lists of equal length)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: set[str] = set()
        for key in before.keys() | after.keys():
            found |= _changed(before.get(key), after.get(key), f"{pointer}/{key}")
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return set().union(*(_changed(b, a, f"{pointer}/{i}")
                             for i, (b, a) in enumerate(zip(before, after, strict=True))))
    return set() if before == after else {pointer}


def _object_changes(before: str, after: str) -> dict[tuple[str, str, str], set[str]]:
    old = {_key(o): o for o in yamlio.load_all(before, "before")}
    new = {_key(o): o for o in yamlio.load_all(after, "after")}
    assert old.keys() == new.keys()  # a rotation adds and removes no object
    return {k: c for k in old if (c := _changed(old[k], new[k]))}


def _secret_fields(flavour: str, api_key: bool, restart: bool) -> set[str]:
    """What a revision changes in one secret-manager object."""
    if flavour == "none":
        return set()
    if flavour.startswith("eso"):
        return {"/spec/data/0/remoteRef/version" if flavour == "eso-pinned"
                else "/metadata/annotations/force-sync"}
    fields = {"/spec/version" if flavour == "vault-pinned" else "/spec/destination/annotations"}
    if api_key and restart:
        fields.add("/spec/rolloutRestartTargets")  # KServe reverts it; the IS restarts instead
    return fields


def _expected(flavour: str, scope: str, selector: str, backend: str = "kserve",
              target: str = "current") -> dict[tuple[str, str, str], set[str]]:
    kind = "VaultStaticSecret" if flavour.startswith("vault") else "ExternalSecret"
    expected: dict[tuple[str, str, str], set[str]] = {}
    if selector == "--account":
        secrets = [("redhat-ods-applications", "nvidia-nim-access", True, False)]
        predictors: list[tuple[str, str]] = []
    elif scope == "project":
        secrets = [("team-a", "nvidia-nim-secrets", True, True)]
        if target == "redesign":  # on current the project Account's controller rewrites
            secrets.append(("team-a", "ngc-secret", False, True))  # odh-nim-account-pull

        predictors = [("team-a", "llama-8b"), ("team-a", "embed")]
    else:
        secrets = [("team-a", "nim-api-key-llama-8b", True, True),
                   ("team-a", "nim-image-pull-llama-8b", False, True)]
        predictors = [("team-a", "llama-8b")]
    for namespace, name, api_key, restart in secrets:
        fields = _secret_fields(flavour, api_key, restart)
        if fields:
            expected[(kind, namespace, name)] = fields
    for namespace, name in predictors:
        if backend == "kserve":
            expected[("InferenceService", namespace, name)] = {"/spec/predictor/annotations"}
        else:  # one more entry in the NIMService's spec.annotations, which the operator
            # copies into its InferenceService's predictor annotations
            expected[("NIMService", namespace, name)] = {f"/spec/annotations/{REVISION}"}
    return expected


# Lines a rotation may add or remove in the rendered stream; nothing else may change.
_ADDED = re.compile(r"\s*(force-sync|version|annotations|" + re.escape(REVISION) + r"):.*")
_REMOVED = re.compile(r"\s*(rolloutRestartTargets:|- kind: Deployment|name: .*-predictor|"
                      r"force-sync:|version:|" + re.escape(REVISION) + ").*")

CASES = [(flavour, scope, target, selector, backend)
         for flavour in SECRETS for target in ("current", "redesign")
         for scope, selector in (("deployment", "team-a/llama-8b"), ("project", "team-a"))
         for backend in ("kserve", "nim-operator")] + [
    (flavour, "deployment", "current", "--account", "kserve")
    for flavour in SECRETS if flavour != "none"]


@pytest.mark.parametrize(("flavour", "scope", "target", "selector", "backend"), CASES,
                         ids=["-".join(c) for c in CASES])
def test_a_rotation_changes_only_the_fields_that_restart_once(
        tmp_path: Path, flavour: str, scope: str, target: str, selector: str,
        backend: str) -> None:
    config = _config(tmp_path, flavour, scope, target, backend)
    before = _render(config)
    _rotate(config, selector)
    first = _render(config)
    assert _object_changes(before, first) == _expected(flavour, scope, selector, backend, target)
    for line in difflib.ndiff(before.splitlines(), first.splitlines()):
        if line.startswith("+ "):
            assert _ADDED.fullmatch(line[2:]), line
        elif line.startswith("- "):
            assert _REMOVED.fullmatch(line[2:]), line
    _rotate(config, selector)  # the next revision changes the same values, nothing else
    second = _render(config)
    assert _object_changes(first, second) == {
        key: {_inner(p) for p in fields if "rolloutRestartTargets" not in p}
        for key, fields in _expected(flavour, scope, selector, backend, target).items()}


def _inner(pointer: str) -> str:
    """Where a second revision changes what the first one added as a whole mapping."""
    if pointer.endswith("/annotations"):
        return f"{pointer}/{REVISION}"
    return pointer


@pytest.mark.parametrize("flavour", ["eso", "eso-pinned", "vault", "vault-pinned", "vault-kv1"])
def test_the_revision_reaches_every_target_field(tmp_path: Path, flavour: str) -> None:
    config = _config(tmp_path, flavour, "deployment", "redesign")
    _rotate(config, "team-a/llama-8b", "--to", "7")
    objects = {_key(o): o for o in yamlio.load_all(_render(config), "render")}
    isvc = objects[("InferenceService", "team-a", "llama-8b")]
    assert isvc["spec"]["predictor"]["annotations"] == {REVISION: "7"}
    kind = "VaultStaticSecret" if flavour.startswith("vault") else "ExternalSecret"
    for name in ("nim-api-key-llama-8b", "nim-image-pull-llama-8b"):
        obj = objects[(kind, "team-a", name)]
        if flavour == "eso":
            assert obj["metadata"]["annotations"]["force-sync"] == "7"
        elif flavour == "eso-pinned":
            assert obj["spec"]["data"][0]["remoteRef"]["version"] == "7"
        elif flavour == "vault-pinned":
            assert obj["spec"]["version"] == 7
        else:
            assert obj["spec"]["destination"]["annotations"] == {REVISION: "7"}
        assert "rolloutRestartTargets" not in obj["spec"]
    others = [o for k, o in objects.items()
              if k[0] == "InferenceService" and k[2] in ("embed", "mistral")]
    assert others and all("annotations" not in o["spec"]["predictor"] for o in others)


@pytest.mark.parametrize("flavour", ["eso", "vault", "vault-pinned"])
@pytest.mark.parametrize(("scope", "selector"), [("deployment", "team-a/llama-8b"),
                                                 ("project", "team-a")])
def test_the_revision_reaches_the_nimservice_pod_annotations(
        tmp_path: Path, flavour: str, scope: str, selector: str) -> None:
    """On the nim-operator backend the revision joins the NIMService's spec.annotations (the
    dashboard's enable-auth entry stays), and VSO restarts nothing itself."""
    config = _config(tmp_path, flavour, scope, "current", "nim-operator")
    _rotate(config, selector, "--to", "7")
    objects = {_key(o): o for o in yamlio.load_all(_render(config), "render")}
    rotated = {"llama-8b", "embed"} if scope == "project" else {"llama-8b"}
    services = {k[2]: o for k, o in objects.items() if k[0] == "NIMService"}
    assert set(services) == {"llama-8b", "embed", "mistral"}
    for name, service in services.items():
        annotations = service["spec"]["annotations"]
        assert annotations["security.opendatahub.io/enable-auth"] == "false"
        assert annotations.get(REVISION) == ("7" if name in rotated else None), name
    assert not any("rolloutRestartTargets" in o["spec"] for k, o in objects.items()
                   if k[0] == "VaultStaticSecret" and k[1] == "team-a"
                   and any(n in k[2] for n in ("llama-8b", "nvidia-nim-secrets")))


def _strict_check(strict_checker: StrictChecker, tmp_path: Path, stream: str) -> list[Verdict]:
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(stream, "utf-8")
    return strict_checker.check([manifest], "current")


@pytest.mark.parametrize("backend", ["kserve", "nim-operator"])
@pytest.mark.parametrize("flavour", ["eso", "eso-pinned", "vault", "vault-pinned", "vault-kv1"])
@pytest.mark.parametrize("scope", ["deployment", "project"])
def test_rotated_renders_pass_strict_schemas(tmp_path: Path, flavour: str, scope: str,
                                                   backend: str,
                                                   strict_checker: StrictChecker) -> None:
    config = _config(tmp_path, flavour, scope, "current", backend)
    _rotate(config, "team-a" if scope == "project" else "team-a/llama-8b")
    _rotate(config, "--account")
    verdicts = _strict_check(strict_checker, tmp_path, _render(config))
    assert failures(verdicts) == []
    checked = {v.kind for v in verdicts if v.status == "statusValid"}
    kind = "VaultStaticSecret" if flavour.startswith("vault") else "ExternalSecret"
    served = (("InferenceService", "ServingRuntime") if backend == "kserve"
              else ("NIMService", "NIMCache"))
    assert {kind, *served} <= checked


def test_strict_check_catches_a_broken_revision(tmp_path: Path,
                                               strict_checker: StrictChecker) -> None:
    """The check above can fail: a VSO version that is not an integer is rejected."""
    config = _config(tmp_path, "vault-pinned", "deployment", "current")
    _rotate(config, "team-a/llama-8b")
    stream = _render(config).replace("version: 1", 'version: "one"')
    assert any("VaultStaticSecret" in line for line in
               failures(_strict_check(strict_checker, tmp_path, stream)))


def test_no_revision_renders_as_before() -> None:
    """Configs without keyRevision render byte-identically (the goldens hold the rest)."""
    text = _render(EXAMPLES / "multi-project/nim-gitops.yaml")
    assert REVISION not in text and "force-sync" not in text and "rolloutRestartTargets" in text
