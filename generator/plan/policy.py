"""`plan`'s policy: GPU ceilings (total and per project) and no pruning. A breach is a line
naming the limit; the command exits 1 (the house code for a failed check)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from generator.plan.compare import Comparison


@dataclass(frozen=True)
class Policy:
    """`--max-gpus N`, `--max-gpus PROJECT=N` (repeatable) and `--fail-on-prune`."""

    max_gpus: int | None = None
    max_project_gpus: Mapping[str, int] = field(default_factory=dict)
    fail_on_prune: bool = False


def peak(c: Comparison, project: str | None = None) -> int:
    """GPUs the head needs at its peak: its pods plus the extra pods of its rolling restarts."""
    surge = c.surge_gpus
    if project is None:
        return c.gpus_total[1] + sum(surge.values())
    return c.gpus.get(project, (0, 0))[1] + surge.get(project, 0)


def violations(c: Comparison, policy: Policy) -> list[str]:
    """One line per breached limit, in a stable order."""
    out = []
    if policy.max_gpus is not None and peak(c) > policy.max_gpus:
        out.append(f"--max-gpus {policy.max_gpus}: the change needs {peak(c)} GPUs at its "
                   "peak (pods plus rolling-restart surge)")
    for project, limit in sorted(policy.max_project_gpus.items()):
        if peak(c, project) > limit:
            out.append(f"--max-gpus {project}={limit}: project {project} needs "
                       f"{peak(c, project)} GPUs at its peak (pods plus rolling-restart surge)")
    if policy.fail_on_prune and c.prunes:
        out.append(f"--fail-on-prune: {len(c.prunes)} object(s) would be pruned")
    return out
