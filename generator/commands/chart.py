"""`nim-gitops chart` (write the Helm chart) and `nim-gitops values` (values for a config)."""

from __future__ import annotations

from pathlib import Path

import click

from generator import console
from generator.commands.options import target_option
from generator.errors import InvalidInputError

CATALOG_HELP = "Metadata ConfigMap to embed instead of the sample catalog."


@click.command()
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path), help=CATALOG_HELP)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Chart directory to write (created if missing).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from a fresh chart.")
def chart(catalog: Path | None, output: Path, check: bool) -> int:
    """Write the nim-gitops Helm chart into DIR (same objects as `nim-gitops render`)."""
    from generator.chart.build import CHART_NAME, chart_files
    from generator.chart.values import chart_catalog
    from generator.writer import check_tree, replace_tree

    cat, name = chart_catalog(catalog)
    files = chart_files(cat, name)
    existing = _chart_tree(output, CHART_NAME)
    stale = sorted(existing - set(files))
    if check:
        check_tree(output, files, stale, "its sources")
        console.info(f"{output} is up to date ({len(files)} files)")
        return 0
    changed = replace_tree(output, files, stale)
    console.info(f"wrote the {CHART_NAME} chart ({len(cat)} models) into {output} "
                 f"({len(changed)} files written, {len(stale)} stale removed)")
    return 0


def _chart_tree(root: Path, name: str) -> set[str]:
    """Files of an earlier chart in `root`; refuse to write into an unrelated directory."""
    if not root.exists():
        return set()
    if root.is_file():
        raise InvalidInputError("is a file, not a directory", source=str(root))
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    chart_yaml = root / "Chart.yaml"
    if found and not (chart_yaml.is_file() and
                      f"\nname: {name}\n" in chart_yaml.read_text("utf-8")):
        raise InvalidInputError(f"holds files but no {name} chart; choose an empty directory",
                                source=str(root))
    return found


@click.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path),
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
