"""Strict schema checks of project output: the real kubeconform where a user has it, and always
the project's own validator, both with the same schemas in kubeconform's layout.

The schemas (`StrictSchemas`) are

- the Kubernetes 1.33 core schemas that `kubernetes-validate` bundles, laid out as
  kubeconform's standalone folders (`v1.33.0-standalone-strict/{kind}{-group}-{version}.json`),
  for the kinds in the input;
- the CRD schemas of `nim-gitops schemas build ../shared/crds` (`--target redesign` adds the
  redesign's proposed fields), built once per session and target, from the CRDs as they are.

Two checkers read them and give one `Verdict` per resource, in kubeconform's terms:
`RealKubeconform` runs `kubeconform -strict` (found by `generator.validate.tools
.find_kubeconform`: `$KUBECONFORM`, else PATH; v0.6.x or v0.7.x), and `OwnValidator` runs
`nim-gitops validate --strict` on the same files with the same locations and the NIM policy
rules off, so both judge the schemas alone. Tests take the `strict_checker` fixture, which runs
each test once per checker; the kubeconform run carries `@pytest.mark.kubeconform` and is
skipped, with one reason line, where no kubeconform is found. Nothing reaches the network.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from generator.errors import UsageError
from generator.targets import DEFAULT_TARGET
from generator.validate import Report, Result, Status, ValidateOptions, validate_paths
from generator.validate.core import CoreSchemas, core_filename
from generator.validate.documents import expand_paths
from generator.validate.rules import RULES
from generator.validate.tools import (
    KUBECONFORM_RELEASES,
    Kubeconform,
    find_kubeconform,
    locate_kubeconform,
)
from tests.helpers import CRDS, EXAMPLES, run_cli

KUBERNETES_VERSION = "1.33"
CRD_LAYOUT = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
SKIP = "kustomize.config.k8s.io/v1beta1/Kustomization,kustomize.config.k8s.io/v1alpha1/Component"
MARKER = "kubeconform"
# every NIM policy rule: the own validator then judges the schemas alone, as kubeconform does
POLICY_RULES = tuple(rule.id for rule in RULES)

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


_FOUND: list[Kubeconform | str] = []


def installed() -> Kubeconform | str:
    """The kubeconform the finder accepts, or the one-line reason there is none (looked up once
    per session)."""
    if not _FOUND:
        try:
            _FOUND.append(find_kubeconform())
        except UsageError as error:
            _FOUND.append(str(error).removeprefix("--kubeconform: "))
    return _FOUND[0]


def kubeconform_summary(ran: int, skipped: int) -> str:
    """The line `make test` ends with: what ran of the kubeconform-marked tests."""
    found = installed()
    if isinstance(found, Kubeconform):
        extra = f", {skipped} skipped" if skipped else ""
        return f"kubeconform {found.version}: {ran} checks ran{extra}"
    what = "not found" if locate_kubeconform() is None else f"not usable ({found})"
    return (f"kubeconform {what}: {skipped} checks skipped (all also checked by nim-gitops "
            f"validate); install: {KUBECONFORM_RELEASES}")


@dataclass(frozen=True)
class Verdict:
    """One checker's verdict on one resource, in kubeconform's terms."""

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
class StrictSchemas:
    """Core and CRD schemas in kubeconform's layout, under one directory per test session."""

    root: Path
    _crds: dict[str, Path] = field(default_factory=dict)

    @property
    def core_dir(self) -> Path:
        """Core schemas in kubeconform's standalone layout (filled per input)."""
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

    def write_core(self, paths: list[Path]) -> str:
        """Write the core schemas of the kinds in `paths`; the full Kubernetes version."""
        core = CoreSchemas(KUBERNETES_VERSION, strict=True)
        folder = self.core_dir / f"v{core.version}-standalone-strict"
        folder.mkdir(parents=True, exist_ok=True)
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
                    (folder / name).write_text(json.dumps(schema), "utf-8")
        return core.version


class StrictChecker(Protocol):
    """A strict schema check of files or directories: every resource's verdict."""

    name: str

    def check(self, paths: list[Path], target: str = "current") -> list[Verdict]: ...


@dataclass
class RealKubeconform:
    """`kubeconform -strict`, offline, with the session's schemas."""

    binary: Kubeconform
    schemas: StrictSchemas
    name: str = "kubeconform"

    def check(self, paths: list[Path], target: str = "current") -> list[Verdict]:
        """`kubeconform -strict` on files or directories: every resource's verdict."""
        version = self.schemas.write_core(paths)
        args = [self.binary.path, "-strict", "-output", "json", "-verbose", "-skip", SKIP,
                "-kubernetes-version", version,
                "-schema-location", str(self.schemas.core_dir),
                "-schema-location", f"{self.schemas.crd_dir(target)}/{CRD_LAYOUT}",
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


_STATUS = {Status.VALID: "statusValid", Status.INVALID: "statusInvalid",
           Status.ERROR: "statusError", Status.SKIPPED: "statusSkipped"}


def _verdict(result: Result) -> Verdict:
    sig = result.signature
    msg = result.reason
    if result.status is Status.ERROR and msg.startswith("no schema"):
        msg = f"could not find schema for {sig.kind}"  # kubeconform's words for the same
    errors = tuple(f"{f.path}: {f.message}" for f in result.findings if f.rule != "error")
    return Verdict(result.source, sig.kind, sig.name, _STATUS[result.status], msg, errors)


@dataclass
class OwnValidator:
    """`nim-gitops validate --strict` with the same schema directories, policy rules off."""

    schemas: StrictSchemas
    name: str = "validate"

    def report(self, paths: list[Path], target: str = "current") -> Report:
        """The validator's own report on the files."""
        version = self.schemas.write_core(paths)
        options = ValidateOptions(
            schema_locations=(str(self.schemas.core_dir), str(self.schemas.crd_dir(target))),
            kubernetes_version=version, strict=True, target=target, skip=POLICY_RULES, jobs=1)
        return validate_paths([str(p) for p in paths], options)

    def check(self, paths: list[Path], target: str = "current") -> list[Verdict]:
        """Every resource's verdict, as kubeconform would name it."""
        return [_verdict(result) for result in self.report(paths, target).results]


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


def rendered_valid(checker: StrictChecker, config: Path, target: str,
                   tmp_path: Path) -> set[tuple[str, str]]:
    """`render CONFIG -o - --target TARGET`, checked strictly by `checker`: asserts every
    object passes and returns the (kind, name) of those found valid."""
    from tests.helpers import run_cli

    result = run_cli(["render", str(config), "-o", "-", "--target", target])
    assert result.code == 0, result.err
    path = tmp_path / "stream.yaml"
    path.write_text(result.out, "utf-8")
    verdicts = checker.check([path], target)
    assert failures(verdicts) == []
    return {(v.kind, v.name) for v in verdicts if v.status == "statusValid"}
