"""Runs kubeconform on the same inputs and merges its verdicts into a `Report`.

kubeconform gets the schemas validate itself used and then the user's locations:

1. with `--target redesign`, the schemas that gained proposed fields (written to a scratch
   directory in the CRD layout `schemas build` writes);
2. each `--schema-location`; a plain local directory is passed twice, in the CRD layout and
   as is (kubeconform then looks for core kinds in its standalone layout);
3. the core schemas bundled with `kubernetes-validate`, for the kinds in the input, laid out
   as kubeconform's standalone folders, so core kinds never need the network.

`-kubernetes-version` is the full `x.y.z` of the bundled schemas (kubeconform refuses `1.33`).
With `-verbose` its JSON output lists every resource; the n-th resource of a file with a given
kind and name is matched with the n-th of ours (its output has no namespace; where that matters
it runs with one goroutine, which keeps its output in input order), and each of its
findings is added there with the rule `kubeconform`, so a resource is invalid when either tool
says so.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.errors import InvalidInputError
from generator.validate.core import core_filename
from generator.validate.documents import Document, Loaded
from generator.validate.locations import CRD_LAYOUT, is_url
from generator.validate.options import ValidateOptions
from generator.validate.proposed import REDESIGN
from generator.validate.registry import SchemaRegistry
from generator.validate.results import Finding, Report, Result, Signature, Status

RULE = "kubeconform"
SKIP = ("kustomize.config.k8s.io/v1beta1/Kustomization,"
        "kustomize.config.k8s.io/v1alpha1/Component")
TIMEOUT = 600
NOT_VALID = ("statusInvalid", "statusError")


def kubeconform_locations(location: str) -> list[str]:
    """What to pass kubeconform for one of our locations."""
    if location == "default" or is_url(location) or "{{" in location or \
            location.endswith("json") or not Path(location).is_dir():
        return [location]
    return [location.rstrip("/") + CRD_LAYOUT, location]


def write_own_schemas(registry: SchemaRegistry, documents: Sequence[Loaded], target: str,
                      scratch: Path) -> list[str]:
    """The schemas validate used that kubeconform would miss or fetch, as its locations."""
    proposals, core = scratch / "proposed", scratch / "core"
    folder = f"v{registry.kubernetes_version}-standalone{'-strict' if registry.strict else ''}"
    seen: set[tuple[str, str]] = set()
    for doc in documents:
        if not isinstance(doc, Document):
            continue
        sig = Signature.of(doc.obj)
        if not sig.kind or not sig.api_version or (sig.api_version, sig.kind) in seen:
            continue
        seen.add((sig.api_version, sig.kind))
        try:
            compiled = registry.lookup(sig.api_version, sig.kind)
        except InvalidInputError:
            continue  # already reported by validate itself
        if compiled is None:
            continue
        name = core_filename(sig.api_version, sig.kind)
        if compiled.core and name is not None:
            path = core / folder / name
        elif compiled.proposals and target == REDESIGN:
            path = proposals / sig.group / f"{sig.kind.lower()}_{sig.version}.json"
        else:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(compiled.validator.schema), "utf-8")
    return [str(proposals) + CRD_LAYOUT, str(core)]


def needs_order(report: Report) -> bool:
    """True when two resources of one file share kind and name: kubeconform's output (which
    has no namespace) then tells them apart only by position, and its position is the input
    order only with one validating goroutine (`-n 1`; with more, it varies from run to run)."""
    seen: set[tuple[str, str, str]] = set()
    for result in report.results:
        key = _key(result.source, result.signature.kind, result.signature.name)
        if key in seen:
            return True
        seen.add(key)
    return False


def command(binary: str, files: Sequence[str], options: ValidateOptions,
            kubernetes_version: str, own: Sequence[str] = (), ordered: bool = False,
            ) -> list[str]:
    """The kubeconform command line (`kubernetes_version` as x.y.z); `ordered` keeps its
    verdicts in input order (see `needs_order`)."""
    args = [binary, "-output", "json", "-verbose", "-skip", SKIP,
            "-kubernetes-version", kubernetes_version, *(["-n", "1"] if ordered else [])]
    ours = list(own)
    locations = [*ours[:1], *(loc for location in options.schema_locations
                              for loc in kubeconform_locations(location)), *ours[1:]]
    for location in locations:
        args += ["-schema-location", location]
    if options.strict:
        args.append("-strict")
    if options.ignore_missing_schemas:
        args.append("-ignore-missing-schemas")
    return [*args, *files]


def run(args: list[str]) -> list[dict[str, Any]]:
    """kubeconform's verdict on every resource (its `resources` list), in its order."""
    try:
        proc = subprocess.run(args, capture_output=True, text=True, check=False,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise InvalidInputError(f"kubeconform did not finish in {TIMEOUT} s") from None
    try:
        data = json.loads(proc.stdout)
        resources = data.get("resources") or []
    except (ValueError, AttributeError):
        detail = " ".join((proc.stderr or proc.stdout).split())[:300]
        raise InvalidInputError(f"kubeconform (exit {proc.returncode}) did not print its JSON "
                                f"output: {detail}") from None
    return [r for r in resources if isinstance(r, dict)]


def _path(pointer: str) -> str:
    parts = [p for p in pointer.split("/") if p]
    return "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)


def _key(source: str, kind: str, name: str) -> tuple[str, str, str]:
    return source, kind, name


def merge(report: Report, resources: list[dict[str, Any]],
          names: dict[str, str] | None = None) -> Report:
    """Add kubeconform's verdicts; `names` maps the files it saw back to our source names.

    Its n-th resource with a file, kind and name is our n-th result with the same three.
    """
    names = names or {}
    ours: dict[tuple[str, str, str], list[Result]] = {}
    for result in report.results:
        ours.setdefault(_key(result.source, result.signature.kind, result.signature.name),
                        []).append(result)
    taken: dict[tuple[str, str, str], int] = {}
    for item in resources:
        filename = str(item.get("filename", ""))
        key = _key(names.get(filename, filename), str(item.get("kind", "")),
                   str(item.get("name", "")))
        position = taken.get(key, 0)
        taken[key] = position + 1
        status = str(item.get("status", ""))
        if status not in NOT_VALID:
            continue
        candidates = ours.get(key, [])
        if position < len(candidates):
            target = candidates[position]
        else:
            target = Result(key[0], -1, Signature(str(item.get("version", "")), key[1], "",
                                                  key[2]))
            report.results.append(target)
        _add(target, status, item)
    return report


def _add(target: Result, status: str, item: dict[str, Any]) -> None:
    errors = item.get("validationErrors") or []
    if status == "statusError" or not errors:
        message = f"kubeconform: {item.get('msg', status)}"
        if status == "statusError" and target.status is not Status.ERROR:
            target.status = Status.ERROR
            target.reason = target.reason or message
            target.findings.append(Finding("", message, RULE))
        else:
            target.add(Finding("", message, RULE))
        return
    for error in errors:
        target.add(Finding(_path(str(error.get("path", ""))),
                           f"kubeconform: {error.get('msg', '')}", RULE))
