"""Everything the project renders passes `kubeconform -strict` and the project's own validator.

Each strict check runs twice (the `strict_checker` fixture): with the real kubeconform where one
is installed (marked `kubeconform`, skipped elsewhere) and with `nim-gitops validate --strict`
on the same schemas, so CI without kubeconform still proves every output valid.

Outputs: each example (render), the hand-written example manifests, the chart (`helm template`
with each example's `nim-gitops values`), `migrate render` (its kustomize build) and the air-gap
render. Examples are rendered (and charted) for both platform targets (`--target`); the other
outputs for the target their config names. Output for `redesign` carries OdhDashboardConfig
`spec.nimConfig`, which the installed CRD does not have: it is checked with the redesign
target and the report must name the proposed field; output for `current` must pass the
installed CRDs as they are.

Not checked: `airgap images --format oc-mirror|skopeo` write tool configs
(ImageSetConfiguration, skopeo sync YAML) that are never applied to a cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import yamlio
from generator.targets import TARGETS
from tests.airgap.conftest import AIRGAP_CONFIG
from tests.chart.support import helm_template
from tests.helpers import EXAMPLES, REPO, kustomize_build, run_cli
from tests.kubeconform_support import (
    NO_CRD_HERE,
    OwnValidator,
    RealKubeconform,
    StrictChecker,
    StrictSchemas,
    Verdict,
    config_target,
    failures,
)
from tests.validate.conftest import EXAMPLE_CONFIGS

MIGRATE = REPO / "tests" / "data" / "migrate"
EXPORTS = ("legacy-modal.yaml", "wizard.yaml", "mixed.yaml")
PROVIDERS = {
    "external-secrets": ["--provider", "external-secrets", "--store", "vault-nim"],
    "vault": ["--provider", "vault", "--vault-auth-ref", "nim-auth"],
}
HAND_WRITTEN = ("secret-stores", "argocd", "flux", "overlay")
NOTE = "spec.nimConfig: proposed field, not in the installed CRD"


@dataclass(frozen=True)
class Output:
    """Files (or a directory) the project produced, and the target they are for."""

    paths: tuple[Path, ...]
    target: str


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outputs")


def _render(config: Path, out: Path, target: str) -> Output:
    result = run_cli(["render", str(config), "-o", str(out), "--target", target])
    assert result.code == 0, result.err
    return Output((out,), target)


def _chart(config: Path, work: Path, target: str) -> Output:
    chart = work / "chart" / "nim-gitops"
    if not chart.is_dir():
        result = run_cli(["chart", "-o", str(chart)])
        assert result.code == 0, result.err
    name = f"{config.parent.name}-{target}"
    values = work / f"values-{name}.yaml"
    result = run_cli(["values", str(config), "-o", str(values), "--target", target])
    assert result.code == 0, result.err
    out = work / f"chart-{name}.yaml"
    out.write_text(helm_template(chart, values), "utf-8")
    return Output((out,), target)


def _migrate(export: str, provider: str, work: Path) -> Output:
    out = work / f"migrate-{provider}-{Path(export).stem}"
    result = run_cli(["migrate", "render", str(MIGRATE / export), "-o", str(out),
                      *PROVIDERS[provider]])
    assert result.code == 0, result.err
    built = work / f"{out.name}.yaml"
    built.write_text(kustomize_build(out), "utf-8")
    return Output((built,), "current")


def _airgap(work: Path) -> Output:
    config = work / "airgap" / "nim-gitops.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(yamlio.dump(AIRGAP_CONFIG), "utf-8")
    out = work / "airgap-render"
    result = run_cli(["render", str(config), "-o", str(out)])
    assert result.code == 0, result.err
    return Output((out,), config_target(config))


CASES = (
    [pytest.param("render", (c, t), id=f"render-{c.parent.name}-{t}")
     for c in EXAMPLE_CONFIGS for t in TARGETS]
    + [pytest.param("chart", (c, t), id=f"chart-{c.parent.name}-{t}")
       for c in EXAMPLE_CONFIGS for t in TARGETS]
    + [pytest.param("migrate", (e, p), id=f"migrate-{p}-{Path(e).stem}")
       for e in EXPORTS for p in PROVIDERS]
    + [pytest.param("airgap", None, id="airgap-render"),
       pytest.param("hand-written", None, id="example-manifests")]
)


def _output(kind: str, arg: object, work: Path) -> Output:
    if kind == "render":
        assert isinstance(arg, tuple)
        return _render(arg[0], work / f"render-{arg[0].parent.name}-{arg[1]}", arg[1])
    if kind == "chart":
        assert isinstance(arg, tuple)
        return _chart(arg[0], work, arg[1])
    if kind == "migrate":
        assert isinstance(arg, tuple)
        return _migrate(arg[0], arg[1], work)
    if kind == "airgap":
        return _airgap(work)
    return Output(tuple(EXAMPLES / name for name in HAND_WRITTEN), "current")


@pytest.mark.parametrize(("kind", "arg"), CASES)
def test_output_passes_strict_schemas(kind: str, arg: object, work: Path,
                                     strict_checker: StrictChecker) -> None:
    output = _output(kind, arg, work)
    verdicts = strict_checker.check(list(output.paths), output.target)
    # every kind is checked against a schema, core and CRD kinds alike, except the kinds
    # whose CRD is not here (NO_CRD_HERE says which and why)
    assert failures(verdicts) == []
    assert [v for v in verdicts if v.status == "statusValid"], \
        f"{strict_checker.name} checked nothing"
    assert {v.kind for v in verdicts if v.status == "statusSkipped"} <= {"Kustomization"}


@pytest.fixture(params=[pytest.param(True, marks=pytest.mark.kubeconform, id="kubeconform"),
                        pytest.param(False, id="validate")])
def with_kubeconform(request: pytest.FixtureRequest) -> dict[str, str] | None:
    """The environment of `validate --kubeconform` (KUBECONFORM set to the one found), or None
    for `validate` alone: the same command and verdicts, with and without kubeconform."""
    if not request.param:
        return None
    binary = request.getfixturevalue("kubeconform_binary")
    return {"KUBECONFORM": binary.path}


@pytest.mark.parametrize(("kind", "arg"), CASES)
def test_output_passes_validate(kind: str, arg: object, work: Path,
                                with_kubeconform: dict[str, str] | None,
                                crd_schemas: str) -> None:
    """`nim-gitops validate --strict` (every rule on; `--kubeconform` too where it is installed)
    with the CRD schemas as the CRDs say; with the redesign target each nimConfig use is
    named."""
    output = _output(kind, arg, work)
    flags = ["--kubeconform"] if with_kubeconform is not None else []
    result = run_cli(["validate", "--strict", *flags, "--schema-location", crd_schemas,
                      "--target", output.target, "-o", "json", *map(str, output.paths)],
                     env=with_kubeconform)
    resources = json.loads(result.out)["resources"]
    unchecked = [r for r in resources if r["kind"] in NO_CRD_HERE]
    problems = [r for r in resources if r["status"] not in ("valid", "skipped")
                and r not in unchecked]
    assert problems == []
    for resource in unchecked:  # no schema, by both tools; nothing else
        assert resource["status"] == "error" and resource["reason"].startswith("no schema")
        rules = {"error", "kubeconform"} if with_kubeconform is not None else {"error"}
        assert {f["rule"] for f in resource["findings"]} == rules
    assert result.code == (1 if unchecked else 0), result.err
    notes = [n["message"] for r in resources for n in r["notes"]]
    if output.target == "redesign":
        assert notes and set(notes) == {NOTE}
        assert all(r["kind"] == "OdhDashboardConfig" for r in resources if r["notes"])
    else:
        assert notes == []


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=lambda c: c.parent.name)
def test_redesign_output_fails_the_installed_crd_only_on_nimconfig(
        config: Path, work: Path, strict_checker: StrictChecker) -> None:
    """Which objects of the redesign's output cannot pass today's platform, and why: only the
    OdhDashboardConfig, whose spec.nimConfig the installed CRD does not have (render for
    `current` leaves it out)."""
    output = _render(config, work / f"redesign-{config.parent.name}", "redesign")
    bad = [v for v in strict_checker.check(list(output.paths), "current")
           if v.status not in ("statusValid", "statusSkipped")]
    assert bad
    for verdict in bad:
        assert verdict.kind == "OdhDashboardConfig", str(verdict)
        (error,) = verdict.errors
        assert "nimConfig" in error, str(verdict)
        if isinstance(strict_checker, RealKubeconform):  # kubeconform's own words
            assert error == "/spec: additional properties 'nimConfig' not allowed"


BROKEN = REPO / "tests" / "data" / "broken"
# The only verdicts on which the two may differ, by (file, kind, name): the API server checks
# every object's metadata as ObjectMeta (apimachinery's ValidateObjectMeta), and so does
# validate; kubeconform keeps a CRD's `metadata: {type: object}` as it is.
KNOWN_DIFFERENCES = {
    ("crd-metadata.yaml", "Account", "odh-nim-account"): ("statusValid", "statusInvalid"),
}


def _by_resource(verdicts: list[Verdict]) -> dict[tuple[str, str, str], list[str]]:
    """Statuses per (file, kind, name), sorted: kubeconform's order within a file varies."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for verdict in verdicts:
        key = (str(Path(verdict.filename).resolve()), verdict.kind, verdict.name)
        found.setdefault(key, []).append(verdict.status)
    return {key: sorted(statuses) for key, statuses in found.items()}


