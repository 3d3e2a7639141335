"""Suite-wide fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from generator.validate.tools import Kubeconform
    from tests.kubeconform_support import RealKubeconform, StrictChecker, StrictSchemas


# Property tests draw the same examples on every run (derandomized, no example database), so
# CI and a fresh clone see what the developer saw; `HYPOTHESIS_PROFILE=explore make test`
# draws new ones to look for failures.
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _no_real_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever sees a real NGC key from the developer's environment."""
    monkeypatch.delenv("NGC_API_KEY", raising=False)


@pytest.fixture(scope="session")
def crd_schemas(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A schema directory built by `nim-gitops schemas build` from every CRD in ../shared/crds."""
    from generator.cli import main
    from tests.helpers import CRDS

    out = tmp_path_factory.mktemp("crd-schemas")
    assert main(["schemas", "build", str(CRDS), "-o", str(out)]) == 0
    return str(out)


@pytest.fixture(scope="session")
def crd_validate(crd_schemas: str) -> Callable[..., list[str]]:
    """Strict validation of objects against the CRD schemas; the findings, [] when all pass.

    `target="redesign"` accepts the redesign's proposed fields (OdhDashboardConfig
    spec.nimConfig); the default, current, checks against the CRDs as they are.
    """
    from generator.validate import ValidateOptions, validate_objects

    def check(objects: list[Any], target: str = "current") -> list[str]:
        options = ValidateOptions(schema_locations=(crd_schemas,), strict=True, target=target)
        return list(validate_objects(objects, options))

    return check


@pytest.fixture(scope="session")
def strict_schemas(tmp_path_factory: pytest.TempPathFactory) -> StrictSchemas:
    """Core and CRD schemas in kubeconform's layout, shared by both strict checkers."""
    from tests.kubeconform_support import StrictSchemas

    return StrictSchemas(tmp_path_factory.mktemp("strict-schemas"))


@pytest.fixture
def kubeconform_binary(request: pytest.FixtureRequest) -> Kubeconform:
    """The kubeconform the finder accepts ($KUBECONFORM, else PATH; v0.6.x or v0.7.x). The test
    must carry `@pytest.mark.kubeconform`; without a usable kubeconform it is skipped."""
    from tests.kubeconform_support import MARKER, installed

    if request.node.get_closest_marker(MARKER) is None:
        pytest.fail(f"{request.node.nodeid} uses kubeconform but lacks "
                    f"@pytest.mark.{MARKER}", pytrace=False)
    found = installed()
    if isinstance(found, str):
        pytest.skip(f"kubeconform not usable: {found}")
    return found


@pytest.fixture
def kubeconform(kubeconform_binary: Kubeconform, strict_schemas: StrictSchemas
                ) -> RealKubeconform:
    """The real `kubeconform -strict`, offline, with the session's schemas."""
    from tests.kubeconform_support import RealKubeconform

    return RealKubeconform(kubeconform_binary, strict_schemas)


@pytest.fixture(params=[pytest.param("kubeconform", marks=pytest.mark.kubeconform),
                        "validate"])
def strict_checker(request: pytest.FixtureRequest, strict_schemas: StrictSchemas
                   ) -> StrictChecker:
    """Each strict check twice: by the real kubeconform (skipped where there is none) and by
    the project's own validator, with the same schemas, so a skip never hides a check."""
    from tests.kubeconform_support import OwnValidator

    if request.param == "kubeconform":
        checker: StrictChecker = request.getfixturevalue("kubeconform")
        return checker
    return OwnValidator(strict_schemas)


# `make test` ends with what ran of the kubeconform-marked tests (KUBECONFORM_SUMMARY names the
# file it prints); pytest prints the same line at the end of its own summary.
_MARKED: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note the outcome of each kubeconform-marked test (a skip in setup, else its call)."""
    from tests.kubeconform_support import MARKER

    if MARKER not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _MARKED[report.nodeid] = "skipped" if report.skipped else "ran"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line: how many kubeconform checks ran, or why they were skipped."""
    from tests.kubeconform_support import kubeconform_summary

    if not _MARKED:
        return
    ran = sum(1 for outcome in _MARKED.values() if outcome == "ran")
    line = kubeconform_summary(ran, len(_MARKED) - ran)
    terminalreporter.write_line(line)
    target = os.environ.get("KUBECONFORM_SUMMARY")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            out.write(line + "\n")
