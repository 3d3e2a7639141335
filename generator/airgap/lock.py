"""The digest lock file committed next to a config with `spec.airGap.pinDigests: true`.

`<config-stem>.lock.yaml` maps each image by tag to its manifest digest, sorted, so that a
re-lock that finds nothing new leaves the file byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.errors import InvalidInputError

LOCK_API_VERSION = "nim-gitops.opendatahub.io/v1alpha1"
LOCK_KIND = "NimGitOpsLock"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
HEADER = ("# Written by `nim-gitops airgap lock`; commit it next to the config.\n"
          "# Each image tag is pinned to the manifest digest the registry reported.\n")


def lock_path(config_path: Path | str) -> Path:
    """Where the lock file of a config lives: `nim-gitops.yaml` -> `nim-gitops.lock.yaml`."""
    path = Path(config_path)
    return path.with_name(f"{path.stem}.lock.yaml")


def lock_text(digests: Mapping[str, str]) -> str:
    """The lock file's text: deterministic, images sorted."""
    body = {
        "apiVersion": LOCK_API_VERSION,
        "kind": LOCK_KIND,
        "digests": {image: digests[image] for image in sorted(digests)},
    }
    return HEADER + yamlio.dump(body)


def read_lock(path: Path) -> dict[str, str]:
    """Read and check a lock file: image -> digest."""
    source = str(path)
    doc: Any = yamlio.load_one(yamlio.read_text(path), source)
    if not isinstance(doc, dict) or doc.get("kind") != LOCK_KIND:
        raise InvalidInputError(f"not a {LOCK_KIND} file", source=source, path="kind")
    if doc.get("apiVersion") != LOCK_API_VERSION:
        raise InvalidInputError(f"apiVersion must be {LOCK_API_VERSION}", source=source,
                                path="apiVersion")
    digests = doc.get("digests") or {}
    if not isinstance(digests, dict):
        raise InvalidInputError("must be a mapping of image to digest", source=source,
                                path="digests")
    for image, digest in digests.items():
        if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
            raise InvalidInputError("not a sha256 digest", source=source,
                                    path=f"digests.{image}")
    return {str(k): str(v) for k, v in digests.items()}


def required_digests(config_path: Path | str, images: Iterable[str]) -> dict[str, str]:
    """The locked digest of every image, or a one-line error telling how to fix it."""
    path = lock_path(config_path)
    fix = f"run: nim-gitops airgap lock {config_path}"
    if not path.is_file():
        raise InvalidInputError(f"spec.airGap.pinDigests is true but {path} is missing; {fix}",
                                source=str(config_path), path="spec.airGap.pinDigests")
    locked = read_lock(path)
    missing = sorted(set(images) - set(locked))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InvalidInputError(f"no digest for {missing[0]}{more}; {fix}", source=str(path),
                                path="digests")
    return {image: locked[image] for image in images}
