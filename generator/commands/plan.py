"""`nim-gitops plan`: what a config change does, from Git alone, for a review or a CI gate."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from generator.commands.options import base_options, config_input, examples, target_option
from generator.errors import UsageError

_PROJECT_LIMIT = re.compile(r"(?P<project>[a-z0-9]([-a-z0-9]*[a-z0-9])?)=(?P<n>[0-9]+)")


def parse_limits(values: tuple[str, ...]) -> tuple[int | None, dict[str, int]]:
    """`--max-gpus N` (the total) and `--max-gpus PROJECT=N`, each repeatable."""
    total: int | None = None
    per_project: dict[str, int] = {}
    for value in values:
        match = _PROJECT_LIMIT.fullmatch(value)
        if match:
            per_project[match["project"]] = int(match["n"])
        elif value.isdigit():
            total = int(value)
        else:
            raise UsageError(f"--max-gpus {value}: give N or PROJECT=N (N a whole number)")
    return total, per_project


@click.command(epilog=examples(
    "nim-gitops plan nim-gitops.yaml --base origin/main",
    "nim-gitops plan -c nim-gitops.yaml --base main --format markdown > plan.md",
    "nim-gitops plan nim-gitops.yaml --base-file old.yaml --max-gpus 16 --max-gpus team-a=4"))
@config_input()
@base_options
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True,
              help="text for a terminal, markdown for a pull request comment, json for bots.")
@click.option("--extended", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Extended model details for image sizes (default: the config's "
                   "platform.catalog.extended).")
@click.option("--arch", default="amd64", show_default=True,
              help="Architecture whose image sizes the extended details give.")
@click.option("--max-gpus", "max_gpus", multiple=True, metavar="N|PROJECT=N",
              help="Exit 1 when the change needs more GPUs at its peak (pods plus "
                   "rolling-restart surge), in total or in PROJECT; repeatable.")
@click.option("--fail-on-prune", is_flag=True,
              help="Exit 1 when Argo CD or Flux would prune any object.")
@target_option
def plan(config: Path, base_ref: str | None,
         base_file: Path | None, fmt: str, extended: Path | None, arch: str,
         max_gpus: tuple[str, ...], fail_on_prune: bool, target: str | None) -> int:
    """Compare CONFIG at a base (a Git revision, HEAD unless --base or --base-file says
    otherwise) with the working tree: the deployments added, removed and changed, GPUs,
    restarts, pulls, prunes and new findings.

    Renders both sides in memory and writes nothing. Exit codes: 0 the plan is shown and
    every policy holds; 1 a policy (--max-gpus, --fail-on-prune) failed (the plan is still
    shown) or an input is invalid; 2 a usage error.
    """
    from dataclasses import replace

    from generator import console
    from generator.errors import CheckFailedError
    from generator.metadata.extended import load_details
    from generator.pipeline import plan_from_file
    from generator.plan import findings as findings_mod
    from generator.plan import policy as policy_mod
    from generator.plan import report
    from generator.plan.base import compared

    total, per_project = parse_limits(max_gpus)
    head_plan = plan_from_file(config, target=target)
    if extended is not None:
        head_plan = replace(head_plan, details=load_details(extended))
    comparison = compared(config, head_plan, base_ref, base_file, target, arch)
    found = findings_mod.findings(comparison)
    failed = policy_mod.violations(comparison, policy_mod.Policy(total, per_project,
                                                                 fail_on_prune))
    doc = report.document(comparison, found, failed)
    if fmt == "json":
        click.echo(report.as_json(doc), nl=False)
    elif fmt == "markdown":
        click.echo(report.markdown(doc), nl=False)
    else:
        color = console.color_enabled(sys.stdout)
        click.echo(report.text(doc, color), nl=False, color=color)
    if failed:
        raise CheckFailedError(f"{config}: policy failed: {failed[0]}"
                               + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""))
    return 0
