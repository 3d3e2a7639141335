"""The Argo CD plugin image's Containerfile, checked offline (no container engine here).

What can be checked without building the image: every file it copies exists in the checkout
or is the wheel that `python -m build --wheel` makes from it, the dependencies come from the
hash-checked runtime lock, and the install location is the one the repo-server patch puts on PATH.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from generator import yamlio
from tests.helpers import REPO

CONTAINERFILE = REPO / "Containerfile"
PATCH = REPO / "plugins/argocd/repo-server-patch.yaml"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text("utf-8"))
    rows = [line.strip() for line in text.splitlines()]
    return [(row.split(None, 1)[0].upper(), row.split(None, 1)[1])
            for row in rows if row and not row.startswith("#")]


def _args() -> dict[str, str]:
    return dict(arg.split("=", 1) for ins, arg in _instructions() if ins == "ARG" and "=" in arg)


def _copied_sources() -> list[str]:
    args = _args()
    sources = []
    for ins, rest in _instructions():
        if ins in ("COPY", "ADD"):
            *srcs, _dest = shlex.split(rest)
            sources += [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], s) for s in srcs]
    return sources


def test_copied_files_exist_or_are_the_built_wheel() -> None:
    sources = _copied_sources()
    wheel = _args()["WHEEL"]
    assert wheel in sources
    for source in sources:
        if source != wheel:
            assert (REPO / source).is_file(), f"Containerfile copies {source}, which is missing"


def test_dependencies_come_from_the_hash_checked_lock() -> None:
    [run] = [rest for ins, rest in _instructions() if ins == "RUN"]
    assert "--require-hashes" in run and "requirements-runtime.lock" in run
    assert "--no-deps" in run  # nothing resolved from an index beyond the lock
    assert "pip check" in run


@pytest.mark.slow
def test_wheel_name_is_what_build_produces(tmp_path: Path) -> None:
    if importlib.util.find_spec("build") is None or importlib.util.find_spec("hatchling") is None:
        pytest.skip("build and hatchling come with the locked virtualenv (make venv)")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=300)
    [built] = tmp_path.glob("*.whl")
    assert Path(_args()["WHEEL"]) == Path("dist") / built.name


def test_image_install_location_is_on_the_sidecar_path() -> None:
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(
        rest for ins, rest in _instructions() if ins == "ENV")))
    assert env["PATH"].split(":")[0] == "/opt/nim-gitops/bin"
    patch = yamlio.load_one(PATCH.read_text("utf-8"), str(PATCH))
    [sidecar] = patch["spec"]["template"]["spec"]["containers"]
    sidecar_env = {e["name"]: e["value"] for e in sidecar["env"]}
    assert sidecar_env["PATH"] == env["PATH"]
    users = [rest for ins, rest in _instructions() if ins == "USER"]
    assert users[-1] == str(sidecar["securityContext"]["runAsUser"])
