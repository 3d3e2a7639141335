"""`nim-gitops metadata ...`: build, check and compare the model metadata ConfigMap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import console
from generator.commands.options import examples
from generator.keys import KeySafeCommand, service_options
from generator.ngc import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from generator.ngc import NgcSettings


def _settings(ngc_url: str, timeout: float, retries: int, backoff: float,
              concurrency: int) -> NgcSettings:
    from generator.ngc import NgcSettings

    return NgcSettings(url=ngc_url, timeout=timeout, retries=retries, backoff=backoff,
                       concurrency=concurrency)


def _probe_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option("--progress-interval", type=click.FloatRange(min=0), default=5.0,
                        hidden=True, help="Seconds between plain progress lines.")(func)
    func = click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")(func)
    func = click.option("--exclude", multiple=True, metavar="ORG/TEAM/NAME",
                        help="Leave out a catalog resource (resolves a name collision).")(func)
    func = click.option("--allow-partial", is_flag=True,
                        help="Write even when some models failed (other than 451).")(func)
    func = click.option("-j", "--jobs", "--concurrency", "concurrency",
                        type=click.IntRange(1, 256), default=DEFAULT_CONCURRENCY,
                        show_default=True,
                        help="Requests in flight at once (--concurrency: the old spelling).")(func)
    return service_options(func)


@click.group(epilog=examples(
    "NGC_API_KEY=... nim-gitops metadata generate -o nim-models-data.yaml",
    "nim-gitops metadata validate nim-models-data.yaml"))
def metadata() -> None:
    """Build the model metadata ConfigMap from NVIDIA's NGC API, check and compare it."""


@metadata.command(cls=KeySafeCommand, epilog=examples(
    "NGC_API_KEY=... nim-gitops metadata generate -o nim-models-data.yaml",
    "nim-gitops metadata generate --api-key-file key.txt -o new.yaml --previous old.yaml "
    "--extended nim-models-details.json"))
@click.option("--output", "-o", required=True, metavar="FILE", help="ConfigMap file, - for stdout.")
@click.option("--name", default="nim-models-data", show_default=True, help="ConfigMap name.")
@click.option("--namespace", help="ConfigMap namespace (omitted by default).")
@click.option("--eu-restricted", type=click.Path(path_type=Path), metavar="FILE",
              help="EU list from 'metadata detect-eu': marks euRestricted: true.")
@click.option("--previous", type=click.Path(path_type=Path), metavar="FILE",
              help="The last shipped ConfigMap, to compare with.")
@click.option("--max-removed", default="10%", show_default=True, metavar="N|N%",
              help="With --previous: refuse when more models than this disappear.")
@click.option("--report", metavar="FILE", help="Write added/removed/changed models (.md or .json).")
@click.option("--extended", metavar="FILE",
              help="Also write the extended model details (public, signed tags, image size, "
                   "digests per architecture, multinode) to this side file.")
@_probe_options
def generate(output: str, name: str, namespace: str | None, eu_restricted: Path | None,
             previous: Path | None, max_removed: str, report: str | None,
             extended: str | None, concurrency: int,
             allow_partial: bool, exclude: tuple[str, ...], quiet: bool,
             progress_interval: float, api_key_file: Path | None, api_key_stdin: bool,
             ngc_url: str, timeout: float, retries: int, backoff: float) -> int:
    """Fetch every NIM model's metadata from NGC and write the ConfigMap."""
    from generator.keys import read_key
    from generator.metadata.generate import GenerateRequest
    from generator.metadata.generate import generate as run

    key = read_key(api_key_file, api_key_stdin)
    request = GenerateRequest(output=output, name=name, namespace=namespace,
                              eu_restricted=eu_restricted, previous=previous,
                              max_removed=max_removed, report=report,
                              allow_partial=allow_partial, exclude=exclude, quiet=quiet,
                              extended=extended,
                              progress_interval=progress_interval)
    summary = run(_settings(ngc_url, timeout, retries, backoff, concurrency),
                  key, request)
    for note in summary.notes:  # warnings show even with --quiet
        console.warn(note)
    if not quiet:
        console.info(summary.line())
    return 0


@metadata.command("detect-eu", cls=KeySafeCommand, epilog=examples(
    "NGC_API_KEY=... nim-gitops metadata detect-eu -o nim_eu_restricted.json   # run in the EU"))
@click.option("--output", "-o", required=True, metavar="FILE", help="EU list file, - for stdout.")
@_probe_options
def detect_eu(output: str, concurrency: int, allow_partial: bool, exclude: tuple[str, ...],
              quiet: bool, progress_interval: float, api_key_file: Path | None,
              api_key_stdin: bool, ngc_url: str, timeout: float, retries: int,
              backoff: float) -> int:
    """Probe every model from this location; write the ones that answer 451."""
    from generator.keys import read_key
    from generator.metadata.generate import detect_eu as run

    key = read_key(api_key_file, api_key_stdin)
    summary = run(_settings(ngc_url, timeout, retries, backoff, concurrency),
                  key, output, allow_partial=allow_partial, quiet=quiet, exclude=exclude,
                  progress_interval=progress_interval)
    for note in summary.notes:
        console.warn(note)
    if not quiet:
        console.info(f"{summary.written} EU-restricted models of {summary.probe.discovered} "
                     f"({len(summary.probe.failed)} failed), {summary.probe.elapsed:.1f}s")
    return 0


@metadata.command(epilog=examples("nim-gitops metadata validate nim-models-data.yaml"))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> int:
    """Check metadata ConfigMaps against the schema and the contract's rules."""
    from generator.errors import CheckFailedError
    from generator.hints import plural
    from generator.metadata.validate import validate_file

    errors = 0
    for path in files:
        findings, count = validate_file(path)
        for finding in findings:
            (console.error if finding.level == "error" else console.warn)(str(finding))
        file_errors = sum(1 for f in findings if f.level == "error")
        errors += file_errors
        if not file_errors:
            click.echo(f"ok {path} ({count} models)")
    if errors:
        raise CheckFailedError(f"{plural(errors, 'error')} in {plural(len(files), 'file')}")
    return 0


@metadata.command(epilog=examples(
    "nim-gitops metadata diff old.yaml new.yaml",
    "nim-gitops metadata diff old.yaml new.yaml --format json"))
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True, help="Report format.")
@click.option("--extended", nargs=2, type=click.Path(dir_okay=False, path_type=Path),
              metavar="OLD_DETAILS NEW_DETAILS",
              help="Also compare the extended details side files of the two ConfigMaps.")
def diff(old: Path, new: Path, fmt: str, extended: tuple[Path, Path] | None) -> int:
    """Report added, removed and changed models between two ConfigMaps."""
    from generator.catalog import load_catalog
    from generator.metadata import diff as diffmod

    report = diffmod.compare(load_catalog(old), load_catalog(new))
    text = diffmod.render(report, fmt, str(old), str(new))
    if extended:
        from generator.metadata.extended import compare_details, load_details

        changes = compare_details(load_details(extended[0]), load_details(extended[1]))
        text = diffmod.with_details(text, fmt, changes)
    click.echo(text, nl=False)
    return 0
