"""`nim-gitops render`: a config -> a kustomize tree (or a stream on stdout)."""

from __future__ import annotations

from pathlib import Path

import click

from generator import console
from generator.errors import CheckFailedError


@click.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, metavar="DIR",
              help="Output directory, or - to stream every object to stdout.")
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path),
              help="Metadata ConfigMap to use instead of the one the config names.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from the render.")
def render(config: Path, output: str, catalog: Path | None, check: bool) -> int:
    """Render CONFIG into kustomize bases: DIR/platform and DIR/projects/<project>."""
    from generator.pipeline import plan_from_file
    from generator.render import render_objects
    from generator.render.kustomize import generated_files, kustomize_files, stream
    from generator.writer import atomic_write, write_tree

    plan = plan_from_file(config, catalog)
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
        differ = [rel for rel, text in sorted(files.items())
                  if not (root / rel).is_file() or (root / rel).read_text("utf-8") != text]
        problems = [f"changed: {rel}" for rel in differ] + [f"stale: {rel}" for rel in stale]
        if problems:
            raise CheckFailedError(
                f"{root} is out of date with {config} ({len(problems)} files): "
                + "; ".join(problems[:20]) + (" ..." if len(problems) > 20 else "")
            )
        console.info(f"{root} is up to date ({len(files)} files)")
        return 0
    changed = write_tree(root, files)
    for rel in stale:
        (root / rel).unlink()
    console.info(f"rendered {len(objects)} objects into {root} "
                 f"({len(changed)} files written, {len(stale)} stale removed)")
    return 0
