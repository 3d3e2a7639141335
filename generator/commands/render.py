"""`nim-gitops render`: a config -> a kustomize tree (or a stream on stdout)."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from generator.render.objects import RenderedObject
    from generator.writer import TreePlan


def _namespace_warnings(tree: TreePlan, recorded: Iterable[str]) -> list[str]:
    """What the render does to managed Namespaces, read from the previous tree's file list."""
    from generator.plan.findings import tree_namespace_warnings

    return tree_namespace_warnings(str(tree.root), tree.remove, tree.missing, recorded)


@click.command(epilog=examples(
    "nim-gitops render nim-gitops.yaml -o rendered/",
    "nim-gitops render -c nim-gitops.yaml -o - > all-objects.yaml",
    "nim-gitops render nim-gitops.yaml -o rendered/ --diff     # what would change",
    "nim-gitops render nim-gitops.yaml -o rendered/ --check    # CI: is rendered/ up to date?"))
@config_input()
@click.option("-o", "--output", required=True, metavar="DIR",
              help="Output directory, or - to stream every object to stdout.")
@click.option("--catalog", type=click.Path(path_type=Path),
              help="Metadata ConfigMap to use instead of the one the config names.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from the render.")
@diff_option("objects")
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
    from generator.render import iter_objects
    from generator.render.kustomize import groups, stream, tree_batches
    from generator.writer import StdoutSpool, check_plan, planned_tree

    if check and diff:
        raise UsageError("give --check or --diff, not both")
    if output == "-" and (check or diff):
        raise UsageError("--check and --diff need an output directory")
    plan = plan_from_file(config, catalog, target)
    for warning in plan.warnings:
        console.warn(warning)
    # One project is rendered, written (staged) and forgotten at a time: memory follows the
    # largest project, not the fleet; nothing reaches stdout or replaces a file until all is
    # rendered and planned.
    counted = _Counter(iter_objects(plan))
    if output == "-":
        spool = StdoutSpool()
        for _, members in groups(counted):
            spool.add(stream(members))
        spool.flush()
        return 0
    root = Path(output)
    texts = "changed" if diff else "none"
    with planned_tree(root, "render", stage=not (check or diff), force=force,
                      texts=texts) as planner:
        for batch in tree_batches(counted):
            planner.add(batch)
        tree = planner.finish()
        for warning in _namespace_warnings(tree, planner.recorded):
            console.warn(warning)
        if check:
            fix = shlex.join(["nim-gitops", "render", str(config), "-o", output]
                             + (["--catalog", str(catalog)] if catalog else [])
                             + (["--target", target] if target else []))
            check_plan(tree, str(config), fix)
            console.info(f"{root} is up to date ({plural(len(tree.digests), 'file')})")
            return 0
        shown = write_or_diff(tree, diff=diff, force=force, by_object=True)
    if shown is not None:
        return shown
    console.info(f"rendered {plural(counted.count, 'object')} into {root} "
                 f"({plural(len(tree.write), 'file')} written, "
                 f"{len(tree.remove)} stale removed)")
    return 0


class _Counter:
    """An iterable that counts the items it has handed out."""

    def __init__(self, items: Iterable[RenderedObject]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[RenderedObject]:
        for item in self._items:
            self.count += 1
            yield item
