"""Bad values fail `helm template` with readable messages, where `render` fails too."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.chart.support import helm
from tests.helpers import run_cli

CONFIG: dict[str, Any] = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "bad"},
}
OK_DEPLOYMENT = {"name": "a", "model": "llama-3.1-8b-instruct"}


def _spec(*deployments: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"projects": [{"name": "p", "deployments": list(deployments)}], **extra}


# name -> (spec, a fragment of the chart's message, a fragment of render's message)
CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "unknown model": (_spec({"name": "a", "model": "llama-9"}),
                      'projects[0].deployments[0].model: "llama-9" is not in the chart',
                      "is not in the catalog"),
    "unknown tag": (_spec({**OK_DEPLOYMENT, "tag": "9.9.9"}),
                    '"9.9.9" is not a tag of "llama-3.1-8b-instruct" (known: latest, 1.15.5',
                    '"9.9.9" is not a tag of "llama-3.1-8b-instruct" (known: latest, 1.15.5'),
    "floating tag": (_spec({**OK_DEPLOYMENT, "tag": "latest"}),
                     '"latest" is a floating tag', '"latest" is a floating tag'),
    "floating tag refused per deployment": (
        _spec({**OK_DEPLOYMENT, "tag": "1", "allowFloatingTags": False}, allowFloatingTags=True),
        '"1" is a floating tag', '"1" is a floating tag'),
    "model outside the allow-list": (
        _spec(OK_DEPLOYMENT, platform={"catalog": {"models": ["nv-embedqa-e5-v5"]}}),
        "is not in platform.catalog.models", "is not in spec.platform.catalog.models"),
    "allow-list names an unknown model": (
        _spec(platform={"catalog": {"models": ["nope"]}}),
        'platform.catalog.models[0]: "nope" is not in the chart', "is not in the catalog"),
    "duplicate project": (
        {"projects": [{"name": "p"}, {"name": "p"}]}, 'duplicate project "p"', "duplicate project"),
    "duplicate deployment": (_spec(OK_DEPLOYMENT, OK_DEPLOYMENT), "duplicate deployment name",
                             "duplicate deployment name"),
    "platform namespace as a managed project": (
        {"projects": [{"name": "redhat-ods-applications"}]},
        'projects[0].name: "redhat-ods-applications" belongs to the platform', "belongs to the"),
    "system namespace as a managed project": (
        {"projects": [{"name": "openshift-config"}]},
        'projects[0].name: "openshift-config" belongs to the platform', "belongs to the"),
    "deployment named like the dashboard's PVCs": (
        _spec({**OK_DEPLOYMENT, "name": "nim-pvc-a"}),
        'projects[0].deployments[0].name: "nim-pvc-a" starts with nim-pvc', "starts with nim-pvc"),
    # Serving options (issue #28)
    "min over max": (_spec({**OK_DEPLOYMENT, "minReplicas": 3, "maxReplicas": 2}),
                     "projects[0].deployments[0].minReplicas: minReplicas (3) is greater than "
                     "maxReplicas (2)", "minReplicas (3) is greater than maxReplicas (2)"),
    "env sets the key": (
        _spec({**OK_DEPLOYMENT, "env": [{"name": "NGC_API_KEY", "value": "x"}]}),
        "projects[0].deployments[0].env[0].name: NGC_API_KEY is set by the runtime",
        "NGC_API_KEY is set by the runtime"),
    "env replaces a runtime variable": (
        _spec({**OK_DEPLOYMENT, "env": [{"name": "NIM_LOG_LEVEL", "value": "DEBUG"}]}),
        "env[0].name: NIM_LOG_LEVEL is set by the runtime; to replace its value on purpose, "
        "list it in overrideEnv", "list it in overrideEnv"),
    "env value named like a credential": (
        _spec({**OK_DEPLOYMENT, "env": [{"name": "OPENAI_API_KEY", "value": "abc"}]}),
        "projects[0].deployments[0].env[0].value: looks like a credential",
        "env[0].value: looks like a credential"),
    "env value shaped like a token": (
        _spec({**OK_DEPLOYMENT, "env": [{"name": "HF_HOME_X", "value": "hf_" + "a" * 30}]}),
        "projects[0].deployments[0].env[0].value: looks like a credential",
        "env[0].value: looks like a credential"),
    "arg shaped like a token": (
        _spec({**OK_DEPLOYMENT, "args": ["--token", "ghp_" + "b" * 30]}),
        "projects[0].deployments[0].args[1]: looks like a credential",
        "args[1]: looks like a credential"),
    "sub-path leaves the claim": (
        _spec({**OK_DEPLOYMENT, "storage": {"existingClaim": "shared", "subPath": "a/../.."}}),
        "projects[0].deployments[0].storage.subPath: must stay inside the claim",
        "storage.subPath: must stay inside the claim"),
    "two deployments on one claim and sub-path": (
        _spec({**OK_DEPLOYMENT, "storage": {"existingClaim": "shared", "subPath": "x"}},
              {**OK_DEPLOYMENT, "name": "b", "storage": {"existingClaim": "shared",
                                                          "subPath": "x"}}),
        'projects[0].deployments[1].storage.subPath: deployment "a" already mounts claim '
        '"shared" at sub-path "x"',
        'deployment "a" already mounts claim "shared" at sub-path "x"'),
    "size next to an existing claim": (
        _spec({**OK_DEPLOYMENT, "storage": {"existingClaim": "shared", "size": "10Gi"}}),
        "projects[0].deployments[0].storage.size: the existing claim's own",
        "storage.size: the existing claim's own"),
    "cache fill next to an existing claim": (
        _spec({**OK_DEPLOYMENT, "storage": {"existingClaim": "shared"},
               "cache": {"source": {"pvc": "weights"}}}),
        "projects[0].deployments[0].cache: an existing claim is filled by whoever owns it",
        "cache: an existing claim is filled by whoever owns it"),
    "store missing": (_spec(OK_DEPLOYMENT, secrets={"provider": "external-secrets"}),
                      "a secret store is required", "a secret store is required"),
    "unknown placeholder": (
        _spec(OK_DEPLOYMENT, secrets={"vault": {"path": "nim/{team}"}}),
        "unknown placeholder", "unknown placeholder"),
    "deployment placeholder in a project key": (
        _spec(OK_DEPLOYMENT, secrets={"scope": "project", "externalSecrets": {
            "projectRemoteRef": {"key": "{deployment}"}}}),
        "secrets.externalSecrets.projectRemoteRef.key", "unknown placeholder {deployment}"),
    "placeholder in the account's Vault path": (
        _spec(OK_DEPLOYMENT, secrets={"vault": {"accountPath": "nim/{project}"}}),
        "secrets.vault.accountPath", "unknown placeholder {project}"),
    "unknown placeholder in a deployment key": (
        _spec({**OK_DEPLOYMENT, "apiKey": {"remoteRef": {"key": "x/{who}"}}}),
        "apiKey.remoteRef.key", "unknown placeholder"),
    # Cache fills (issue #18): what cannot fetch the weights.
    "air-gapped preload from NGC": (
        _spec({**OK_DEPLOYMENT, "cache": {"preload": True}}, airGap={"mirror": "r.example"}),
        "projects[0].deployments[0].cache: an air-gapped cluster cannot download weights",
        "cannot download weights from NGC"),
    "air-gapped NIMCache": (
        _spec(OK_DEPLOYMENT, platform={"backend": "nim-operator"},
              airGap={"mirror": "r.example"}),
        "projects[0].deployments[0].cache: an air-gapped cluster cannot download weights",
        "cannot download weights from NGC"),
    "nim-operator with pinDigests": (
        _spec({**OK_DEPLOYMENT, "backend": "nim-operator",
               "cache": {"source": {"pvc": "filled"}}},
              airGap={"mirror": "r.example", "pinDigests": True}),
        "projects[0].deployments[0].backend: a NIMService names its image by tag",
        "a NIMService names its image by tag"),
    "pinDigests without digests": (
        _spec(OK_DEPLOYMENT, airGap={"mirror": "r.example", "pinDigests": True}),
        "airGap.digests: no digest for nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5 "
        "(projects[0].deployments[0])", "nim-gitops.lock.yaml is missing"),
    "preload from NGC without a key": (
        _spec({**OK_DEPLOYMENT, "cache": {"preload": True}}),
        "projects[0].deployments[0].cache: downloading the weights from NGC needs",
        "downloading the weights from NGC needs"),
    "NIMCache without a key": (
        _spec(OK_DEPLOYMENT, OK_DEPLOYMENT | {"name": "b", "backend": "nim-operator"}),
        "projects[0].deployments[1].backend: downloading the weights from NGC needs",
        "downloading the weights from NGC needs"),
    # Key revisions (issue #17): where a revision cannot rotate anything.
    "pinned Vault version on kv-v1": (
        _spec({**OK_DEPLOYMENT, "keyRevision": 2},
              secrets={"provider": "vault", "scope": "deployment",
                       "vault": {"type": "kv-v1", "pinVersion": True}}),
        "secrets.vault.pinVersion: only kv-v2 keeps versions", "only kv-v2 keeps versions"),
    "project revision with scope deployment": (
        {"secrets": {"scope": "deployment"},
         "projects": [{"name": "p", "keyRevision": 2, "deployments": [OK_DEPLOYMENT]}]},
        "projects[0].keyRevision: secrets.scope is deployment",
        "set keyRevision on the deployments"),
    "NIMService without a key on NIM Operator v3.1.2": (
        {"airGap": {"mirror": "registry.example.com/nvcr"},
         "secrets": {"scope": "deployment"},
         "projects": [{"name": "p", "deployments": [
             {**OK_DEPLOYMENT, "backend": "nim-operator",
              "cache": {"source": {"pvc": "filled-cache"}}}]}]},
        "projects[0].deployments[0].backend: NIM Operator v3.1.2 requires NIMService "
        "spec.authSecret", "version: main (k8s-nim-operator #910, not released)"),
    "NEL in a display name": (
        _spec({**OK_DEPLOYMENT, "displayName": "Llama\u00858B"}),
        "projects[0].deployments[0].displayName: contains a line break kustomize and Helm",
        "contains U+0085, which kustomize and Helm read as a line break"),
    "deployment revision with scope project": (
        _spec(OK_DEPLOYMENT, {**OK_DEPLOYMENT, "name": "b", "keyRevision": 2},
              secrets={"scope": "project"}),
        "projects[0].deployments[1].keyRevision: secrets.scope is project",
        "set keyRevision on the project"),
}


def _files(tmp_path: Path, spec: dict[str, Any]) -> tuple[Path, Path]:
    config = {**copy.deepcopy(CONFIG), "spec": spec}
    config_path = tmp_path / "nim-gitops.yaml"
    config_path.write_text(yamlio.dump(config), "utf-8")
    values_path = tmp_path / "values.yaml"
    values_path.write_text(yamlio.dump(spec), "utf-8")
    return config_path, values_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_fails_like_render(chart_dir: Path, tmp_path: Path, name: str) -> None:
    spec, chart_message, render_message = CASES[name]
    config, values = _files(tmp_path, spec)
    rendered = run_cli(["render", str(config), "-o", str(tmp_path / "out")])
    assert rendered.code == 1 and render_message in rendered.err
    proc = helm("template", "nim", str(chart_dir), "-f", str(values), check=False)
    assert proc.returncode == 1, proc.stdout
    assert chart_message in proc.stderr


# Helm's schema messages are Helm's wording; what a user relies on is the exit code and that
# the message names the values path and the offending key.
@pytest.mark.parametrize(("text", "names"), [
    ("projects:\n- name: p\n  deployments:\n  - name: a\n    model: m\n    replica: 2\n",
     ("/projects/0/deployments/0", "replica")),
    ("projects:\n- name: p\n  deployments:\n  - name: a\n    model: m\n    replicas: two\n",
     ("/projects/0/deployments/0/replicas",)),
    ("platform:\n  namespce: x\n", ("/platform", "namespce")),
    ("secrets:\n  provider: sops\n", ("/secrets/provider",)),
    ("platform:\n  catalog:\n    file: my-catalog.yaml\n", ("/platform/catalog", "file")),
    ("platform:\n  catalog:\n    extended: details.json\n", ("/platform/catalog", "extended")),
    ("platform:\n  backend: triton\n", ("/platform/backend",)),
    ("projects:\n- name: p\n  deployments:\n  - name: a\n    model: m\n    cache: {pvc: x}\n",
     ("/projects/0/deployments/0/cache", "pvc")),
])
def test_schema_errors_are_readable(chart_dir: Path, tmp_path: Path, text: str,
                                    names: tuple[str, ...]) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(text, "utf-8")
    proc = helm("template", "nim", str(chart_dir), "-f", str(values), check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    for name in names:
        assert name in proc.stderr, (name, proc.stderr)
