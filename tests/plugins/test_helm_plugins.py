"""The Helm 4 plugins, installed from this checkout into a throwaway HELM_DATA_HOME."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EXAMPLES, FAKE_KEY, HOSTILE_MODULE, REPO, isolated_env, run_cli, tool
from tests.plugins.conftest import VENV_BIN

PLUGINS = REPO / "plugins/helm"
CHART = REPO / "charts/nim-gitops"
CONFIG = EXAMPLES / "quickstart/nim-gitops.yaml"
HAVE_VALIDATE = importlib.util.find_spec("generator.commands.validate") is not None
SECRET = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
          "metadata": {"name": "ngc-api", "namespace": "team-a"},
          "stringData": {"NGC_API_KEY": FAKE_KEY}}


@pytest.fixture(scope="module")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Both plugins installed with `helm plugin install DIR` into a temporary Helm home."""
    home = tmp_path_factory.mktemp("helm")
    env = isolated_env(
        PATH=f"{VENV_BIN}:/usr/bin:/bin", HELM_DATA_HOME=str(home / "data"),
        HELM_CONFIG_HOME=str(home / "config"), HELM_CACHE_HOME=str(home / "cache"))
    env.pop("HELM_PLUGINS", None)  # local installs ignore it (helm/helm#32646)
    for name in ("nim-gitops", "nim-gitops-guard"):
        proc = _helm(["plugin", "install", str(PLUGINS / name)], env)
        assert proc.returncode == 0, proc.stderr
    return env


def _helm(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("helm"), *args], env=env, capture_output=True, text=True,
                          check=False, timeout=120, **kwargs)


def test_plugins_are_listed_with_their_types(helm_env: dict[str, str]) -> None:
    proc = _helm(["plugin", "list"], helm_env)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[1:]}
    assert rows["nim-gitops"][1:4] == ["0.1.0", "cli/v1", "v1"]
    assert rows["nim-gitops-guard"][1:4] == ["0.1.0", "postrenderer/v1", "v1"]


def test_cli_plugin_runs_the_cli(helm_env: dict[str, str]) -> None:
    proc = _helm(["nim-gitops", "render", str(CONFIG), "-o", "-"], helm_env)
    assert proc.returncode == 0, proc.stderr
    expected = run_cli(["render", str(CONFIG), "-o", "-"])
    assert proc.stdout == expected.out
    bad = _helm(["nim-gitops", "render", str(CONFIG.parent / "missing.yaml"), "-o", "-"],
                helm_env)
    assert bad.returncode == 1
    assert "file not found" in bad.stderr


