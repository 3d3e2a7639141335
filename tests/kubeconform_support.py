"""The real kubeconform (../shared/tools/kubeconform), checked by sha256, run offline.

`Kubeconform.check(paths, target)` runs `kubeconform -strict` on files or directories with

- the core schemas that `kubernetes-validate` bundles, laid out as kubeconform's standalone
  folders (`v1.33.0-standalone-strict/{kind}{-group}-{version}.json`), for the kinds in the input;
- the CRD schemas of `nim-gitops schemas build ../shared/crds` (`--target redesign` adds the
  redesign's proposed fields), built once per session and target;

and returns one `Verdict` per resource, in kubeconform's order. Nothing reaches the network.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.targets import DEFAULT_TARGET
from generator.validate import Report, Status
from generator.validate.core import CoreSchemas, core_filename
from generator.validate.documents import expand_paths
from tests.helpers import CRDS, EXAMPLES, SHARED, run_cli

KUBECONFORM = SHARED / "tools" / "kubeconform" / "kubeconform"
# the sha256 /work/shared/tools/kubeconform/README.md gives for its v0.7.0 build
KUBECONFORM_SHA256 = "2e1bccc4de9ed76ab6fb72634693a3202bfe4f36fb4b550296cdf5f02d641a97"
KUBERNETES_VERSION = "1.33"
CRD_LAYOUT = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
SKIP = "kustomize.config.k8s.io/v1beta1/Kustomization,kustomize.config.k8s.io/v1alpha1/Component"



# Kinds the project renders whose CRD is not in ../shared/crds, so neither kubeconform nor
# validate can check them here: tests accept "no schema" for these kinds only, and say why.
NO_CRD_HERE: dict[str, str] = {
    "DataScienceCluster": "the opendatahub-operator's CRD is not in ../shared/crds; render sets "
                          "only spec.components.kserve.nim.airGapped (docs/airgap.md)",
}


def config_target(config: Path) -> str:
    """The platform target a config renders for: its `spec.platform.target`, else current."""
    data = yaml.safe_load(config.read_text("utf-8")) or {}
    platform = (data.get("spec") or {}).get("platform") or {}
    return str(platform.get("target") or DEFAULT_TARGET)


def example_target(name: str) -> str:
    """The target an example's render output is checked against (the one it renders for)."""
    return config_target(EXAMPLES / name / "nim-gitops.yaml")


def checked_binary(path: Path = KUBECONFORM, sha256: str = KUBECONFORM_SHA256) -> Path:
    """The shared kubeconform, after its sha256 matched the pinned one; fails otherwise."""
    if not path.is_file():
        pytest.fail(f"{path} is missing: the tests need the real kubeconform v0.7.0 "
                    "from ../shared/tools/kubeconform (see its README)", pytrace=False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        pytest.fail(f"{path} has sha256 {digest}, expected {sha256} (the one its README "
                    "gives); refusing to run it", pytrace=False)
    return path


@dataclass(frozen=True)
class Verdict:
    """kubeconform's verdict on one resource."""

    filename: str
    kind: str
    name: str
    status: str  # statusValid, statusInvalid, statusError, statusSkipped, statusEmpty
    msg: str = ""
    errors: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = "; ".join(self.errors) or self.msg
        return f"{self.filename} {self.kind}/{self.name}: {self.status} {detail}".rstrip()


@dataclass
class Kubeconform:
    """The checked binary plus schema directories, shared by a test session."""

    binary: Path
    root: Path
    _crds: dict[str, Path] = field(default_factory=dict)

    @property
    def core_dir(self) -> Path:
        """Core schemas in kubeconform's layout (filled per input)."""
        return self.root / "core"

    def crd_dir(self, target: str) -> Path:
        """`nim-gitops schemas build ../shared/crds --target TARGET`, built once."""
        if target not in self._crds:
            out = self.root / f"crds-{target}"
            result = run_cli(["schemas", "build", str(CRDS), "--target", target,
                              "-o", str(out)])
            assert result.code == 0, result.err
            self._crds[target] = out
        return self._crds[target]

    def _write_core(self, paths: list[Path]) -> None:
        core = CoreSchemas(KUBERNETES_VERSION, strict=True)
        folder = self.core_dir / f"v{core.version}-standalone-strict"
        for path in expand_paths(str(p) for p in paths):
            for doc in yaml.safe_load_all(Path(path).read_text("utf-8")):
                if not isinstance(doc, dict):
                    continue
                api_version, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
                name = core_filename(api_version, kind) if api_version and kind else None
                if name is None or (folder / name).is_file():
                    continue
                schema = core.schema(api_version, kind)
                if schema is not None:
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / name).write_text(json.dumps(schema), "utf-8")

    def check(self, paths: list[Path], target: str = "current") -> list[Verdict]:
        """`kubeconform -strict` on files or directories: every resource's verdict."""
        self._write_core(paths)
        version = CoreSchemas(KUBERNETES_VERSION, strict=True).version
        args = [str(self.binary), "-strict", "-output", "json", "-verbose", "-skip", SKIP,
                "-kubernetes-version", version,
                "-schema-location", str(self.core_dir),
                "-schema-location", f"{self.crd_dir(target)}/{CRD_LAYOUT}",
                *map(str, paths)]
        proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
        try:
            data: dict[str, Any] = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"kubeconform (exit {proc.returncode}) printed no JSON: "
                                 f"{proc.stderr or proc.stdout}") from None
        verdicts = [Verdict(r["filename"], r["kind"], r["name"], r["status"], r.get("msg", ""),
                            tuple(f"{e['path']}: {e['msg']}"
                                  for e in r.get("validationErrors") or []))
                    for r in data.get("resources") or []]
        failed = [v for v in verdicts if v.status in ("statusInvalid", "statusError")]
        assert (proc.returncode != 0) == bool(failed), proc.stderr
        return verdicts


def _no_crd_here(verdict: Verdict) -> bool:
    return (verdict.status == "statusError" and verdict.kind in NO_CRD_HERE
            and verdict.msg == f"could not find schema for {verdict.kind}")


def failures(verdicts: list[Verdict]) -> list[str]:
    """The verdicts that are neither valid nor skipped, one line each, except a missing schema
    of a kind in NO_CRD_HERE (see `unchecked`)."""
    return [str(v) for v in verdicts if v.status not in ("statusValid", "statusSkipped")
            and not _no_crd_here(v)]


def unchecked(verdicts: list[Verdict]) -> dict[str, str]:
    """Kinds left unchecked for want of a CRD here, with the reason."""
    return {v.kind: NO_CRD_HERE[v.kind] for v in verdicts if _no_crd_here(v)}


def unexplained_problems(report: Report) -> list[str]:
    """A validate report's problems, except "no schema" errors of kinds in NO_CRD_HERE."""
    return [f"{result.location} {finding}" for result, finding in report.problems()
            if not (result.signature.kind in NO_CRD_HERE and result.status is Status.ERROR
                    and result.reason.startswith("no schema"))]
