"""`nim-gitops secrets list`: the secret-store entries a config needs before its first sync."""

from __future__ import annotations

import json
from pathlib import Path

import click

from generator.commands.options import config_input, examples, target_option


@click.group(epilog=examples("nim-gitops secrets list nim-gitops.yaml"))
def secrets() -> None:
    """What the secret manager must hold for a config (never the keys themselves)."""


@secrets.command("list", epilog=examples(
    "nim-gitops secrets list nim-gitops.yaml",
    "nim-gitops secrets list -c nim-gitops.yaml --format json"))
@config_input()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for scripts (docs/secrets.md).")
@click.option("--catalog", type=click.Path(path_type=Path),
              help="Metadata ConfigMap to use instead of the one the config names.")
@target_option
def list_cmd(config: Path, fmt: str, catalog: Path | None, target: str | None) -> int:
    """List the entries the secret store must hold for CONFIG: the store, the remote key or
    Vault path, the field holding the NGC key, the Secrets each fills and what reads them.

    Read off the secret scaffolds `render` writes, so create these before the first sync.
    """
    from generator import console
    from generator.pipeline import plan_from_file
    from generator.render import render_objects
    from generator.storeentries import as_json, as_text, store_entries

    plan = plan_from_file(config, catalog, target)
    for warning in plan.warnings:
        console.warn(warning)
    found = store_entries(plan, [r.obj for r in render_objects(plan)])
    if fmt == "json":
        click.echo(json.dumps(as_json(found, str(config)), indent=2))
    else:
        click.echo(as_text(found, str(config)), nl=False)
    return 0
