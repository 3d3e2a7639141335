"""The digest lock file committed next to a config with `spec.airGap.pinDigests: true`.

`<config-stem>.lock.yaml` maps each image by tag to its manifest digest, sorted, so that a
re-lock that finds nothing new leaves the file byte-identical. `DIGEST` is the one shape a
digest may have wherever it is read (NGC's answers, the registry, the extended details, this
file); the module is cheap to import (YAML is loaded when a file is read or written).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generator.errors import InvalidInputError

LOCK_API_VERSION = "nim-gitops.opendatahub.io/v1alpha1"
LOCK_KIND = "NimGitOpsLock"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
HEADER = ("# Written by `nim-gitops airgap lock`; commit it next to the config.\n"
          "# Each image tag is pinned to the manifest digest the registry reported.\n")


def is_digest(value: object) -> bool:
    """`value` has a digest's shape: `sha256:` and 64 lowercase hex digits, nothing more
    (no newline that could forge a line of a report)."""
    return isinstance(value, str) and DIGEST.fullmatch(value) is not None


def lock_path(config_path: Path | str) -> Path:
    """Where the lock file of a config lives: `nim-gitops.yaml` -> `nim-gitops.lock.yaml`."""
    path = Path(config_path)
    return path.with_name(f"{path.stem}.lock.yaml")


def lock_text(digests: Mapping[str, str]) -> str:
    """The lock file's text: deterministic, images sorted."""
    from generator import yamlio

    body = {
        "apiVersion": LOCK_API_VERSION,
        "kind": LOCK_KIND,
        "digests": {image: digests[image] for image in sorted(digests)},
    }
    return HEADER + yamlio.dump(body)


def read_lock(path: Path) -> dict[str, str]:
    """Read and check a lock file: image -> digest."""
    from generator import yamlio

    return parse_lock(yamlio.read_text(path), str(path))


def parse_lock(text: str, source: str) -> dict[str, str]:
    """Check a lock file's text (`source` names it in errors): image -> digest."""
    from generator import yamlio

    doc: Any = yamlio.load_one(text, source)
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
        if not is_digest(digest):
            raise InvalidInputError("not a sha256 digest", source=source,
                                    path=f"digests.{image}")
    return {str(k): str(v) for k, v in digests.items()}


def required_digests(config_path: Path | str, images: Iterable[str],
                     locked: Mapping[str, str] | None = None,
                     source: str | None = None) -> dict[str, str]:
    """The locked digest of every image, or a one-line error telling how to fix it; `locked`
    (read elsewhere, e.g. at a Git revision, and named `source`) instead of the lock file."""
    path = lock_path(config_path)
    fix = f"run: nim-gitops airgap lock {config_path}"
    if locked is None:
        if not path.is_file():
            raise InvalidInputError(f"spec.airGap.pinDigests is true but {path} is missing; "
                                    f"{fix}", source=str(config_path),
                                    path="spec.airGap.pinDigests")
        locked = read_lock(path)
    missing = sorted(set(images) - set(locked))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InvalidInputError(f"no digest for {missing[0]}{more}; {fix}",
                                source=source or str(path), path="digests")
    return {image: locked[image] for image in images}
