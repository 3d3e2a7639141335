"""The migration plan as text for people: one section per project."""

from __future__ import annotations

from collections.abc import Sequence

from generator.migrate.plan import LEGACY_KEY_NOTE, NamespacePlan

STATUS_TITLES = (
    ("migrate", "to migrate"),
    ("skipped", "to migrate later (not selected)"),
    ("migrated", "already migrated"),
    ("no-secrets", "no secret references (disconnected)"),
)


def restart_lines(plans: Sequence[NamespacePlan]) -> list[str]:
    """The reminder printed after a render: each predictor restarts, needing a spare replica."""
    lines: list[str] = []
    for plan in plans:
        for d in plan.with_status("migrate"):
            for predictor in d.predictors:
                lines.append(f"  oc -n {plan.namespace} rollout restart deployment/{predictor}")
    if not lines:
        return []
    return [
        "after the secrets exist, restart each migrated predictor:",
        *lines,
        "a rolling restart starts a second replica before stopping the first: it needs room "
        "for one more pod of each deployment, GPUs included (or scale to 0 and back, with "
        "downtime)",
    ]


def _namespace(plan: NamespacePlan) -> list[str]:
    out = [f"project {plan.namespace}:"]
    if not plan.deployments:
        return [*out, "  no NIM deployments"]
    for status, title in STATUS_TITLES:
        group = plan.with_status(status)
        if not group:
            continue
        out.append(f"  {title}:")
        for d in group:
            served = ", ".join(d.isvcs) if d.isvcs else "no InferenceService uses it"
            out.append(f"    {d.name} ({served})")
            out.extend(f"      {change}" for change in d.changes)
    if plan.still_referenced:
        for secret, names in plan.still_referenced.items():
            out.append(f"  shared secret {secret} still referenced by: {', '.join(names)}")
    if plan.deletable:
        out.append(f"  shared secrets to delete after the restarts: {', '.join(plan.deletable)}")
    for secret, names in plan.missing.items():
        out.append(f"  secret {secret} is referenced by {', '.join(names)} but is not in the "
                   "export")
    if plan.legacy:
        out.append(f"  legacy objects (obsolete after the upgrade): {', '.join(plan.legacy)}")
    if plan.with_status("migrate") or plan.with_status("skipped"):
        out.append(f"  note: {LEGACY_KEY_NOTE}")
    return out


def plan_text(plans: Sequence[NamespacePlan], source: str) -> str:
    """The whole plan."""
    if not plans:
        return f"{source}: no objects\n"
    lines: list[str] = []
    for plan in plans:
        lines.extend(_namespace(plan))
    return "\n".join(lines) + "\n"
