"""Validation results as plain data: one `Result` per resource, collected in a `Report`.

Reporters (`reporters.py`) present them; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA = "schema"
PROPOSED = "proposed"  # the rule of a note: a proposed field accepted with `--target redesign`


class Status(str, Enum):
    """kubeconform's statuses: a resource is valid, invalid, could not be checked, or skipped."""

    VALID = "valid"
    INVALID = "invalid"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Signature:
    """What identifies a resource in messages: apiVersion, kind, namespace and name."""

    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""

    @classmethod
    def of(cls, obj: Any) -> Signature:
        """The signature of a parsed document (empty fields when it is not an object)."""
        if not isinstance(obj, dict):
            return cls()
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return cls(_text(obj.get("apiVersion")), _text(obj.get("kind")),
                   _text(meta.get("namespace")), _text(meta.get("name")))

    @property
    def group(self) -> str:
        """The API group (`""` for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        """The version part of apiVersion."""
        return self.api_version.rpartition("/")[2]

    def __str__(self) -> str:
        kind = self.kind or "<no kind>"
        name = self.name or "<no name>"
        return f"{kind}/{self.namespace}/{name}" if self.namespace else f"{kind}/{name}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Finding:
    """One problem: where (JSON path inside the resource), what, and which rule (or "schema")."""

    path: str
    message: str
    rule: str = SCHEMA

    def __str__(self) -> str:
        where = self.path or "$"
        return f"{where}: {self.message} [{self.rule}]"


@dataclass
class Result:
    """The verdict on one resource (or on one document that could not be read)."""

    source: str
    index: int
    signature: Signature
    status: Status = Status.VALID
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""  # why the resource was skipped or could not be checked
    notes: list[Finding] = field(default_factory=list)  # accepted, but worth stating

    def add(self, finding: Finding) -> None:
        """Record a finding; the resource becomes invalid (an error stays an error)."""
        self.findings.append(finding)
        if self.status in (Status.VALID, Status.SKIPPED):
            self.status = Status.INVALID

    def fail(self, reason: str, path: str = "$") -> None:
        """Mark the resource as not checkable (missing schema, unreadable document)."""
        self.status = Status.ERROR
        self.reason = reason
        self.findings.append(Finding(path, reason, "error"))

    @property
    def location(self) -> str:
        """`file[index] kind/namespace/name`, the prefix of every message about it."""
        return f"{self.source}[{self.index}] {self.signature}"


@dataclass
class Report:
    """Every result of one validation run, in input order. Iterating yields the problems."""

    results: list[Result] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many resources ended with `status`."""
        return sum(1 for r in self.results if r.status is status)

    @property
    def ok(self) -> bool:
        """True when nothing is invalid and nothing failed."""
        return all(r.status in (Status.VALID, Status.SKIPPED) for r in self.results)

    @property
    def summary(self) -> dict[str, int]:
        """The total and the count per status, named as in kubeconform's JSON summary."""
        return {"resources": len(self.results), "valid": self.count(Status.VALID),
                "invalid": self.count(Status.INVALID), "errors": self.count(Status.ERROR),
                "skipped": self.count(Status.SKIPPED)}

    def summary_line(self) -> str:
        """`N resources, N valid, N invalid, N errors, N skipped`."""
        s = self.summary
        return (f"{s['resources']} resources, {s['valid']} valid, {s['invalid']} invalid, "
                f"{s['errors']} errors, {s['skipped']} skipped")

    def notes(self) -> Iterator[tuple[Result, Finding]]:
        """Every note (a proposed field accepted), in input order."""
        for result in self.results:
            for note in result.notes:
                yield result, note

    def notes_line(self) -> str:
        """The line naming the proposed fields accepted, or "" when none was."""
        counts: dict[str, int] = {}
        for _, note in self.notes():
            where = note.path.removeprefix("$.")
            counts[where] = counts.get(where, 0) + 1
        if not counts:
            return ""
        what = ", ".join(f"{where} ({n} {'object' if n == 1 else 'objects'})"
                         for where, n in sorted(counts.items()))
        return f"accepted with --target redesign, not in the installed CRDs: {what}"

    def problems(self) -> Iterator[tuple[Result, Finding]]:
        """Every finding of every invalid or failed resource."""
        for result in self.results:
            for finding in result.findings:
                yield result, finding

    def __iter__(self) -> Iterator[str]:
        """One line per problem, `file[index] kind/ns/name path: message [rule]`."""
        for result, finding in self.problems():
            yield f"{result.location} {finding}"
