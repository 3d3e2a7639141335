"""External programs validate may run: `kubectl kustomize` and `kubeconform`.

kubectl is looked up in the project's `.tools/bin` first (where `scripts/install-test-tools`
puts the pinned version), then on PATH; kubeconform only on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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


def find_kubeconform() -> str:
    """kubeconform on PATH, or a usage error."""
    found = shutil.which("kubeconform")
    if found is None:
        raise UsageError("--kubeconform: kubeconform is not on PATH "
                         "(https://github.com/yannh/kubeconform)")
    return found
