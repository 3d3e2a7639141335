"""`nim-gitops validate`: manifests against Kubernetes/CRD schemas and the NIM policy rules."""

from __future__ import annotations

import io

import click

from generator.commands.options import examples
from generator.targets import DEFAULT_TARGET, TARGETS
from generator.validate.options import DEFAULT_KUBERNETES_VERSION


@click.command(epilog=examples(
    "nim-gitops validate rendered/ --schema-location schemas/   # schemas: see schemas build",
    "nim-gitops validate --kustomize rendered/projects/team-a --schema-location schemas/",
    "nim-gitops render nim-gitops.yaml -o - | nim-gitops validate - --schema-location schemas/ "
    "-o json",
    "nim-gitops validate --list-rules"))
@click.argument("paths", nargs=-1, metavar="[PATH|DIR|-]...")
@click.option("--kustomize", "kustomize_dirs", multiple=True, metavar="DIR",
              help="Build DIR with `kubectl kustomize` and validate the result (repeatable).")
@click.option("--schema-location", "locations", multiple=True, metavar="LOCATION",
              help="Schemas for non-core kinds: a directory (as `schemas build` writes) or a "
                   "kubeconform URL/path template; repeatable, tried in order.")
@click.option("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, show_default=True,
              help="Kubernetes version of the bundled core schemas.")
@click.option("--target", type=click.Choice(TARGETS), default=DEFAULT_TARGET, show_default=True,
              help="current: check against the schemas as given; redesign: also accept the "
                   "redesign's proposed fields (OdhDashboardConfig spec.nimConfig) and name "
                   "each use in the report.")
@click.option("--strict", is_flag=True, help="Reject fields the schemas do not describe.")
@click.option("--ignore-missing-schemas", is_flag=True,
              help="Skip the schema check (not the rules) of kinds without a schema.")
@click.option("--skip", multiple=True, metavar="RULE",
              help="Do not apply RULE (id such as NIM004, or name); repeatable.")
@click.option("--mirror", "mirrors", multiple=True, metavar="REGISTRY",
              help="Registry (host[/path]) that mirrors nvcr.io; NIM images may use it.")
@click.option("-o", "--output", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "junit"]), help="Report format (stdout).")
@click.option("--kubeconform", "use_kubeconform", is_flag=True,
              help="Also run kubeconform ($KUBECONFORM, else on PATH; v0.6.x or v0.7.x) with the "
                   "same locations; merge verdicts.")
@click.option("-j", "--jobs", default=0, show_default=True, type=click.IntRange(min=0),
              help="Processes that parse large inputs (1000+ files); 0 = one per CPU.")
@click.option("-v", "--verbose", is_flag=True, help="Also list valid and skipped resources.")
@click.option("--list-rules", is_flag=True, help="Print the policy rules and exit.")
def validate(paths: tuple[str, ...], kustomize_dirs: tuple[str, ...],
             locations: tuple[str, ...], kubernetes_version: str, target: str, strict: bool,
             ignore_missing_schemas: bool, skip: tuple[str, ...], mirrors: tuple[str, ...],
             output_format: str, use_kubeconform: bool, jobs: int, verbose: bool,
             list_rules: bool) -> int:
    """Validate manifests: files, directories (recursively) or - for stdin.

    Exit 0 when every resource is valid (or skipped), 1 when any is invalid or could not be
    checked, 2 on a usage error, 3 when a schema location on the network cannot be fetched.
    """
    from generator.errors import UsageError
    from generator.validate import validate_paths
    from generator.validate.locations import check_location
    from generator.validate.options import ValidateOptions
    from generator.validate.reporters import REPORTERS
    from generator.validate.rules import RULES

    if list_rules:
        for rule in RULES:
            click.echo(f"{rule.id}  {rule.name:<26} {rule.rationale}")
        return 0
    if not paths and not kustomize_dirs:
        raise UsageError("nothing to validate: give PATH, DIR, - or --kustomize DIR")
    for location in locations:
        check_location(location)
    options = ValidateOptions(locations, kubernetes_version, strict, ignore_missing_schemas,
                              skip, mirrors, use_kubeconform, jobs, target)
    report = validate_paths(paths, options, kustomize_dirs)
    buffer = io.StringIO()
    REPORTERS[output_format](report, buffer, verbose=verbose)
    click.echo(buffer.getvalue(), nl=False)
    return 0 if report.ok else 1
