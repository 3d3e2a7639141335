"""`schemas build`: CRD files (or a `kubectl get crd -o yaml` List) -> a schema directory."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from generator import yamlio
from generator.errors import InvalidInputError, UsageError
from generator.reading import read_stdin
from generator.targets import DEFAULT_TARGET
from generator.validate import proposed
from generator.validate.crd import (
    DEFAULT_FORMAT,
    FORMAT_FIELDS,
    ConvertedSchema,
    convert_crd,
    iter_crds,
)
from generator.validate.documents import STDIN, expand_paths

# What Kubernetes accepts for a CRD's group, version and kind; they become file paths below -o.
_NAME_RULES = (
    ("spec.group", re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                              r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"),
     "a DNS subdomain such as serving.kserve.io"),
    ("spec.versions[].name", re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"),
     "a DNS label such as v1beta1"),
    ("spec.names.kind", re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}"),
     "a CamelCase name such as InferenceService"),
)


def _check_names(schema: ConvertedSchema, source: str) -> None:
    """Refuse a group, version or kind that is not a Kubernetes name (it could leave -o)."""
    for (field_name, rule, allowed), value in zip(
            _NAME_RULES, (schema.group, schema.version, schema.kind), strict=True):
        if not rule.fullmatch(value):
            raise InvalidInputError(f"{value!r} is not {allowed}", source=source,
                                    path=field_name)


def check_format(fmt: str) -> None:
    """Refuse a filename format with unknown fields or an escape from the directory."""
    try:
        sample = fmt.format(**{name: "x" for name in FORMAT_FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"--filename-format {fmt!r}: {exc} (fields: "
                         f"{', '.join('{' + f + '}' for f in FORMAT_FIELDS)})") from None
    if sample.startswith("/") or ".." in Path(sample).parts:
        raise UsageError(f"--filename-format {fmt!r} must stay inside the output directory")


def convert_sources(sources: Iterable[str], *, close: bool = True,
                    target: str = DEFAULT_TARGET) -> list[ConvertedSchema]:
    """Every schema of every CRD in the given files, directories or `-`, as the CRDs say;
    with the `redesign` target plus the redesign's proposed fields, marked as proposals."""
    proposed.check_target(target)
    out: list[ConvertedSchema] = []
    for path in expand_paths(sources):
        source = "<stdin>" if path == STDIN else path
        text = (read_stdin(source=source) if path == STDIN
                else yamlio.read_text(path))
        for crd in iter_crds(yamlio.load_all(text, source), source):
            for converted in convert_crd(crd, source, close=close):
                _check_names(converted, source)
                if target == proposed.REDESIGN:
                    api_version = f"{converted.group}/{converted.version}"
                    schema, _ = proposed.with_proposed(converted.schema, api_version,
                                                       converted.kind)
                    converted = ConvertedSchema(converted.group, converted.kind,
                                                converted.version, schema)
                out.append(converted)
    if not out:
        raise InvalidInputError("no CustomResourceDefinition found in the input")
    return out


def schema_files(schemas: Iterable[ConvertedSchema],
                 fmt: str = DEFAULT_FORMAT) -> dict[str, str]:
    """Relative path -> JSON text of every schema; a name used twice is an error."""
    check_format(fmt)
    files: dict[str, str] = {}
    owners: dict[str, str] = {}
    for schema in schemas:
        rel = schema.filename(fmt)
        what = f"{schema.kind}.{schema.group}/{schema.version}"
        if rel in owners and owners[rel] != what:
            raise InvalidInputError(f"{owners[rel]} and {what} both map to {rel}; "
                                    "use a --filename-format with {fullgroup}")
        files[rel] = json.dumps(schema.schema, indent=2, sort_keys=True) + "\n"
        owners[rel] = what
    return dict(sorted(files.items()))
