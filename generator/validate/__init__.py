"""`nim-gitops validate` as a library: Kubernetes and CRD schemas plus the NIM policy rules.

    report = validate_paths(["rendered/"], ValidateOptions(schema_locations=("schemas/",)))
    report.ok, report.summary_line(), list(report)   # list(report): one line per problem

`validate_objects` takes parsed objects instead of files. Both return a `Report` (one `Result`
per resource); iterating it yields the problems, so `list(validate_objects(...)) == []` means
everything passed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from generator.validate.documents import Document, load_text
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


def validate_paths(paths: Iterable[str], options: ValidateOptions | None = None,
                   kustomize_dirs: Sequence[str] = ()) -> Report:
    """Validate files, directories (recursively), `-` (stdin) and kustomize builds.

    With `options.kubeconform`, kubeconform (`$KUBECONFORM`, else on PATH; v0.6.x or v0.7.x)
    checks the same inputs with the same schemas and its verdicts are merged into the report.
    """
    from generator.validate import kubeconform
    from generator.validate.engine import Engine
    from generator.validate.inputs import gather
    from generator.validate.tools import find_kubeconform

    options = options or ValidateOptions()
    engine = Engine(options)  # refuses unknown rules and versions before reading anything
    binary = find_kubeconform() if options.kubeconform else None
    with tempfile.TemporaryDirectory(prefix="nim-gitops-validate-") as tmp:
        inputs = gather(list(paths), kustomize_dirs, Path(tmp) if binary else None,
                        options.jobs)
        report = engine.run(inputs.documents)
        if binary:
            own = kubeconform.write_own_schemas(engine.registry, inputs.documents,
                                                options.target, Path(tmp) / "schemas")
            args = kubeconform.command(binary.path, inputs.files, options,
                                       engine.registry.kubernetes_version, own,
                                       ordered=kubeconform.needs_order(report))
            kubeconform.merge(report, kubeconform.run(args), inputs.names)
    return report
