"""`nim-gitops krm`: the kustomize generator entry point (KRM function or legacy exec plugin)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from generator import console
from generator.commands.options import config_input, examples
from generator.errors import UsageError


@click.command(epilog=examples(
    "nim-gitops krm nim-gitops.yaml > all-objects.yaml   # as kustomize's exec plugin runs it",
    "kustomize build --enable-alpha-plugins --enable-exec .   # see docs/kustomize-plugin.md"))
@config_input(required=False, help_text="A NimGitOps file to render as a legacy exec plugin")
def krm(config: Path | None) -> int:
    """Generate manifests for kustomize.

    Without CONFIG: a KRM function reading a ResourceList (functionConfig = a NimGitOps object)
    on stdin and writing it back with the rendered objects added; errors become `results`
    and exit 1. With CONFIG (how kustomize runs a legacy exec plugin): render that NimGitOps
    file as a plain YAML stream. Catalog files and the digest lock are relative to the current
    directory, the kustomization root when kustomize runs the plugin.
    """
    from generator import krm as krm_mod
    from generator.writer import atomic_write

    base_dir = Path.cwd()
    if config is not None:
        root = os.environ.get("KUSTOMIZE_PLUGIN_CONFIG_ROOT")
        text, warnings = krm_mod.run_legacy(config, base_dir, root)
        for warning in warnings:
            console.warn(warning)
        atomic_write("-", text)
        return 0
    if sys.stdin.isatty():
        raise UsageError("expected a ResourceList on stdin, or a config file argument "
                         "(see nim-gitops krm --help)")
    raw = sys.stdin.buffer.read(krm_mod.MAX_RESOURCE_LIST_BYTES + 1)
    output, warnings, error = krm_mod.run_function(raw, base_dir)
    for warning in warnings:
        console.warn(warning)
    atomic_write("-", output)
    if error is not None:
        raise error
    return 0
