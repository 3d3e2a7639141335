"""External programs validate may run: `kubectl kustomize` and `kubeconform`.

kubectl is looked up in the project's `.tools/bin` first (where `scripts/install-test-tools`
puts the pinned version), then on PATH. kubeconform is never installed by the project: it is
`$KUBECONFORM` (a path) when set, else the first on PATH, and must report v0.6.x or v0.7.x.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InvalidInputError, UsageError

PROJECT_TOOLS = Path(__file__).resolve().parents[2] / ".tools" / "bin"
TIMEOUT = 600


def find_kubectl() -> str:
    """The kubectl to build kustomizations with."""
    path = os.pathsep.join([str(PROJECT_TOOLS), os.environ.get("PATH", "")])
    found = shutil.which("kubectl", path=path)
    if found is None:
        raise UsageError("--kustomize needs kubectl (not in .tools/bin nor on PATH; run "
                         "scripts/install-test-tools)")
    return found


def kustomize_build(directory: str) -> str:
    """`kubectl kustomize DIR`: the built stream, or an InvalidInputError with kustomize's."""
    if not Path(directory).is_dir():
        raise UsageError(f"--kustomize {directory}: not a directory")
    try:
        proc = subprocess.run([find_kubectl(), "kustomize", directory], capture_output=True,
                              text=True, check=False, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise InvalidInputError(f"kubectl kustomize did not finish in {TIMEOUT} s",
                                source=directory) from None
    if proc.returncode != 0:
        message = " ".join(proc.stderr.split()) or f"exit code {proc.returncode}"
        raise InvalidInputError(f"kubectl kustomize failed: {message}", source=directory)
    return proc.stdout


KUBECONFORM_ENV = "KUBECONFORM"
KUBECONFORM_RELEASES = "https://github.com/yannh/kubeconform/releases"
ACCEPTED_KUBECONFORM = "v0.6.x or v0.7.x"
_ACCEPTED_VERSION = re.compile(r"v0\.[67]\.\d+")
VERSION_TIMEOUT = 30


@dataclass(frozen=True)
class Kubeconform:
    """A kubeconform binary that answered `-v` with an accepted version."""

    path: str
    version: str


def locate_kubeconform(environ: Mapping[str, str] | None = None) -> str | None:
    """Where kubeconform would be taken from: `$KUBECONFORM` (a path) if set, else PATH."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(KUBECONFORM_ENV, "")
    if chosen:
        return chosen
    return shutil.which("kubeconform", path=environ.get("PATH", os.defpath))


def find_kubeconform(environ: Mapping[str, str] | None = None) -> Kubeconform:
    """The kubeconform to run, its version checked; a usage error (one line) otherwise."""
    environ = os.environ if environ is None else environ
    path = locate_kubeconform(environ)
    if path is None:
        raise UsageError(f"--kubeconform: kubeconform is not on PATH and ${KUBECONFORM_ENV} is "
                         f"not set (install {ACCEPTED_KUBECONFORM}: {KUBECONFORM_RELEASES})")
    origin = f"${KUBECONFORM_ENV}" if environ.get(KUBECONFORM_ENV) else "PATH"
    version = kubeconform_version(path, origin)
    if not _ACCEPTED_VERSION.fullmatch(version):
        # kubeconform's main.go says "development" unless its release build sets main.version
        hint = (" (a `go install` build: add -ldflags '-X main.version=v0.7.0' for the tag "
                "you built)" if version == "development" else "")
        raise UsageError(f"--kubeconform: {path} reports version {version!r}; nim-gitops "
                         f"accepts {ACCEPTED_KUBECONFORM} ({KUBECONFORM_RELEASES}){hint}")
    return Kubeconform(path, version)


def kubeconform_version(path: str, origin: str = "PATH") -> str:
    """What `kubeconform -v` prints (stripped); a usage error when it cannot be run."""
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise UsageError(f"--kubeconform: {path} (from {origin}) is not an executable file")
    try:
        proc = subprocess.run([path, "-v"], capture_output=True, text=True, check=False,
                              timeout=VERSION_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"--kubeconform: {path} -v did not run: {error}") from None
    # the exit code is not relied on: kubeconform's main.go has returned 1 after printing
    # the version in some releases
    first = (proc.stdout or proc.stderr).strip().splitlines()
    return " ".join(first[0].split())[:80] if first else ""
