"""Runs kubeconform on the same inputs and merges its verdicts into a `Report`.

kubeconform gets the same schema locations (a plain local directory becomes the template of the
layout `schemas build` writes), then `default` for the core kinds. Its JSON output lists the
resources that are not valid; each of its findings is added to the matching result (same file,
kind and name) with the rule `kubeconform`, so a resource is invalid when either tool says so.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.errors import InvalidInputError
from generator.validate.locations import CRD_LAYOUT, is_url
from generator.validate.options import ValidateOptions
from generator.validate.results import Finding, Report, Result, Signature, Status

RULE = "kubeconform"
SKIP = ("kustomize.config.k8s.io/v1beta1/Kustomization,"
        "kustomize.config.k8s.io/v1alpha1/Component")
TIMEOUT = 600


def kubeconform_location(location: str) -> str:
    """What to pass kubeconform for one of our locations."""
    if location == "default" or is_url(location) or "{{" in location or \
            location.endswith("json") or not Path(location).is_dir():
        return location
    return location.rstrip("/") + CRD_LAYOUT


def command(binary: str, files: Sequence[str], options: ValidateOptions) -> list[str]:
    """The kubeconform command line."""
    args = [binary, "-output", "json", "-skip", SKIP,
            "-kubernetes-version", options.kubernetes_version]
    for location in (*options.schema_locations, "default"):
        args += ["-schema-location", kubeconform_location(location)]
    if options.strict:
        args.append("-strict")
    if options.ignore_missing_schemas:
        args.append("-ignore-missing-schemas")
    return [*args, *files]


def run(binary: str, files: Sequence[str], options: ValidateOptions) -> list[dict[str, Any]]:
    """kubeconform's non-valid resources (its `resources` list)."""
    try:
        proc = subprocess.run(command(binary, files, options), capture_output=True, text=True,
                              check=False, timeout=TIMEOUT)
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


def merge(report: Report, resources: list[dict[str, Any]],
          names: dict[str, str] | None = None) -> Report:
    """Add kubeconform's verdicts; `names` maps the files it saw back to our source names."""
    names = names or {}
    for item in resources:
        status = str(item.get("status", ""))
        if status not in ("statusInvalid", "statusError"):
            continue
        source = names.get(str(item.get("filename", "")), str(item.get("filename", "")))
        kind, name = str(item.get("kind", "")), str(item.get("name", ""))
        target = next((r for r in report.results if r.source == source
                       and r.signature.kind == kind and r.signature.name == name), None)
        if target is None:
            target = Result(source, -1, Signature(str(item.get("version", "")), kind, "", name))
            report.results.append(target)
        errors = item.get("validationErrors") or []
        if status == "statusError" or not errors:
            message = f"kubeconform: {item.get('msg', status)}"
            if status == "statusError" and target.status is not Status.ERROR:
                target.status = Status.ERROR
                target.reason = target.reason or message
                target.findings.append(Finding("", message, RULE))
            else:
                target.add(Finding("", message, RULE))
            continue
        for error in errors:
            target.add(Finding(_path(str(error.get("path", ""))),
                               f"kubeconform: {error.get('msg', '')}", RULE))
    return report
