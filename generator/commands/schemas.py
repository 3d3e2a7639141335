"""`nim-gitops schemas build`: CRDs -> JSON schemas in kubeconform's layout."""

from __future__ import annotations

from pathlib import Path

import click

from generator import console
from generator.commands.options import diff_option, examples, force_option, write_or_diff
from generator.targets import DEFAULT_TARGET, TARGETS


@click.group(epilog=examples("nim-gitops schemas build crds/ -o schemas/"))
def schemas() -> None:
    """JSON schemas for `nim-gitops validate` and kubeconform."""


@schemas.command(epilog=examples(
    "nim-gitops schemas build crds/ -o schemas/   # crds/: the CRD YAML files of your cluster",
    "kubectl get crd -o yaml | nim-gitops schemas build - -o schemas/"))
@click.argument("crds", nargs=-1, required=True, metavar="CRD.yaml...|DIR|-")
@click.option("-o", "--output", required=True, metavar="DIR", type=click.Path(path_type=Path),
              help="Schema directory to write (created when missing).")
@click.option("--filename-format", default="{fullgroup}/{kind}_{version}", show_default=True,
              help="File name per schema; fields {kind}, {version}, {group} (first label) and "
                   "{fullgroup}, as in kubeconform's openapi2jsonschema.")
@click.option("--open/--closed", "open_", default=False, show_default=True,
              help="Leave objects open instead of closing them with additionalProperties: "
                   "false (kubeconform closes them).")
@click.option("--target", type=click.Choice(TARGETS), default=DEFAULT_TARGET, show_default=True,
              help="current: the schemas as the CRDs say; redesign: also the redesign's "
                   "proposed fields (OdhDashboardConfig spec.nimConfig), marked so validate "
                   "reports them.")
@diff_option("files")
@force_option
def build(crds: tuple[str, ...], output: Path, filename_format: str, open_: bool,
          target: str, diff: bool, force: bool) -> int:
    """Convert CRDs (files, directories, or `kubectl get crd -o yaml` on stdin) to schemas."""
    from generator.hints import plural
    from generator.validate.build import check_format, convert_sources, schema_files
    from generator.writer import plan_tree

    check_format(filename_format)
    converted = convert_sources(crds, close=not open_, target=target)
    tree = plan_tree(output, schema_files(converted, filename_format), "schemas build")
    shown = write_or_diff(tree, diff=diff, force=force)
    if shown is not None:
        return shown
    console.info(f"wrote {plural(len(tree.files), 'schema')} into {output} "
                 f"({len(tree.write)} changed, {len(tree.remove)} stale removed)")
    return 0
