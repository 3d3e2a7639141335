"""`nim-gitops airgap ...`: the images to mirror and the digest lock of a config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import console
from generator.commands.options import config_input, examples
from generator.keys import KeySafeCommand, check_url_option, key_options, retry_options

if TYPE_CHECKING:
    from generator.airgap.images import Image
    from generator.metadata.extended import Details
    from generator.models import Plan


@click.group(epilog=examples(
    "nim-gitops airgap images nim-gitops.yaml --format oc-mirror -o imageset.yaml",
    "nim-gitops airgap lock nim-gitops.yaml --api-key-file key.txt"))
def airgap() -> None:
    """Air-gapped clusters: image lists for mirroring and digest pinning."""


def _details(extended: Path | None, config: Path | None) -> dict[str, Details] | None:
    """The extended details: --extended FILE, else the config's catalog.extended."""
    from generator.metadata.extended import load_details

    if extended is not None:
        return load_details(extended)
    if config is not None:
        from generator.config import load_config

        own = load_config(config).platform.catalog.extended
        return load_details(own) if own else None
    return None


def _details_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option("--arch", default="amd64", show_default=True,
                        help="Architecture whose sizes and digests the details give.")(func)
    return click.option("--extended", type=click.Path(dir_okay=False, path_type=Path),
                        metavar="FILE",
                        help="Extended model details (`metadata generate --extended`); "
                             "default: the config's platform.catalog.extended.")(func)


def _config_plan(config: Path, catalog: Path | None) -> Plan:
    from generator import catalog as catalog_mod
    from generator.airgap.lock import lock_path, read_lock
    from generator.config import load_config
    from generator.resolve import resolve

    loaded = load_config(config)
    cat = catalog_mod.load_catalog(catalog) if catalog else None
    plan = resolve(loaded, cat)
    if loaded.air_gap and loaded.air_gap.pin_digests and lock_path(config).is_file():
        locked = read_lock(lock_path(config))
        wanted = {d.model.image(d.tag) for d in plan.deployments}
        plan = resolve(loaded, plan.catalog,
                       digests={k: v for k, v in locked.items() if k in wanted})
    return plan


def _config_images(config: Path, catalog: Path | None) -> list[Image]:
    from generator.airgap.images import plan_images

    return plan_images(_config_plan(config, catalog))


@airgap.command(epilog=examples(
    "nim-gitops airgap images nim-gitops.yaml",
    "nim-gitops airgap images -c nim-gitops.yaml --format skopeo -o sync.yaml",
    "nim-gitops airgap images --models llama-3.1-8b-instruct:1.15.5",
    "nim-gitops airgap images nim-gitops.yaml --weights"))
@config_input(required=False)
@click.option("--catalog", type=click.Path(path_type=Path),
              help="Metadata ConfigMap to read models from (default: the config's, or the "
                   "embedded sample catalog).")
@click.option("--models", "models", multiple=True, metavar="NAME[:TAG]",
              help="Without CONFIG: models to mirror, comma-separated or repeated; a bare name "
                   "means its newest pinned tag.")
@click.option("--allow-floating-tags", is_flag=True, help="Accept tags such as latest or 1.")
@click.option("--format", "fmt", type=click.Choice(["lines", "oc-mirror", "skopeo"]),
              default="lines", show_default=True,
              help="Plain lines, an oc-mirror v2 ImageSetConfiguration or a skopeo sync YAML.")
