"""`nim-gitops migrate ...`: move pre-redesign NIM deployments to per-deployment secrets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import console
from generator.commands.options import diff_option, examples, force_option, write_or_diff

if TYPE_CHECKING:
    from generator.models import SecretsSpec

_export = click.argument("export", type=click.Path(path_type=Path))
_only = click.option("--only", multiple=True, metavar="NAME",
                     help="Migrate only these ServingRuntimes now (repeatable).")


@click.group(epilog=examples(
    "oc get servingruntime,inferenceservice,secret,pvc -n team-a -o yaml > export.yaml",
    "nim-gitops migrate plan export.yaml",
    "nim-gitops migrate render export.yaml -c nim-gitops.yaml -o migration/"))
def migrate() -> None:
    """Migrate NIM deployments off the shared nvidia-nim-secrets / ngc-secret."""


@migrate.command("plan", epilog=examples(
    "oc get servingruntime,inferenceservice,secret,pvc -n team-a -o yaml > export.yaml",
    "nim-gitops migrate plan export.yaml --only llama-8b"))
@_export
@_only
def plan_cmd(export: Path, only: tuple[str, ...]) -> int:
    """Show what migrating the NIM deployments of EXPORT changes.

    EXPORT is `oc get servingruntime,inferenceservice,secret,pvc -o yaml` of a project
    (add configmap,template,account.nim.opendatahub.io to see legacy objects). Secret values
    are never read.
    """
    from generator.migrate.export import load_export
    from generator.migrate.plan import plan_export
    from generator.migrate.report import plan_text

    loaded = load_export(export)
    click.echo(plan_text(plan_export(loaded, set(only) or None), str(export)), nl=False)
    return 0


def _secrets(config: Path | None, provider: str | None, store: str | None, store_kind: str,
             remote_key: str | None, vault_mount: str | None, vault_path: str | None,
             vault_auth_ref: str | None) -> SecretsSpec:
    from dataclasses import replace

    from generator.config import line_of, load_config
    from generator.errors import InvalidInputError
    from generator.models import ExternalSecretsSpec, RemoteRef, SecretsSpec, VaultSpec

    if config is not None:
        if provider is not None:
            raise click.UsageError("give either --config or --provider, not both")
        loaded = load_config(config)
        if loaded.secrets.scope == "project":
            given = "" if loaded.secrets.scope_given else " (the default on target current)"
            raise InvalidInputError(
                f"migrate moves deployments to per-deployment keys; with secrets.scope "
                f"project{given} render already manages each project's key Secret "
                "nvidia-nim-secrets; set secrets.scope: deployment to migrate (see "
                "docs/migration.md)", source=str(config), path="spec.secrets.scope",
                line=line_of(loaded, "spec.secrets.scope"))
        return loaded.secrets
    if provider is None:
        raise click.UsageError("give --config (its spec.secrets is used) or --provider")
    if provider == "external-secrets" and not store:
        raise click.UsageError("--provider external-secrets needs --store")
    eso = ExternalSecretsSpec(store_kind=store_kind, store_name=store)
    if remote_key:
        eso = replace(eso, remote_ref=RemoteRef(remote_key, eso.remote_ref.property))
    vault = VaultSpec(vault_auth_ref=vault_auth_ref)
    if vault_mount:
        vault = replace(vault, mount=vault_mount)
    if vault_path:
        vault = replace(vault, path=vault_path)
    return SecretsSpec(provider=provider, external_secrets=eso, vault=vault)


@migrate.command("render", epilog=examples(
    "nim-gitops migrate render export.yaml -c nim-gitops.yaml -o migration/",
    "nim-gitops migrate render export.yaml --provider vault --vault-auth-ref nim -o migration/"))
@_export
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              metavar="DIR", help="Directory to write the kustomize tree into.")
@click.option("-c", "--config", type=click.Path(path_type=Path),
              help="A nim-gitops config whose spec.secrets chooses the secret provider.")
@click.option("--provider", type=click.Choice(["external-secrets", "vault", "none"]),
              help="Secret provider, without a config.")
@click.option("--store", help="External Secrets store name.")
@click.option("--store-kind", type=click.Choice(["ClusterSecretStore", "SecretStore"]),
              default="ClusterSecretStore", show_default=True)
@click.option("--remote-key", help="External Secrets remote key, with {project} and "
                                   "{deployment} placeholders.")
@click.option("--vault-mount", help="Vault KV mount.")
@click.option("--vault-path", help="Vault path, with {project} and {deployment} placeholders.")
@click.option("--vault-auth-ref", help="VaultAuth object to use.")
@_only
@diff_option("files")
@force_option
def render_cmd(export: Path, output: Path, config: Path | None, provider: str | None,
               store: str | None, store_kind: str, remote_key: str | None,
               vault_mount: str | None, vault_path: str | None, vault_auth_ref: str | None,
               only: tuple[str, ...], diff: bool, force: bool) -> int:
    """Write secret scaffolds, ServingRuntime patches and a deletion list for EXPORT."""
    from generator.hints import plural
    from generator.migrate.export import load_export
    from generator.migrate.plan import plan_export
    from generator.migrate.render import migration_files
    from generator.migrate.report import restart_lines
    from generator.writer import plan_tree

    secrets = _secrets(config, provider, store, store_kind, remote_key, vault_mount,
                       vault_path, vault_auth_ref)
    plans = plan_export(load_export(export), set(only) or None)
    files = migration_files(plans, secrets)
    if not files:
        console.info(f"{export}: nothing to migrate and nothing to delete")
        return 0
    tree = plan_tree(output, files, "migrate render")
    shown = write_or_diff(tree, diff=diff, force=force)
    if shown is not None:
        return shown
    count = sum(len(p.with_status("migrate")) for p in plans)
    console.info(f"wrote {plural(len(files), 'file')} into {output} ({len(tree.write)} changed, "
                 f"{len(tree.remove)} stale removed) for {plural(count, 'deployment')}")
    if secrets.provider == "none" and count:
        console.info("provider none: create each nim-api-key-<d> and nim-image-pull-<d> "
                     "Secret yourself before applying")
    for line in restart_lines(plans):
        console.info(line)
    return 0
