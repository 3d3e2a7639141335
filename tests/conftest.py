"""Suite-wide fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from tests.kubeconform_support import Kubeconform


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
def kubeconform(tmp_path_factory: pytest.TempPathFactory) -> Kubeconform:
    """The real kubeconform from ../shared/tools/kubeconform, its sha256 checked first (a
    missing or different binary fails the test, it is never skipped), with offline schemas."""
    from tests.kubeconform_support import Kubeconform, checked_binary

    return Kubeconform(checked_binary(), tmp_path_factory.mktemp("kubeconform"))
