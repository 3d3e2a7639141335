"""Input documents: files, directories (recursively) and stdin, split into resources.

A stream that fails to parse is re-read document by document, so one broken document (a
duplicate key, bad indentation) becomes one error and the others are still checked.
`kind: List` documents (`kubectl get -o yaml`) are expanded into their items.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.errors import InvalidInputError
from generator.reading import read_stdin

STDIN = "-"
SUFFIXES = (".yaml", ".yml", ".json")
PARALLEL_MIN_FILES = 1000
_DOC_START = re.compile(r"^---(?:[ \t].*)?$|^\.\.\.[ \t]*$")


@dataclass(frozen=True)
class Document:
    """One parsed document: file, 0-based document index and content."""

    source: str
    index: int
    obj: Any


@dataclass(frozen=True)
class LoadFailure:
    """A document (or file) that could not be read."""

    source: str
    index: int
    message: str
    line: int | None = None


Loaded = Document | LoadFailure


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files as given, directories walked for `*.yaml|*.yml|*.json` (hidden entries skipped)."""
    for path in paths:
        p = Path(path)
        if path != STDIN and p.is_dir():
            for found in sorted(p.rglob("*")):
                rel = found.relative_to(p).parts
                if found.suffix in SUFFIXES and found.is_file() and not any(
                        part.startswith(".") for part in rel):
                    yield str(found)
        else:
            yield path


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """(0-based first line, text) of each document of a stream, split on `---` lines."""
    start, lines = 0, text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if _DOC_START.match(line.rstrip("\r\n")) and number > start:
            yield start, "".join(lines[start:number])
            start = number
    yield start, "".join(lines[start:])


def _one_by_one(text: str, source: str) -> Iterator[Loaded]:
    index = 0
    for offset, chunk in _chunks(text):
        try:
            docs = yamlio.load_all(chunk, source)
        except InvalidInputError as exc:
            line = exc.line + offset if exc.line is not None else None
            yield LoadFailure(source, index, exc.message, line)
            index += 1
            continue
        for doc in docs:
            yield Document(source, index, doc)
            index += 1


def _expand_lists(docs: Iterable[Loaded]) -> Iterator[Loaded]:
    for doc in docs:
        obj = doc.obj if isinstance(doc, Document) else None
        if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(
                obj.get("items"), list):
            for item in obj["items"]:
                yield Document(doc.source, doc.index, item)
        else:
            yield doc


def load_text(text: str, source: str) -> list[Loaded]:
    """Every document of a YAML or JSON stream."""
    try:
        docs: list[Loaded] = [Document(source, i, d)
                              for i, d in enumerate(yamlio.load_all(text, source))]
    except InvalidInputError:
        docs = list(_one_by_one(text, source))
    return list(_expand_lists(docs))


def _load_one(path: str) -> list[Loaded]:
    source = "<stdin>" if path == STDIN else path
    try:
        text = (read_stdin(source=source) if path == STDIN
                else yamlio.read_text(path))
    except InvalidInputError as exc:
        return [LoadFailure(source, 0, exc.message)]
    return load_text(text, source)


def _load_files(paths: list[str]) -> list[Loaded]:
    return [doc for path in paths for doc in _load_one(path)]


def jobs_for(jobs: int) -> int:
    """`jobs`, or the number of CPUs for 0."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def load_paths(paths: Iterable[str], jobs: int = 1) -> Iterator[Loaded]:
    """Every document of every path (`-` reads stdin once), in order.

    Parsing is most of the time of a large run, so with `jobs` > 1 and at least
    PARALLEL_MIN_FILES files, files are parsed by that many processes (0: one per CPU).
    """
    files = list(expand_paths(paths))
    jobs = jobs_for(jobs)
    if jobs == 1 or len(files) < PARALLEL_MIN_FILES or STDIN in files:
        for path in files:
            yield from _load_one(path)
        return
    size = max(100, len(files) // (jobs * 4))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(_load_files, chunks):
            yield from part
