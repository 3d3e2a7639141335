"""Filling a deployment's cache PVC before its NIM starts: what the fill Job runs (pure data).

Connected, the Job runs the NIM image's own `download-to-cache` utility with the deployment's
key (NVIDIA NIM for LLMs, "Utilities": `download-to-cache --profiles ...`, which needs
`NGC_API_KEY`; without profiles it picks the optimal profile for the GPUs it sees), with the
environment the NIM Operator's own caching Job sets (NVIDIA/k8s-nim-operator
internal/controller/nimcache_controller.go: `NGC_HOME` is where download mode writes). Air-gapped,
it copies mirrored weights from S3 (`aws s3 sync`) or an OCI artifact (`oras pull`); a PVC
source is cloned by the PVC itself and needs no Job. The Job writes a marker file when it is
done; the KServe predictor waits for that marker in an init container.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass

from generator.models import Deployment, SecretRefs

CACHE_MOUNT = "/mnt/models/cache"
MARKER_DIR = f"{CACHE_MOUNT}/.nim-gitops"
JOB_NAME_ROOM = 44  # <name>-fill-<8 hex> stays within the 63 characters of a label value


@dataclass(frozen=True)
class CacheFill:
    """One fill Job: its name, image, shell script, and the Secrets it reads."""

    job_name: str
    marker: str
    image: str
    script: str
    key_secret: str | None = None
    pull_secret: str | None = None
    env_secret: str | None = None
    registry_secret: str | None = None
    gpus: int = 0
    downloads: bool = False  # runs download-to-cache (which writes to NGC_HOME)

    @property
    def wait_script(self) -> str:
        """What the predictor's init container runs until the Job has finished."""
        return (f"until [ -f {shlex.quote(self.marker)} ]; do "
                "echo waiting for the cache fill Job; sleep 15; done")


def clone_source(d: Deployment) -> str | None:
    """The PVC the cache PVC is cloned from, if the config names one."""
    source = d.spec.cache.source
    return source.location if source and source.kind == "pvc" else None


# Go's encoding/json escapes these inside strings (HTML safety, and JavaScript's line ends).
_GO_ESCAPES = str.maketrans({"&": "\\u0026", "<": "\\u003c", ">": "\\u003e",
                             "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _digest(*parts: object) -> str:
    """8 hex digits of the compact JSON of `parts` as Go writes it (Helm's `toJson |
    sha256sum` of the same list, so the chart names the Job alike)."""
    text = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).translate(_GO_ESCAPES)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _done(marker: str) -> str:
    return f"mkdir -p {MARKER_DIR} && touch {shlex.quote(marker)}"


def cache_fill(d: Deployment, refs: SecretRefs) -> CacheFill | None:
    """The Job that fills `d`'s cache, or None when nothing fills it before the NIM starts;
    `refs` are the deployment's key and pull Secrets as its other objects reference them
    (none without a provider; none where a keyless deployment needs neither).

    The Job name carries a hash of what it fetches: a new tag, profile list or source makes a
    new Job (Job templates are immutable), and the marker it leaves is per content.
    """
    cache, source = d.spec.cache, d.spec.cache.source
    if source is None and not cache.preload:
        return None
    if source is not None and source.kind == "pvc":
        return None
    digest = _digest(d.image, list(cache.profiles), source.kind if source else "ngc",
                     source.location if source else "")
    name = f"{d.name[:JOB_NAME_ROOM].rstrip('-')}-fill-{digest}"
    marker = f"{MARKER_DIR}/{digest}"
    if source is None:
        profiles = " ".join(shlex.quote(p) for p in cache.profiles)
        fetch = f"download-to-cache --profiles {profiles}" if profiles else "download-to-cache"
        return CacheFill(name, marker, d.image, f"set -e; {fetch}; {_done(marker)}",
                         key_secret=refs.key, pull_secret=refs.pull,
                         gpus=0 if cache.profiles else d.spec.gpus, downloads=True)
    if source.kind == "s3":
        endpoint = f" --endpoint-url {shlex.quote(source.endpoint)}" if source.endpoint else ""
        fetch = (f"aws s3 sync{endpoint} --only-show-errors {shlex.quote(source.location)} "
                 f"{CACHE_MOUNT}")
        return CacheFill(name, marker, source.image or "", f"set -e; {fetch}; {_done(marker)}",
                         env_secret=source.secret)
    auth = " --registry-config /run/oci-auth/.dockerconfigjson" if source.secret else ""
    fetch = f"cd {CACHE_MOUNT} && oras pull{auth} {shlex.quote(source.location)}"
    return CacheFill(name, marker, source.image or "", f"set -e; {fetch}; {_done(marker)}",
                     registry_secret=source.secret)
