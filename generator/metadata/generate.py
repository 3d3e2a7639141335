"""`metadata generate` and `metadata detect-eu`: from a probe of NGC to files on disk.

Every input is read and checked before NVIDIA is called, and nothing is written until every
check has passed, so a failed run leaves the previous files untouched. The YAML emitter and the
writers are imported while the catalog request is in flight (`generator.preload`), not before
the first request.
"""

from __future__ import annotations

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
from generator.metadata import diff
from generator.metadata.discover import Resource
from generator.metadata.eu import EuMatcher, eu_list_json, load_eu_list
from generator.metadata.extended import details_json
from generator.metadata.fetch import Failure, Probe, ProgressFactory, refuse_failures, run_probe
from generator.metadata.progress import Progress
from generator.ngc import NgcSettings
from generator.preload import Preload

# Needed once every answer is in; imported while the catalog request is in flight (detect-eu
# needs only the writer, which imports yamlio too, through treediff)
AFTER_PROBE = ("generator.yamlio", "generator.writer")


def _probe(settings: NgcSettings, key: str, progress: ProgressFactory,
           exclude: tuple[str, ...]) -> Probe:
    """`run_probe`, importing `AFTER_PROBE` while it waits for NGC."""
    preload = Preload(AFTER_PROBE)
    try:
        return run_probe(settings, key, progress=progress, exclude=exclude,
                         on_key_accepted=preload.start)
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


def set_aside_bad_names(probe: Probe) -> None:
    """Move models whose names cannot be ConfigMap keys from the entries to the failures."""
    for entry in [e for e in probe.entries if not valid_key(e.name)]:
        probe.entries.remove(entry)
        rid = f"{entry.namespace}/{entry.name}"
        probe.failed.append(Failure(Resource(rid[:200], entry.name[:200], entry.display_name),
                                    f"the name is not a valid ConfigMap key ({KEY_RULE})"))


def refuse_key_material(texts: dict[str, str]) -> None:
    """Refuse to write a file that would carry an API key (a server that echoes it back)."""
    for target, text in texts.items():
        if redact.find_key(text):
            raise RemoteServiceError(
                f"{target}: the answers from NGC hold an API key (or a key-shaped string); "
                "refusing to write it into a file")


def generate(settings: NgcSettings, key: str, request: GenerateRequest) -> Summary:
    """Probe NGC, build the ConfigMap, check it against the previous one, write the files."""
    if not valid_name(request.name):
        raise UsageError(f"--name: {request.name!r} is not a valid ConfigMap name (a DNS "
                         "subdomain: lower-case letters, digits, '-' and '.', at most 253)")
    matcher = EuMatcher(load_eu_list(request.eu_restricted)) if request.eu_restricted else None
    previous = load_catalog(request.previous) if request.previous else None
    limit = diff.parse_max_removed(request.max_removed)
    fmt = diff.report_format(request.report) if request.report else None
    if fmt and previous is None:
        console.warn("--report without --previous: every model is reported as added")

    probe = _probe(settings, key, _progress(request.quiet, request.progress_interval),
                   request.exclude)
    set_aside_bad_names(probe)
    refuse_failures(probe, request.allow_partial, request.output)
    entries = mark_eu(probe.entries, matcher)
    summary = Summary(probe, written=len(entries),
                      eu_marked=sum(1 for e in entries if e.eu_restricted))
    if matcher is not None and matcher.unused():
        summary.notes.append("EU list entries not in the catalog: "
                             + ", ".join(i.resource_id or i.name for i in matcher.unused()))
    for failure in probe.failed:
        summary.notes.append(f"skipped {failure.resource.resource_id}: {failure.reason}")

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
    extended_text = details_json(probe.details) if request.extended else None
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
