"""`metadata generate` and `metadata detect-eu`: from a probe of NGC to files on disk.

Every input is read and checked before NVIDIA is called, and nothing is written until every
check has passed, so a failed run leaves the previous files untouched. The YAML emitter and the
writers are imported while the catalog request is in flight (`generator.preload`), not before
the first request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import console, redact
from generator.catalog import (
    KEY_RULE,
    Catalog,
    ModelEntry,
    configmap,
    load_catalog,
    size_problem,
    valid_key,
    valid_name,
)
from generator.errors import RemoteServiceError, UsageError
from generator.heap import few_collections
from generator.metadata import conform, diff
from generator.metadata.discover import Resource
from generator.metadata.eu import EuMatcher, eu_list_json, load_eu_list
from generator.metadata.extended import Details, details_json
from generator.metadata.fetch import Failure, Probe, ProgressFactory, refuse_failures, run_probe
from generator.metadata.outputs import check_distinct
from generator.metadata.progress import Progress
from generator.ngc import NgcSettings
from generator.preload import Preload

# Needed once every answer is in; imported while the first requests are in flight (detect-eu
# needs only the writer, which imports yamlio too, through treediff)
AFTER_PROBE = ("generator.yamlio", "generator.writer")


def _probe(settings: NgcSettings, key: str, progress: ProgressFactory,
           exclude: tuple[str, ...], prepare: tuple[Callable[[], object], ...] = ()) -> Probe:
    """`run_probe`, importing `AFTER_PROBE` and calling `prepare` while it waits for NGC,
    with the collector set for a run whose every request leaves a few cycles behind
    (`heap.few_collections`)."""
    preload = Preload(AFTER_PROBE, prepare)
    try:
        with few_collections():
            return run_probe(settings, key, progress=progress, exclude=exclude,
                             while_waiting=preload.start)
    finally:
        preload.wait()


@dataclass(frozen=True)
class GenerateRequest:
    """What `metadata generate` was asked to do."""

    output: str
    name: str = "nim-models-data"
    namespace: str | None = None
    eu_restricted: Path | None = None
    previous: Path | None = None
    max_removed: str = "10%"
    report: str | None = None
    allow_partial: bool = False
    exclude: tuple[str, ...] = ()
    extended: str | None = None
    quiet: bool = False
    progress_interval: float = 5.0


@dataclass
class Summary:
    """Counts for the final line."""

    probe: Probe
    written: int = 0
    eu_marked: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        p = self.probe
        return (f"{p.discovered} models processed: {self.written} written, "
                f"{len(p.restricted)} EU-restricted (451) skipped, {len(p.failed)} failed, "
                f"{self.eu_marked} marked euRestricted, {p.elapsed:.1f}s")


def _progress(quiet: bool, interval: float) -> ProgressFactory:
    def factory(total: int) -> Progress:
        return Progress(total, quiet=quiet, interval=interval)

    return factory


def mark_eu(entries: list[ModelEntry], matcher: EuMatcher | None) -> list[ModelEntry]:
    """Entries with `euRestricted` set from the list (all false without a list)."""
    if matcher is None:
        return entries
    return [replace(e, eu_restricted=matcher.restricted(e)) for e in entries]


def _resource(entry: ModelEntry) -> Resource:
    """The catalog resource an entry came from, for a failure or a warning."""
    rid = f"{entry.namespace}/{entry.name}"
    return Resource(rid[:200], entry.name[:200], entry.display_name)


def set_aside_bad_names(probe: Probe) -> None:
    """Move models whose names cannot be ConfigMap keys from the entries to the failures."""
    for entry in [e for e in probe.entries if not valid_key(e.name)]:
        probe.entries.remove(entry)
        probe.failed.append(Failure(_resource(entry),
                                    f"the name is not a valid ConfigMap key ({KEY_RULE})"))


def apply_schema(probe: Probe) -> list[str]:
    """Hold every entry to the metadata schema (`conform`): what is left out of a model is
    returned as one warning per model; a model that cannot fit moves to the failures."""
    kept: list[ModelEntry] = []
    notes: list[str] = []
    for entry in probe.entries:
        result = conform.conform_entry(entry)
        if result.entry is None:
            probe.failed.append(Failure(_resource(entry), result.problem or "does not fit"))
            continue
        kept.append(result.entry)
        if result.notes:
            notes.append(f"{_resource(entry).resource_id}: {'; '.join(result.notes)}")
    probe.entries[:] = kept
    probe.failed.sort(key=lambda f: f.resource.resource_id)
    return notes


def side_details(probe: Probe, entries: list[ModelEntry]) -> tuple[list[Details], list[str]]:
    """The extended details of the models written, without any that hold key-shaped text
    (left out, with a warning naming the model)."""
    by_name = {e.name: e for e in entries}
    kept: list[Details] = []
    notes: list[str] = []
    for details in probe.details:
        entry = by_name.get(details.name)
        if entry is None:
            continue
        problem = conform.details_problem(details)
        if problem:
            notes.append(f"{_resource(entry).resource_id}: {problem}")
        else:
            kept.append(details)
    return kept, notes


def check_request(request: GenerateRequest) -> None:
    """Refuse, before any request is sent, what is a usage error: the ConfigMap's name and
    namespace, and outputs that name the same file."""
    if redact.find_key(request.name):
        raise UsageError(f"--name: {conform.KEY_SHAPED}")
    if not valid_name(request.name):
        raise UsageError(f"--name: {request.name!r} is not a valid ConfigMap name (a DNS "
                         "subdomain: lower-case letters, digits, '-' and '.', at most 253)")
    if request.namespace is not None:
        problem = conform.namespace_problem(request.namespace)
        if problem:
            raise UsageError(f"--namespace: {problem}")
    check_distinct({"-o": request.output, "--extended": request.extended,
                    "--report": request.report})


def refuse_key_material(texts: dict[str, str]) -> None:
    """Refuse to write a file that would carry an API key (a server that echoes it back)."""
    for target, text in texts.items():
        if redact.find_key(text):
            raise RemoteServiceError(
                f"{target}: the answers from NGC hold an API key (or a key-shaped string); "
                "refusing to write it into a file")


def refuse_echoed_key(probe: Probe, key: str, target: str) -> None:
    """Refuse the whole run when NGC's answers hold the very key it used: a server (or a proxy
    at --ngc-url) that echoes the key back is failing, whichever model it lands in. Other
    key-shaped text (a placeholder in a description) is one model's problem (`apply_schema`)."""
    texts = [json.dumps(e.to_json_dict(), ensure_ascii=False) for e in probe.entries]
    texts += [json.dumps(d.to_json_dict(), ensure_ascii=False) for d in probe.details]
    if key and any(key in text for text in texts):
        raise RemoteServiceError(
            f"{target}: the answers from NGC hold the API key this run used (a server that "
            "echoes it back); refusing to write it into a file")


