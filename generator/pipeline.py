"""The shared front of every command that renders: config file -> resolved Plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator import catalog as catalog_mod
from generator.config import load_config
from generator.models import Config, Plan
from generator.resolve import resolve


def with_target(config: Config, target: str | None) -> Config:
    """`config` rendering for `target` (a command's `--target`) instead of its own."""
    if target is None or target == config.platform.target:
        return config
    return replace(config, platform=replace(config.platform, target=target))


def plan_from_file(config_path: Path | str, catalog_path: Path | str | None = None,
                   target: str | None = None) -> Plan:
    """Load a config, its catalog (or `catalog_path`) and resolve every deployment.

    With `spec.airGap.pinDigests` the images come from the lock file next to the config;
    `target` overrides the config's `spec.platform.target`.
    """
    config = with_target(load_config(config_path), target)
    cat = catalog_mod.load_catalog(catalog_path) if catalog_path else None
    plan = resolve(config, cat)
    if config.air_gap and config.air_gap.pin_digests:
        from generator.airgap.lock import required_digests

        images = sorted({d.image for d in plan.deployments})
        plan = resolve(config, plan.catalog, digests=required_digests(config_path, images))
    return plan
