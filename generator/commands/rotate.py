"""`nim-gitops rotate`: bump a key revision in the config, or print what a rotation restarts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import console
from generator.commands.options import examples

if TYPE_CHECKING:
    from generator.models import Plan
    from generator.plan.compare import Restart


def _restarts(before: Plan, after: Plan) -> tuple[Restart, ...]:
    """The predictors that roll between two resolved configs: `plan`'s comparison of their
    renders, the one diff engine `plan` and `render --diff` share."""
    from generator.plan.compare import compare, side_of
    from generator.render import render_objects

    sides = [side_of(label, p, (o.obj for o in render_objects(p)))
             for label, p in (("before", before), ("after", after))]
    return compare(*sides).restarts


@click.command(epilog=examples(
    "nim-gitops rotate team-a --plan",
    "nim-gitops rotate --account --plan",
    "nim-gitops rotate team-a/llama-8b -c clusters/prod/nim-gitops.yaml --to 3"))
@click.argument("target", required=False, metavar="PROJECT[/DEPLOYMENT]")
@click.option("-c", "--config", "config_path", default="nim-gitops.yaml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The config file to edit.")
@click.option("--account", is_flag=True,
              help="Rotate the key of the platform's Account (target current).")
@click.option("--to", "to", type=click.IntRange(1), metavar="N",
              help="Set revision N instead of the next one (with pinVersion: the store's "
                   "version that holds the new key).")
@click.option("--plan", "show_plan", is_flag=True,
              help="Change nothing; print the fields that would change, what restarts and the "
                   "GPUs the rolling restart needs.")
def rotate(target: str | None, config_path: Path, account: bool, to: int | None,
           show_plan: bool) -> int:
    """Rotate the NGC key of PROJECT (secrets.scope project), of every deployment of PROJECT
    or of PROJECT/DEPLOYMENT: bump its keyRevision in the config, keeping comments and layout.

    Store the new key in the secret manager first; commit the change and the next sync
    fetches the key and restarts each predictor once.
    """
    from generator import yamlio
    from generator.config import load_config, parse_config
    from generator.resolve import resolve
    from generator.rotation import bump, parse_selector, plan_text, unified_diff, unseen_readers
    from generator.writer import atomic_write

    selector = parse_selector(target, account)
    config = load_config(config_path)
    text = yamlio.read_text(config_path)
    new_text, changes = bump(text, config, selector, to)
    data, lines = yamlio.load_with_lines(new_text, str(config_path))
    bumped = parse_config(data, str(config_path), config_path.parent, lines)  # still valid
    if show_plan:
        found = _restarts(resolve(config), resolve(bumped))
        click.echo(plan_text(found, selector, changes, unseen_readers(resolve(config),
                                                                      selector)), nl=False)
        return 0
    bom = "\ufeff" if config_path.read_bytes().startswith(b"\xef\xbb\xbf") else ""
    atomic_write(config_path.resolve(), bom + new_text)  # through a link: its target
    click.echo(unified_diff(text, new_text, config_path.name), nl=False)
    console.info(f"{config_path}: set the key revision of {selector}; commit it once the new "
                 "key is in the secret manager")
    unseen = unseen_readers(resolve(config), selector)
    if unseen:
        console.warn(unseen)
    return 0