def _summary(probe: Probe, entries: list[ModelEntry], matcher: EuMatcher | None,
             left_out: list[str]) -> Summary:
    """The counts and the warnings of a run: unused EU list entries, what was left out of
    models (`left_out`), and the models skipped."""
    summary = Summary(probe, written=len(entries),
                      eu_marked=sum(1 for e in entries if e.eu_restricted))
    if matcher is not None and matcher.unused():
        summary.notes.append("EU list entries not in the catalog: "
                             + ", ".join(i.resource_id or i.name for i in matcher.unused()))
    summary.notes.extend(left_out)
    summary.notes.extend(f"skipped {f.resource.resource_id}: {f.reason}" for f in probe.failed)
    return summary


def generate(settings: NgcSettings, key: str, request: GenerateRequest) -> Summary:
    """Probe NGC, build the ConfigMap, check it against the previous one, write the files."""
    check_request(request)
    matcher = EuMatcher(load_eu_list(request.eu_restricted)) if request.eu_restricted else None
    previous = load_catalog(request.previous) if request.previous else None
    limit = diff.parse_max_removed(request.max_removed)
    fmt = diff.report_format(request.report) if request.report else None
    if fmt and previous is None:
        console.warn("--report without --previous: every model is reported as added")

    probe = _probe(settings, key, _progress(request.quiet, request.progress_interval),
                   request.exclude, prepare=(conform.prepare,))
    refuse_echoed_key(probe, key, request.output)
    set_aside_bad_names(probe)
    left_out = apply_schema(probe)
    refuse_failures(probe, request.allow_partial, request.output)
    entries = mark_eu(probe.entries, matcher)
    details, details_left_out = side_details(probe, entries) if request.extended else ([], [])
    summary = _summary(probe, entries, matcher, [*left_out, *details_left_out])
    new = Catalog({e.name: e for e in entries}, request.output)
    report = diff.compare(previous or Catalog({}, "(none)"), new)
    if previous is not None:
        diff.check_removed(report, limit, str(request.previous))
    cm = configmap(entries, name=request.name, namespace=request.namespace)
    problem = size_problem(cm)
    if problem:
        raise RemoteServiceError(f"{request.output}: {problem}; leave models out with --exclude")
    from generator import yamlio
    from generator.writer import atomic_write

    text = yamlio.dump(cm)
    report_text = (diff.render(report, fmt, str(request.previous or "(none)"), request.output)
                   if request.report and fmt else None)
    extended_text = details_json(details) if request.extended else None
    refuse_key_material({request.output: text,
                         **({request.report: report_text}
                            if request.report and report_text else {}),
                         **({request.extended: extended_text}
                            if request.extended and extended_text else {})})
    atomic_write(request.output, text)
    if request.extended and extended_text is not None:
        atomic_write(request.extended, extended_text)
    if request.report and report_text is not None:
        atomic_write(request.report, report_text)
    return summary


def detect_eu(settings: NgcSettings, key: str, output: str, *, allow_partial: bool,
              quiet: bool, exclude: tuple[str, ...] = (),
              progress_interval: float = 5.0) -> Summary:
    """Probe every model from this location and write the 451s as an EU list."""
    probe = _probe(settings, key, _progress(quiet, progress_interval), exclude)
    refuse_failures(probe, allow_partial, output)
    from generator.writer import atomic_write

    text = eu_list_json((r.name, r.resource_id) for r in probe.restricted)
    refuse_key_material({output: text})
    atomic_write(output, text)
    notes = [f"skipped {f.resource.resource_id}: {f.reason}" for f in probe.failed]
    return Summary(probe, written=len(probe.restricted), notes=notes)