def test_plugins_import_no_python_from_the_working_directory(
        tmp_path: Path, helm_env: dict[str, str]) -> None:
    """Helm runs plugins in the caller's directory, often a checkout of someone's repository."""
    (tmp_path / "yaml.py").write_text(HOSTILE_MODULE, "utf-8")
    cli = _helm(["nim-gitops", "render", str(CONFIG), "-o", "-"], helm_env, cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    chart = tmp_path / "tiny"  # any chart: the guard only sees the rendered manifests
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n", "utf-8")
    (chart / "templates/configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tiny, namespace: team-a}\n"
        "data: {a: b}\n", "utf-8")
    guarded = _helm(["template", "nim", str(chart), "--post-renderer", "nim-gitops-guard"],
                    helm_env, cwd=tmp_path)
    assert guarded.returncode == 0, guarded.stderr
    assert "kind: ConfigMap" in guarded.stdout
    assert not (tmp_path / "PWNED").exists()


def test_cli_plugin_is_in_helm_help(helm_env: dict[str, str]) -> None:
    proc = _helm(["help"], helm_env)
    assert "nim-gitops" in proc.stdout
    assert "Render NVIDIA NIM GitOps manifests" in proc.stdout


STUB_VALIDATE = """#!/bin/sh
# stands in for `nim-gitops validate`: records its arguments, fails on any Secret
echo "$*" > "$STUB_ARGS"
if grep -q '^kind: Secret'; then echo "rule no-plaintext-secret: Secret found"; exit 1; fi
"""


def _chart_with_extra_objects(tmp_path: Path) -> Path:
    """charts/nim-gitops plus a way to inject objects from values (`extraObjects`)."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    if "extraObjects" in schema.get("properties", {}):
        return CHART
    chart = tmp_path / "nim-gitops"
    shutil.copytree(CHART, chart)
    schema["properties"]["extraObjects"] = {"type": "array", "items": {"type": "object"}}
    (chart / "values.schema.json").write_text(json.dumps(schema), "utf-8")
    (chart / "templates/zz-extra-objects.yaml").write_text(
        "{{- range .Values.extraObjects }}\n---\n{{ toYaml . }}\n{{- end }}\n", "utf-8")
    return chart


def _values(tmp_path: Path, extra: list[dict[str, Any]] | None = None) -> Path:
    values = run_cli(["values", str(CONFIG)])
    assert values.code == 0, values.err
    data = yamlio.load_one(values.out, "values")
    if extra:
        data["extraObjects"] = extra
    path = tmp_path / "values.yaml"
    path.write_text(yamlio.dump(data), "utf-8")
    return path


def _template(chart: Path, values: Path, env: dict[str, str], *extra: str,
              ) -> subprocess.CompletedProcess[str]:
    return _helm(["template", "nim", str(chart), "-f", str(values),
                  "--post-renderer", "nim-gitops-guard", *extra], env)


def test_guard_plumbing(tmp_path: Path, helm_env: dict[str, str]) -> None:
    """With a stand-in validator: arguments, pass-through and failure, independent of rules."""
    stub = tmp_path / "validate.sh"
    stub.write_text(STUB_VALIDATE, "utf-8")
    stub.chmod(0o755)
    env = {**helm_env, "NIM_GITOPS": str(stub), "STUB_ARGS": str(tmp_path / "args")}
    chart = _chart_with_extra_objects(tmp_path)
    plain = _helm(["template", "nim", str(chart), "-f", str(_values(tmp_path))], env)
    assert plain.returncode == 0, plain.stderr
    ok = _template(chart, _values(tmp_path), env, "--post-renderer-args=--skip",
                   "--post-renderer-args=some-rule")
    assert ok.returncode == 0, ok.stderr
    assert yamlio.load_all(ok.stdout, "guarded") == yamlio.load_all(plain.stdout, "plain")
    assert (tmp_path / "args").read_text().split() == [
        "validate", "--ignore-missing-schemas", "--skip", "some-rule", "-"]
    bad = _template(chart, _values(tmp_path, [SECRET]), env)
    assert bad.returncode != 0
    assert bad.stdout == ""
    assert "rule no-plaintext-secret: Secret found" in bad.stderr
    assert "nim-gitops-guard" in bad.stderr
    report = tmp_path / "report.txt"
    again = _template(chart, _values(tmp_path, [SECRET]),
                      {**env, "NIM_GITOPS_GUARD_REPORT": str(report)})
    assert again.returncode != 0
    assert "Secret found" in report.read_text()


@pytest.mark.skipif(not HAVE_VALIDATE, reason="nim-gitops validate is not in this checkout yet")
def test_guard_passes_the_chart(tmp_path: Path, helm_env: dict[str, str]) -> None:
    plain = _helm(["template", "nim", str(CHART), "-f", str(_values(tmp_path))], helm_env)
    assert plain.returncode == 0, plain.stderr
    proc = _template(CHART, _values(tmp_path), helm_env)
    assert proc.returncode == 0, proc.stderr
    assert yamlio.load_all(proc.stdout, "guarded") == yamlio.load_all(plain.stdout, "plain")


@pytest.mark.skipif(not HAVE_VALIDATE, reason="nim-gitops validate is not in this checkout yet")
def test_guard_fails_on_a_plaintext_ngc_secret(tmp_path: Path, helm_env: dict[str, str]) -> None:
    chart = _chart_with_extra_objects(tmp_path)
    proc = _template(chart, _values(tmp_path, [SECRET]), helm_env)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "ngc-api" in proc.stderr  # the finding names the object
    assert FAKE_KEY not in proc.stderr  # and never echoes the key
    # what the rule says directly, for comparison with what Helm shows
    direct = run_cli(["validate", "--ignore-missing-schemas", "-"],
                     input=yamlio.dump_all([SECRET]))
    assert direct.code == 1
    first_line = (direct.out + direct.err).strip().splitlines()[0]
    assert first_line in proc.stderr
