"""The exact NIM images a config (or a model list) needs, in the formats mirroring tools read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator import yamlio
from generator.catalog import REGISTRY, Catalog, is_floating
from generator.errors import InvalidInputError
from generator.models import Plan

FORMATS = ("lines", "oc-mirror", "skopeo")
OC_MIRROR_API = "mirror.openshift.io/v2alpha1"


@dataclass(frozen=True, order=True)
class Image:
    """One image to mirror: `nvcr.io/<repository>:<tag>`, plus its digest when pinned."""

    repository: str  # without the registry: nim/meta/llama-3.1-8b-instruct
    tag: str
    digest: str | None = None

    @property
    def ref(self) -> str:
        """The image by tag, as the catalog and the lock file name it."""
        return f"{REGISTRY}/{self.repository}:{self.tag}"


def plan_images(plan: Plan) -> list[Image]:
    """Every image the plan's deployments run, once each, sorted."""
    found = {(d.model.namespace + "/" + d.model.name, d.tag) for d in plan.deployments}
    return sorted(Image(repo, tag, plan.digests.get(f"{REGISTRY}/{repo}:{tag}"))
                  for repo, tag in found)


def _parse_model(text: str, cat: Catalog, allow_floating: bool) -> tuple[str, str]:
    name, _, tag = text.partition(":")
    model = cat.get(name)
    where = f"--models {text}"
    if model is None:
        raise InvalidInputError(f'"{name}" is not in the catalog', source=cat.source, path=where)
    if not tag:
        newest = model.newest_pinned_tag()
        if newest is None:
            raise InvalidInputError(f'"{name}" has no pinned version tag; name one as '
                                    f"{name}:<tag>", source=cat.source, path=where)
        return model.namespace + "/" + name, newest
    if tag not in model.tags:
        raise InvalidInputError(f'"{tag}" is not a tag of "{name}"', source=cat.source,
                                path=where)
    if is_floating(tag) and not allow_floating:
        raise InvalidInputError(f'"{tag}" is a floating tag; pin a version or pass '
                                "--allow-floating-tags", source=cat.source, path=where)
    return model.namespace + "/" + name, tag


def catalog_images(cat: Catalog, models: Iterable[str], *,
                   allow_floating: bool = False) -> list[Image]:
    """Images for `name` (newest pinned tag) or `name:tag` entries of a catalog, sorted."""
    found = {_parse_model(m, cat, allow_floating) for m in models}
    return sorted(Image(repo, tag) for repo, tag in found)


def as_lines(images: Sequence[Image]) -> str:
    """One image per line, by tag."""
    return "".join(f"{image.ref}\n" for image in images)


def as_oc_mirror(images: Sequence[Image]) -> str:
    """An oc-mirror v2 ImageSetConfiguration: each image by tag, and by digest when pinned."""
    entries: list[dict[str, str]] = []
    for image in images:
        entries.append({"name": image.ref})
        if image.digest:
            entries.append({"name": f"{REGISTRY}/{image.repository}@{image.digest}"})
    doc: dict[str, Any] = {
        "apiVersion": OC_MIRROR_API,
        "kind": "ImageSetConfiguration",
        "mirror": {"additionalImages": entries},
    }
    return yamlio.dump(doc)


def as_skopeo(images: Sequence[Image]) -> str:
    """A `skopeo sync --src yaml` file: repositories of nvcr.io and their tags (and digests)."""
    repos: dict[str, list[str]] = {}
    for image in images:
        refs = repos.setdefault(image.repository, [])
        refs.append(image.tag)
        if image.digest:
            refs.append(image.digest)
    return yamlio.dump({REGISTRY: {"images": {repo: sorted(set(refs))
                                               for repo, refs in sorted(repos.items())}}})


def format_images(images: Sequence[Image], fmt: str) -> str:
    """The image list in one of FORMATS."""
    if fmt == "oc-mirror":
        return as_oc_mirror(images)
    if fmt == "skopeo":
        return as_skopeo(images)
    return as_lines(images)


WEIGHTS_HEADER = (
    "# Model weights an air-gapped cluster needs in each deployment's cache. On a connected\n"
    "# machine, run each image's `fetch` into an empty directory set as NIM_CACHE_PATH (with\n"
    "# NGC_API_KEY), then put that directory where `source` says; the render fills the cache\n"
    "# PVC from there (see docs/backend-kserve.md).\n"
)


def plan_weights(plan: Plan) -> list[dict[str, Any]]:
    """What each deployment's cache must hold and where the config says it is mirrored."""
    out: list[dict[str, Any]] = []
    for d in plan.deployments:
        cache, source = d.spec.cache, d.spec.cache.source
        profiles = list(cache.profiles)
        entry: dict[str, Any] = {
            "deployment": f"{d.project}/{d.name}",
            "backend": d.spec.backend,
            "image": d.model.image(d.tag),
            "profiles": profiles or "the NIM's default for the deployment's GPUs",
            "fetch": " ".join(["download-to-cache", *(["--profiles", *profiles]
                                                      if profiles else [])]),
        }
        if source is None:
            entry["source"] = "none: filled from NGC, which an air-gapped cluster cannot reach"
        else:
            entry["source"] = {source.kind: source.location}
            if source.image:
                entry["tool"] = source.image
        out.append(entry)
    return out


def format_weights(weights: Sequence[dict[str, Any]]) -> str:
    """The weights list as a commented YAML document."""
    return WEIGHTS_HEADER + yamlio.dump({"weights": list(weights)})
