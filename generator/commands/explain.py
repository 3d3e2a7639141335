"""`nim-gitops explain [FIELD]`: what a config field means, from the config's JSON schema."""

from __future__ import annotations

import click

from generator.commands.options import examples


@click.command(epilog=examples(
    "nim-gitops explain",
    "nim-gitops explain spec.secrets.externalSecrets.projectRemoteRef",
    "nim-gitops explain spec.projects.deployments.gpus",
    "nim-gitops explain spec.projects[0].deployments[0].cache.source"))
@click.argument("field", required=False, metavar="[FIELD]")
def explain(field: str | None) -> int:
    """Describe FIELD of the config (a dotted path such as spec.secrets.scope): its meaning,
    type, default, allowed values and an example. Without FIELD, or for a field with fields
    of its own, also list those fields."""
    from generator.config import config_schema
    from generator.errors import UsageError
    from generator.explain import UnknownField, explain_lines, find

    schema = config_schema()
    try:
        found = find(schema, field or "")
    except UnknownField as exc:
        near = ", ".join(exc.nearest) if exc.nearest else "none close; run nim-gitops explain"
        raise UsageError(f"{exc.path}: no such config field; nearest: {near}") from None
    click.echo("\n".join(explain_lines(schema, found)))
    return 0
