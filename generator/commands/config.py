"""`nim-gitops init` and `nim-gitops config ...`: start and inspect a config file."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

from generator import console
from generator.commands.options import base_options, config_input, examples


@click.command(epilog=examples("nim-gitops init", "nim-gitops init team-configs/ai.yaml --force"))
@click.argument("path", default="nim-gitops.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, force: bool) -> int:
    """Write a commented starter config to PATH (default nim-gitops.yaml)."""
    from generator.writer import atomic_write

    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; use --force to overwrite it")
    text = resources.files("generator.data").joinpath("starter-config.yaml").read_text("utf-8")
    atomic_write(path, text)
    console.info(f"wrote {path}; next: nim-gitops render {path} -o rendered/")
    return 0


@click.group(epilog=examples("nim-gitops config check nim-gitops.yaml",
                             "nim-gitops config schema > config.schema.json"))
def config() -> None:
    """Inspect the config file format."""


@config.command("schema", epilog=examples("nim-gitops config schema > config.schema.json"))
def schema() -> int:
    """Print the config's JSON schema (also the Helm chart's values schema source)."""
    from generator.config import config_schema

    click.echo(json.dumps(config_schema(), indent=2))
    return 0


@config.command("check", epilog=examples(
    "nim-gitops config check nim-gitops.yaml",
    "nim-gitops config check -c nim-gitops.yaml",
    "nim-gitops config check nim-gitops.yaml --base origin/main"))
@config_input()
@base_options
def check(config: Path, base_ref: str | None, base_file: Path | None) -> int:
    """Check a config and resolve its deployments against the catalog, writing nothing.

    With --base or --base-file, also warn about what the change does to managed namespaces
    (one removed, or an existing one adopted), as `plan` does.
    """
    from generator.pipeline import plan_from_file

    plan = plan_from_file(config)
    for warning in plan.warnings:
        console.warn(warning)
    if base_ref is not None or base_file is not None:
        from generator.plan.base import compared
        from generator.plan.findings import adopted_namespaces, pruned_namespaces

        comparison = compared(config, plan, base_ref, base_file, None)
        for finding in [*pruned_namespaces(comparison), *adopted_namespaces(comparison)]:
            console.warn(finding.message)
    console.info(f"{config}: ok ({len(plan.config.projects)} projects, "
                 f"{len(plan.deployments)} deployments, {len(plan.emitted_catalog)} models)")
    return 0
