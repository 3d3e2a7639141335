"""`nim-gitops chart` (write the Helm chart) and `nim-gitops values` (values for a config)."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from generator import console
from generator.commands.options import (
    config_input,
    diff_option,
    examples,
    force_option,
    target_option,
    write_or_diff,
)
from generator.errors import UsageError

CATALOG_HELP = "Metadata ConfigMap to embed instead of the sample catalog."


@click.command(epilog=examples(
    "nim-gitops chart -o charts/nim-gitops",
    "nim-gitops chart -o charts/nim-gitops --check   # CI: is the committed chart current?",
    "nim-gitops chart --catalog nim-models-data.yaml -o my-chart"))
@click.option("--catalog", type=click.Path(path_type=Path), help=CATALOG_HELP)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              metavar="DIR", help="Chart directory to write (created if missing).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from a fresh chart.")
@diff_option("files")
@force_option
def chart(catalog: Path | None, output: Path, check: bool, diff: bool, force: bool) -> int:
    """Write the nim-gitops Helm chart into DIR (same objects as `nim-gitops render`).

    DIR/.nim-gitops-files records the files written; other files in DIR are left alone.
    """
    from generator.chart.build import CHART_NAME, TOOL_NAMES, chart_files
    from generator.chart.values import chart_catalog
    from generator.hints import plural
    from generator.writer import check_plan, plan_tree

    if check and diff:
        raise UsageError("give --check or --diff, not both")
    cat, name = chart_catalog(catalog)
    tree = plan_tree(output, chart_files(cat, name), "chart", tool_names=TOOL_NAMES)
    if check:
        fix = shlex.join(["nim-gitops", "chart", "-o", str(output)]
                         + (["--catalog", str(catalog)] if catalog else []))
        check_plan(tree, "its sources", fix)
        console.info(f"{output} is up to date ({plural(len(tree.files), 'file')})")
        return 0
    shown = write_or_diff(tree, diff=diff, force=force)
    if shown is not None:
        return shown
    console.info(f"wrote the {CHART_NAME} chart ({plural(len(cat), 'model')}) into {output} "
                 f"({plural(len(tree.write), 'file')} written, {len(tree.remove)} stale removed)")
    return 0


@click.command(epilog=examples(
    "nim-gitops values nim-gitops.yaml > values.yaml",
    "helm template nim charts/nim-gitops -f <(nim-gitops values -c nim-gitops.yaml)"))
@config_input()
@click.option("--catalog", type=click.Path(path_type=Path),
              help="The catalog the chart embeds (as given to `nim-gitops chart --catalog`).")
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="Where to write the values (- = stdout).")
@target_option
def values(config: Path, catalog: Path | None, output: str, target: str | None) -> int:
    """Print the Helm values equivalent to CONFIG (its spec) for the nim-gitops chart."""
    from generator.chart.values import values_text
    from generator.writer import atomic_write

    atomic_write(output, values_text(config, catalog, target))
    return 0
