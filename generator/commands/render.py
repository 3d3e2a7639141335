"""`nim-gitops render`: a config -> a kustomize tree (or a stream on stdout)."""

from __future__ import annotations

from pathlib import Path

import click

from generator import console
from generator.commands.options import target_option


@click.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, metavar="DIR",
              help="Output directory, or - to stream every object to stdout.")
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path),
              help="Metadata ConfigMap to use instead of the one the config names.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from the render.")
@target_option
def render(config: Path, output: str, catalog: Path | None, check: bool,
           target: str | None) -> int:
    """Render CONFIG into kustomize bases: DIR/platform and DIR/projects/<project>."""
    from generator.pipeline import plan_from_file
    from generator.render import render_objects
    from generator.render.kustomize import generated_files, kustomize_files, stream
    from generator.writer import atomic_write, check_tree, replace_tree

    plan = plan_from_file(config, catalog, target)
    for warning in plan.warnings:
        console.warn(warning)
    objects = render_objects(plan)
    if output == "-":
        if check:
            raise click.UsageError("--check needs an output directory")
        atomic_write("-", stream(objects))
        return 0
    root = Path(output)
    files = kustomize_files(objects)
    stale = sorted(generated_files(root) - set(files))
    if check:
        check_tree(root, files, stale, str(config))
        console.info(f"{root} is up to date ({len(files)} files)")
        return 0
    changed = replace_tree(root, files, stale)
    console.info(f"rendered {len(objects)} objects into {root} "
                 f"({len(changed)} files written, {len(stale)} stale removed)")
    return 0
