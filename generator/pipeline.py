"""The shared front of every command that renders: config file -> resolved Plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

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


def pinned(plan: Plan, config_path: Path | str, files: Files | None = None) -> Plan:
    """With `spec.airGap.pinDigests`, the plan resolved again with the digests of its images
    from the lock file of `config_path` (`<stem>.lock.yaml`, read from `files` when given);
    else the plan unchanged."""
    config = plan.config
    if not (config.air_gap and config.air_gap.pin_digests):
        return plan
    from generator.airgap.lock import lock_path, parse_lock, required_digests

    images = sorted({d.image for d in plan.deployments})
    locked, source = None, None
    if files is not None:
        lock = lock_path(config_path)
        source = files.name(lock)
        locked = parse_lock(files.read(lock), source)
    return resolve(config, plan.catalog, details=plan.details,
                   digests=required_digests(config_path, images, locked, source))


class Files(Protocol):
    """Where a config and the files it names are read from (a Git revision): by their
    working-tree path, each named for messages as the reader sees fit (`REV:path`)."""

    def name(self, path: Path) -> str: ...

    def exists(self, path: Path) -> bool: ...

    def read(self, path: Path) -> str: ...


def plan_from_files(config_path: Path, files: Files, target: str | None = None
                    ) -> Plan | None:
    """`plan_from_file` with every file (config, catalog, extended details, lock) read from
    `files`; None when the config is not there."""
    from generator import yamlio
    from generator.config import parse_config
    from generator.metadata.extended import parse_details

    if not files.exists(config_path):
        return None
    source = files.name(config_path)
    data, lines = yamlio.load_with_lines(files.read(config_path), source)
    config = with_target(parse_config(data, source, config_path.parent, lines), target)
    named = config.platform.catalog
    cat = None
    if named.file is not None:
        where = files.name(named.file)
        cat = catalog_mod.catalog_from_configmap(yamlio.load_one(files.read(named.file), where),
                                                 where)
    details = {}
    if named.extended is not None:
        where = files.name(named.extended)
        details = parse_details(yamlio.load_one(files.read(named.extended), where), where)
    return pinned(resolve(config, cat, details=details), config_path, files)


def plan_from_file(config_path: Path | str, catalog_path: Path | str | None = None,
                   target: str | None = None) -> Plan:
    """Load a config, its catalog (or `catalog_path`) and resolve every deployment.

    With `spec.airGap.pinDigests` the images come from the lock file next to the config;
    `target` overrides the config's `spec.platform.target`.
    """
    config = with_target(load_config(config_path), target)
    cat = catalog_mod.load_catalog(catalog_path) if catalog_path else None
    return pinned(resolve(config, cat), config_path)