def _disagreements(real: list[Verdict], own: list[Verdict]) -> list[str]:
    theirs, ours = _by_resource(real), _by_resource(own)
    lines = []
    for key in sorted(theirs.keys() | ours.keys()):
        pair = (theirs.get(key, ["(not seen)"]), ours.get(key, ["(not seen)"]))
        known = KNOWN_DIFFERENCES.get((Path(key[0]).name, key[1], key[2]))
        if pair[0] != pair[1] and not (known and pair == ([known[0]], [known[1]])):
            lines.append(f"{key[0]} {key[1]}/{key[2]}: kubeconform {pair[0]}, "
                         f"validate {pair[1]}")
    return lines


PARITY_CASES = [*CASES, *(pytest.param("broken", t, id=f"broken-{t}") for t in TARGETS)]


@pytest.mark.kubeconform
@pytest.mark.parametrize(("kind", "arg"), PARITY_CASES)
def test_both_validators_agree_per_resource(kind: str, arg: object, work: Path,
                                            kubeconform: RealKubeconform,
                                            strict_schemas: StrictSchemas) -> None:
    """Where kubeconform is installed, it and validate give every resource the same verdict:
    every output the project makes, and the broken inputs in tests/data/broken."""
    if kind == "broken":
        assert isinstance(arg, str)
        output = Output((BROKEN,), arg)
    else:
        output = _output(kind, arg, work)
    real = kubeconform.check(list(output.paths), output.target)
    own = OwnValidator(strict_schemas).check(list(output.paths), output.target)
    assert _disagreements(real, own) == []
    if kind == "broken":  # the inputs are broken: both must find problems to agree on
        assert len(failures(real)) >= 10


def test_a_disagreement_names_the_resource() -> None:
    """The parity check fails on one differing verdict and says which resource and how."""
    real = [Verdict("a.yaml", "ConfigMap", "x", "statusValid"),
            Verdict("crd-metadata.yaml", "Account", "odh-nim-account", "statusValid")]
    own = [Verdict("a.yaml", "ConfigMap", "x", "statusInvalid", "", ("$.extra: unknown",)),
           Verdict("crd-metadata.yaml", "Account", "odh-nim-account", "statusInvalid")]
    (line,) = _disagreements(real, own)
    assert line.endswith("a.yaml ConfigMap/x: kubeconform ['statusValid'], validate "
                         "['statusInvalid']")


def test_the_known_difference_is_still_there(strict_schemas: StrictSchemas) -> None:
    """validate rejects a custom resource's list-shaped labels (kubeconform does not, which
    KNOWN_DIFFERENCES records); if validate ever stops, the exception must go too."""
    (verdict,) = OwnValidator(strict_schemas).check([BROKEN / "crd-metadata.yaml"])
    assert verdict.status == "statusInvalid"
    assert [e.split(":")[0] for e in verdict.errors] == ["$.metadata.labels"]
