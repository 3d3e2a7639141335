"""Packaging: the wheel and sdist hold everything, and the installed tool runs outside the tree.

`python -m build` makes the sdist and then the wheel *from the sdist*, so a file missing from
the sdist shows up as a broken wheel too. The wheel goes into a fresh virtualenv in tmp_path
(dependencies come from the development virtualenv through a `.pth` line, so no network is
needed for them), and `nim-gitops` runs there with the working directory outside the source
tree: templates, schemas and the sample catalog must come from the wheel.

Deselect with `-m "not packaging"`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from generator import __version__
from tests.helpers import EXAMPLES, REPO, run_cli

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

WHEEL_MUST_HOLD = [
    "generator/cli.py",
    "generator/schemas/config.schema.json",
    "generator/schemas/metadata.schema.json",
    "generator/schemas/plan.schema.json",
    "generator/data/sample-catalog.yaml",
    "generator/data/starter-config.yaml",
    "generator/templates/deployment/inferenceservice.yaml.j2",
    "generator/templates/platform/template.yaml.j2",
    "generator/templates/chart/Chart.yaml.j2",
]
SDIST_MUST_HOLD = ["README.md", "pyproject.toml", "generator/cli.py",
                   "generator/schemas/config.schema.json", "generator/data/sample-catalog.yaml",
                   "templates/deployment/inferenceservice.yaml.j2", "templates/chart/Chart.yaml.j2"]


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=600)
    assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist, built from the source tree."""
    if importlib.util.find_spec("build") is None:
        pytest.skip("the `build` package is not installed (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("dist")
    # without hatchling at hand, build fetches it into an isolated environment (PyPI)
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    _run([sys.executable, "-m", "build", *isolation, "--outdir", str(out), str(REPO)],
         cwd=out)
    return out


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_sdist_holds_sources_templates_schemas_and_readme(dist: Path) -> None:
    sdist = _one(dist, "nim_gitops-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    missing = [name for name in SDIST_MUST_HOLD if name not in names]
    assert not missing, missing
    assert not any(n.startswith((".venv/", ".tools/", ".git/")) for n in names)


def test_the_wheel_holds_templates_schemas_and_the_sample_catalog(dist: Path) -> None:
    with zipfile.ZipFile(_one(dist, "nim_gitops-*.whl")) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "nim-gitops = generator.__main__:run" in wheel.read(entry_points).decode()
    missing = [name for name in WHEEL_MUST_HOLD if name not in names]
    assert not missing, missing
    assert not any(n.startswith("tests/") for n in names)


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the source tree with only the wheel installed."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          str(_one(dist, "nim_gitops-*.whl"))], cwd=venv)
    # dependencies from the development environment, appended after the venv's own
    # site-packages (a path line in a .pth file does not run the editable install's hooks)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                cwd=venv).stdout.strip()
    (Path(site) / "zz-dev-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def _installed_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NGC_API_KEY")}
    env["PYTHONSAFEPATH"] = "1"
    return env


def test_the_installed_tool_renders_an_example_outside_the_tree(
    installed: Path, tmp_path: Path,
) -> None:
    bin_dir = installed / "bin"
    env = _installed_env()
    where = _run([str(bin_dir / "python"), "-c", "import generator; print(generator.__file__)"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert where.startswith(str(installed)), f"imported {where}, not the wheel"
    assert not where.startswith(str(REPO))

    version = _run([str(bin_dir / "nim-gitops"), "--version"], cwd=tmp_path, env=env)
    assert version.stdout == f"nim-gitops {__version__}\n"  # no checkout, so no commit

    config = tmp_path / "nim-gitops.yaml"
    config.write_text((EXAMPLES / "multi-project" / "nim-gitops.yaml").read_text("utf-8"))
    _run([str(bin_dir / "nim-gitops"), "render", "nim-gitops.yaml", "-o", "rendered"],
         cwd=tmp_path, env=env)
    expected = tmp_path / "expected"
    assert run_cli(["render", str(config), "-o", str(expected)]).code == 0
    got = {p.relative_to(tmp_path / "rendered").as_posix(): p.read_bytes()
           for p in (tmp_path / "rendered").rglob("*") if p.is_file()}
    want = {p.relative_to(expected).as_posix(): p.read_bytes()
            for p in expected.rglob("*") if p.is_file()}
    assert got == want

    # the schemas, the starter config and the chart sources come from the wheel too
    _run([str(bin_dir / "nim-gitops"), "config", "schema"], cwd=tmp_path, env=env)
    _run([str(bin_dir / "nim-gitops"), "init", "starter.yaml"], cwd=tmp_path, env=env)
    _run([str(bin_dir / "nim-gitops"), "config", "check", "starter.yaml"], cwd=tmp_path,
         env=env)
    _run([str(bin_dir / "nim-gitops"), "chart", "-o", "chart"], cwd=tmp_path, env=env)
    assert (tmp_path / "chart" / "Chart.yaml").is_file()
