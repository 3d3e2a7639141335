"""The shared front of every command that renders: config file -> resolved Plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator import catalog as catalog_mod
from generator.config import load_config
from generator.models import Config, Plan, default_scope
from generator.resolve import resolve


def with_target(config: Config, target: str | None) -> Config:
    """`config` rendering for `target` (a command's `--target`) instead of its own."""
    if target is None or target == config.platform.target:
        return config
    secrets = config.secrets
    if not secrets.scope_given:
        secrets = replace(secrets, scope=default_scope(target))
    return replace(config, platform=replace(config.platform, target=target), secrets=secrets)


def pinned(plan: Plan, config_path: Path | str) -> Plan:
    """With `spec.airGap.pinDigests`, the plan resolved again with the digests of its images
    from the lock file of `config_path` (`<stem>.lock.yaml`); else the plan unchanged."""
    config = plan.config
    if not (config.air_gap and config.air_gap.pin_digests):
        return plan
    from generator.airgap.lock import required_digests

    images = sorted({d.image for d in plan.deployments})
    return resolve(config, plan.catalog, digests=required_digests(config_path, images),
                   details=plan.details)


def plan_from_file(config_path: Path | str, catalog_path: Path | str | None = None,
                   target: str | None = None) -> Plan:
    """Load a config, its catalog (or `catalog_path`) and resolve every deployment.

    With `spec.airGap.pinDigests` the images come from the lock file next to the config;
    `target` overrides the config's `spec.platform.target`.
    """
    config = with_target(load_config(config_path), target)
    cat = catalog_mod.load_catalog(catalog_path) if catalog_path else None
    return pinned(resolve(config, cat), config_path)
