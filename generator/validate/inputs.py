"""Gathers what one `validate` run reads: paths, stdin and built kustomizations.

When kubeconform also runs, it needs files: inputs that exist only in memory (stdin, a
kustomize build) are written to a scratch directory, and `names` maps those files back to the
names used in messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import InvalidInputError
from generator.reading import read_stdin
from generator.validate.documents import STDIN, Loaded, LoadFailure, load_paths, load_text
from generator.validate.tools import kustomize_build

STDIN_SOURCE = "<stdin>"


@dataclass
class Inputs:
    """Parsed documents plus the files kubeconform should read for the same content."""

    documents: list[Loaded] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    def _scratch(self, scratch: Path | None, source: str, text: str) -> None:
        if scratch is None:
            return
        path = scratch / f"input-{len(self.names)}.yaml"
        path.write_text(text, "utf-8")
        self.files.append(str(path))
        self.names[str(path)] = source


def gather(paths: Sequence[str], kustomize_dirs: Sequence[str],
           scratch: Path | None = None, jobs: int = 1) -> Inputs:
    """Read every input; with `scratch`, also list the files kubeconform should read."""
    inputs = Inputs()
    for path in paths:
        if path == STDIN:
            try:
                text = read_stdin(source=STDIN_SOURCE)
            except InvalidInputError as exc:
                inputs.documents.append(LoadFailure(STDIN_SOURCE, 0, exc.message))
                continue
            inputs.documents.extend(load_text(text, STDIN_SOURCE))
            inputs._scratch(scratch, STDIN_SOURCE, text)
        else:
            inputs.documents.extend(load_paths([path], jobs))
            inputs.files.append(path)
    for directory in kustomize_dirs:
        source = f"kustomize:{directory}"
        text = kustomize_build(directory)
        inputs.documents.extend(load_text(text, source))
        inputs._scratch(scratch, source, text)
    return inputs
