"""`schemas build`: CRD files (or a `kubectl get crd -o yaml` List) -> a schema directory."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from generator import yamlio
from generator.errors import InvalidInputError, UsageError
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
        text = (yamlio.decode(sys.stdin.buffer.read(), source) if path == STDIN
                else yamlio.read_text(path))
        for crd in iter_crds(yamlio.load_all(text, source), source):
            for converted in convert_crd(crd, source, close=close):
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


def write_schemas(schemas: Iterable[ConvertedSchema], out_dir: Path,
                  fmt: str = DEFAULT_FORMAT) -> list[Path]:
    """Write each schema under `out_dir`; a name used twice is an error."""
    from generator.writer import atomic_write

    check_format(fmt)
    written: dict[Path, str] = {}
    for schema in schemas:
        target = out_dir / schema.filename(fmt)
        what = f"{schema.kind}.{schema.group}/{schema.version}"
        if target in written and written[target] != what:
            raise InvalidInputError(f"{written[target]} and {what} both map to {target}; "
                                    "use a --filename-format with {fullgroup}")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, json.dumps(schema.schema, indent=2, sort_keys=True) + "\n")
        written[target] = what
    return sorted(written)
