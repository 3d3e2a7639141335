"""`nim-gitops validate` as a library: Kubernetes and CRD schemas plus the NIM policy rules.

    report = validate_paths(["rendered/"], ValidateOptions(schema_locations=("schemas/",)))
    report.ok, report.summary_line(), list(report)   # list(report): one line per problem

`validate_objects` takes parsed objects instead of files. Both return a `Report` (one `Result`
per resource); iterating it yields the problems, so `list(validate_objects(...)) == []` means
everything passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.validate.documents import Document, load_paths, load_text
from generator.validate.options import DEFAULT_KUBERNETES_VERSION, ValidateOptions
from generator.validate.results import Finding, Report, Result, Signature, Status

__all__ = ["DEFAULT_KUBERNETES_VERSION", "Finding", "Report", "Result", "Signature", "Status",
           "ValidateOptions", "validate_objects", "validate_paths", "validate_text"]

OBJECTS_SOURCE = "<objects>"


def validate_objects(objects: Iterable[Any], options: ValidateOptions | None = None,
                     source: str = OBJECTS_SOURCE) -> Report:
    """Validate parsed objects (documents numbered from 0 in the order given)."""
    from generator.validate.engine import Engine

    docs = [Document(source, index, obj) for index, obj in enumerate(objects)]
    return Engine(options or ValidateOptions()).run(docs)


def validate_text(text: str, source: str, options: ValidateOptions | None = None) -> Report:
    """Validate a YAML or JSON stream."""
    from generator.validate.engine import Engine

    return Engine(options or ValidateOptions()).run(load_text(text, source))


def validate_paths(paths: Iterable[str], options: ValidateOptions | None = None) -> Report:
    """Validate files, directories (recursively) and `-` (stdin)."""
    from generator.validate.engine import Engine

    return Engine(options or ValidateOptions()).run(load_paths(paths))