@click.option("--weights", is_flag=True,
              help="With CONFIG: list the model weights each deployment's cache needs (image, "
                   "profiles, the download-to-cache command, the config's cache.source) as "
                   "YAML instead of images.")
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="Write to FILE instead of stdout.")
@_details_options
def images(config: Path | None, catalog: Path | None, models: tuple[str, ...],
           allow_floating_tags: bool, fmt: str, weights: bool, output: str,
           extended: Path | None, arch: str) -> int:
    """List the exact NIM images CONFIG deploys (or --models of a --catalog)."""
    from generator import catalog as catalog_mod
    from generator.airgap.images import (
        catalog_images,
        format_images,
        format_weights,
        plan_weights,
    )
    from generator.writer import atomic_write

    names = [n.strip() for item in models for n in item.split(",") if n.strip()]
    if config is not None and names:
        raise click.UsageError("give either CONFIG or --models, not both")
    if weights:
        if config is None:
            raise click.UsageError("--weights needs a CONFIG")
        found_weights = plan_weights(_config_plan(config, catalog))
        atomic_write(output, format_weights(found_weights))
        if output != "-":
            console.info(f"wrote the weights of {len(found_weights)} deployments to {output}")
        return 0
    if config is not None:
        found = _config_images(config, catalog)
    elif names:
        cat = catalog_mod.load_catalog(catalog) if catalog else \
            catalog_mod.load_sample_catalog()
        found = catalog_images(cat, names, allow_floating=allow_floating_tags)
    else:
        raise click.UsageError("give a CONFIG, or --models (with --catalog) to list images")
    atomic_write(output, format_images(found, fmt))
    if output != "-":
        console.info(f"wrote {len(found)} images to {output}")
    details = _details(extended, config)
    if details is not None:
        from generator.airgap.details import image_sizes

        console.info(image_sizes(found, details, arch).line(len(found), arch))
    return 0


@airgap.command(cls=KeySafeCommand, epilog=examples(
    "nim-gitops airgap lock nim-gitops.yaml --api-key-file key.txt",
    "nim-gitops airgap lock -c nim-gitops.yaml --extended nim-models-details.json"))
@config_input()
@click.option("--catalog", type=click.Path(path_type=Path),
              help="Metadata ConfigMap to use instead of the one the config names.")
@key_options
@click.option("--registry-url", default="https://nvcr.io", show_default=True, metavar="URL",
              callback=check_url_option,
              help="Registry API base URL (mirrors, tests): https, or http to localhost.")
@retry_options
@click.option("-j", "--jobs", default=4, show_default=True, type=click.IntRange(1, 32),
              help="Parallel registry requests.")
@_details_options
def lock(config: Path, catalog: Path | None, api_key_file: Path | None, api_key_stdin: bool,
         registry_url: str, timeout: float, retries: int, backoff: float, jobs: int,
         extended: Path | None, arch: str) -> int:
    """Pin every image of CONFIG to its manifest digest in <config-stem>.lock.yaml.

    With extended details (--extended, or the config's catalog.extended), images at their
    model's latest tag take the --arch digest from the details, and only the others are asked
    of the registry (no key needed when the details cover every image).
    """
    from generator import catalog as catalog_mod
    from generator.airgap.images import plan_images
    from generator.airgap.lock import lock_path, lock_text, read_lock
    from generator.airgap.registry import RegistrySettings, resolve_digests
    from generator.config import load_config
    from generator.keys import read_key
    from generator.resolve import resolve
    from generator.writer import atomic_write

    loaded = load_config(config)
    if not (loaded.air_gap and loaded.air_gap.pin_digests):
        console.warn(f"{config}: spec.airGap.pinDigests is not true, so render ignores the lock")
    plan = resolve(loaded, catalog_mod.load_catalog(catalog) if catalog else None)
    found = plan_images(plan)
    digests: dict[str, str] = {}
    details = _details(extended, config)
    if details is not None:
        from generator.airgap.details import details_digests

        side_file = extended or loaded.platform.catalog.extended
        digests, found = details_digests(found, details, arch, source=str(side_file))
        console.info(f"{len(digests)} digests ({arch}) from the extended details, "
                     f"{len(found)} to ask the registry")
    if found:
        key = read_key(api_key_file, api_key_stdin)
        digests.update(resolve_digests(found, key, RegistrySettings(
            url=registry_url.rstrip("/"), timeout=timeout, retries=retries, backoff=backoff,
            jobs=jobs)))
    path = lock_path(config)
    before = read_lock(path) if path.is_file() else {}
    changed = sorted(k for k, v in digests.items() if before.get(k) != v)
    atomic_write(path, lock_text(digests))
    console.info(f"locked {len(digests)} images in {path} ({len(changed)} new or changed)")
    for image in changed:
        console.info(f"  {image} -> {digests[image]}")
    return 0
