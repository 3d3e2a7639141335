"""`nim-gitops render`: a config -> a kustomize tree (or a stream on stdout)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import console
from generator.commands.options import force_option, report_takeover, target_option
from generator.errors import UsageError

if TYPE_CHECKING:
    from generator.writer import TreePlan

@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, metavar="DIR",
              help="Output directory, or - to stream every object to stdout.")
@click.option("--catalog", type=click.Path(path_type=Path),
              help="Metadata ConfigMap to use instead of the one the config names.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from the render.")
@click.option("--diff", is_flag=True,
              help="Write nothing; show the objects the render would add, change and remove "
                   "(exit 1 when there are any).")
@force_option
@target_option
def render(config: Path, output: str, catalog: Path | None, check: bool, diff: bool,
           force: bool, target: str | None) -> int:
    """Render CONFIG into kustomize bases: DIR/platform and DIR/projects/<project>.

    DIR/.nim-gitops-files records the files written; only those are ever overwritten or
    removed by the next render.
    """
    from generator.hints import plural
    from generator.pipeline import plan_from_file
    from generator.render import render_objects
    from generator.render.kustomize import kustomize_files, stream
    from generator.writer import atomic_write, check_plan, plan_tree, write_plan

    if check and diff:
        raise UsageError("give --check or --diff, not both")
    plan = plan_from_file(config, catalog, target)
    for warning in plan.warnings:
        console.warn(warning)
    objects = render_objects(plan)
    if output == "-":
        if check or diff:
            raise UsageError("--check and --diff need an output directory")
        atomic_write("-", stream(objects))
        return 0
    root = Path(output)
    tree = plan_tree(root, kustomize_files(objects), "render")
    if check:
        fix = shlex.join(["nim-gitops", "render", str(config), "-o", output]
                         + (["--catalog", str(catalog)] if catalog else [])
                         + (["--target", target] if target else []))
        check_plan(tree, str(config), fix)
        console.info(f"{root} is up to date ({plural(len(tree.files), 'file')})")
        return 0
    if diff:
        return _diff(tree)
    write_plan(tree, force=force)
    report_takeover(tree, force)
    console.info(f"rendered {plural(len(objects), 'object')} into {root} "
                 f"({plural(len(tree.write), 'file')} written, "
                 f"{len(tree.remove)} stale removed)")
    return 0


def _diff(tree: TreePlan) -> int:
    from generator.render.diff import diff_objects, diff_text
    from generator.writer import replaced_texts

    for refusal in tree.refusals:
        console.warn(f"render would refuse: {refusal}")
    old = {str(tree.root / rel): text for rel, text in replaced_texts(tree).items()}
    changes = diff_objects(old, {str(tree.root / rel): tree.files[rel] for rel in tree.write})
    click.echo(diff_text(changes), nl=False)
    counts = (f"{len(changes.added)} added, {len(changes.changed)} changed, "
              f"{len(changes.removed)} removed")
    console.info(f"{tree.root}: {'no changes' if changes.empty else counts}")
    return 0 if changes.empty else 1
