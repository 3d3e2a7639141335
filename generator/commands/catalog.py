"""`nim-gitops catalog list`: the models and tags a config can deploy."""

from __future__ import annotations

from pathlib import Path

import click

from generator.commands.options import config_input, examples


@click.group(epilog=examples("nim-gitops catalog list"))
def catalog() -> None:
    """Look into the model catalog (the metadata ConfigMap)."""


@catalog.command("list", epilog=examples(
    "nim-gitops catalog list",
    "nim-gitops catalog list nim-gitops.yaml",
    "nim-gitops catalog list --catalog nim-models-data.yaml"))
@config_input(required=False,
              help_text="List the catalog this config names (spec.platform.catalog)")
@click.option("--catalog", "catalog_path", type=click.Path(path_type=Path),
              help="Metadata ConfigMap to list instead of the embedded sample catalog.")
def list_cmd(catalog_path: Path | None, config: Path | None) -> int:
    """One line per model: its name, its tags (newest first) and EU availability."""
    from generator import catalog as catalog_mod
    from generator.catalog import version_key
    from generator.errors import UsageError

    if catalog_path is not None and config is not None:
        raise UsageError("give --catalog or a config (CONFIG or -c/--config), not both")
    if config is not None:
        from generator.config import load_config
        from generator.resolve import load_plan_catalog

        cat = load_plan_catalog(load_config(config))
    elif catalog_path is not None:
        cat = catalog_mod.load_catalog(catalog_path)
    else:
        cat = catalog_mod.load_sample_catalog()
    width = max((len(name) for name in cat.models), default=0)
    for name in sorted(cat.models):
        entry = cat.models[name]
        tags = ", ".join(sorted(entry.tags, key=version_key, reverse=True))
        eu = "  (not available in the EU)" if entry.eu_restricted else ""
        click.echo(f"{name:<{width}}  {tags}{eu}")
    return 0
