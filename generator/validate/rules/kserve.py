"""KServe: NIM images, InferenceService -> ServingRuntime references, and name limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.catalog import REGISTRY, is_pinned
from generator.validate.rules.base import Context, Hit, Rule
from generator.validate.rules.paths import dig, items, jp, kind_of, meta, pod_containers

GROUP = "serving.kserve.io"
NIM_ANNOTATION = "runtimes.opendatahub.io/nvidia-nim"
NIM_OPERATOR = "apps.nvidia.com"
COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG = re.compile(r"[\w][\w.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
PREDICTOR = "-predictor"
MAX_LABEL = 63


def _registries(context: Context) -> tuple[str, ...]:
    return (REGISTRY, *(m.rstrip("/") for m in context.mirrors))


def check_image(image: str, context: Context) -> str | None:
    """Why `image` is not a pinned NIM image reference, or None when it is one."""
    registries = _registries(context)
    registry = next((r for r in registries if image.startswith(r + "/")), None)
    if registry is None:
        allowed = " or ".join(f"{r}/..." for r in registries)
        return f"NIM image {image!r} is not from {allowed}"
    rest, _, digest = image[len(registry) + 1:].partition("@")
    repo, _, tag = rest.partition(":")
    parts = repo.split("/")
    if (len(parts) < 2 or not all(COMPONENT.fullmatch(p) for p in parts)
            or (tag and not TAG.fullmatch(tag)) or (digest and not DIGEST.fullmatch(digest))):
        return f"NIM image {image!r} is not {registry}/<namespace>/<name>:<tag>"
    if digest:
        return None
    if not tag:
        return f"NIM image {image!r} has no tag (that means latest); pin a version"
    if not is_pinned(tag):
        return (f"NIM image {image!r} uses the floating tag {tag!r}; pin a release "
                "(x.y.z) or a digest")
    return None


def _is_nim_runtime(obj: dict[str, Any], context: Context) -> bool:
    if str(dig(obj, "metadata", "annotations", NIM_ANNOTATION)) == "true":
        return True
    return any(isinstance(c.get("image"), str) and c["image"].startswith(
        tuple(r + "/" for r in _registries(context)))
        for _, c in pod_containers(obj.get("spec")))


def nim_images(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM004: NIM images are nvcr.io (or the mirror) references with a pinned tag."""
    group, kind = kind_of(obj)
    if (group, kind) == (GROUP, "ServingRuntime") and _is_nim_runtime(obj, context):
        for path, container in pod_containers(obj.get("spec"), "spec"):
            image = container.get("image")
            if container.get("name") != "kserve-container" and not (
                    isinstance(image, str) and image.startswith("nvcr.io/")):
                continue  # sidecars of other images are not NIM images
            problem = check_image(image if isinstance(image, str) else "", context)
            if problem:
                yield jp(*path, "image"), problem
    elif group == NIM_OPERATOR and kind in ("NIMService", "NIMCache"):
        image = dig(obj, "spec", "image") if kind == "NIMService" else dig(
            obj, "spec", "source", "ngc", "modelPuller")
        if isinstance(image, dict):
            ref = f"{image.get('repository', '')}:{image.get('tag', '')}"
            problem = check_image(ref, context)
            if problem:
                yield jp("spec", "image"), problem
        elif isinstance(image, str):
            problem = check_image(image, context)
            if problem:
                yield jp("spec", "source", "ngc", "modelPuller"), problem


def _runtime_for(obj: dict[str, Any], runtime: str, context: Context) -> dict[str, Any] | None:
    namespace = meta(obj, "namespace")
    found = context.serving_runtimes.get((namespace, runtime))
    if found is None and namespace:  # a runtime left for kustomize to put in the namespace
        found = context.serving_runtimes.get(("", runtime))
    if found is None and not namespace:
        found = next((rt for (_, name), rt in context.serving_runtimes.items()
                      if name == runtime), None)
    return found


def runtime_matches(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM005: an InferenceService's runtime exists beside it and serves its model format."""
    if kind_of(obj) != (GROUP, "InferenceService"):
        return
    model = dig(obj, "spec", "predictor", "model")
    runtime = dig(model, "runtime")
    if not isinstance(runtime, str) or not runtime:
        return
    base = ("spec", "predictor", "model")
    found = _runtime_for(obj, runtime, context)
    if found is None:
        where = meta(obj, "namespace") or "the same namespace"
        yield jp(*base, "runtime"), f"no ServingRuntime {runtime!r} in {where} among the inputs"
        return
    wanted = dig(model, "modelFormat", "name")
    formats = [f for _, f in items(dig(found, "spec", "supportedModelFormats"))]
    names = [f.get("name") for f in formats]
    if wanted not in names:
        yield jp(*base, "modelFormat", "name"), (
            f"model format {wanted!r} is not one ServingRuntime {runtime!r} supports "
            f"({', '.join(map(str, names)) or 'none'})")
        return
    version = dig(model, "modelFormat", "version")
    versions = [f.get("version") for f in formats if f.get("name") == wanted]
    if version is not None and None not in versions and version not in versions:
        yield jp(*base, "modelFormat", "version"), (
            f"model format version {version!r} is not one ServingRuntime {runtime!r} "
            f"supports ({', '.join(map(str, versions))})")


def kserve_names(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM007: an InferenceService name is a DNS-1035 label short enough for its Services."""
    if kind_of(obj) != (GROUP, "InferenceService"):
        return
    name = meta(obj, "name")
    if not DNS1035.fullmatch(name):
        yield jp("metadata", "name"), (
            f"InferenceService name {name!r} must be a DNS-1035 label (lower-case letters, "
            "digits and '-', starting with a letter)")
    elif len(name) + len(PREDICTOR) > MAX_LABEL:
        yield jp("metadata", "name"), (
            f"InferenceService name {name!r} is {len(name)} characters; KServe names its "
            f"Service '<name>{PREDICTOR}', so at most {MAX_LABEL - len(PREDICTOR)} fit")
    mode = dig(obj, "metadata", "annotations", "serving.kserve.io/deploymentMode")
    namespace = meta(obj, "namespace")
    host = f"{name}{PREDICTOR}-{namespace}"
    if mode == "Serverless" and namespace and len(host) > MAX_LABEL:
        yield jp("metadata", "name"), (
            f"serverless host label {host!r} is {len(host)} characters, over {MAX_LABEL}")


RULES = (
    Rule("NIM004", "pinned-nim-image", "NIM images come from nvcr.io/<namespace>/<name> (or "
         "the configured mirror) at a pinned tag: NGC moves latest, 1 and 1.x between "
         "releases, so a floating tag changes what runs without a commit.", nim_images),
    Rule("NIM005", "runtime-matches", "An InferenceService whose runtime or model format "
         "matches no ServingRuntime in its namespace never becomes ready.", runtime_matches),
    Rule("NIM007", "kserve-names", "KServe derives Service and host names from the "
         "InferenceService name; one that is not a short DNS-1035 label fails at admission or "
         "at deployment.", kserve_names),
)
