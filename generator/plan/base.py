"""The two sides `plan` and `config check --base` compare: the config as it is, and its base
(the same file at a Git revision, or another file), each rendered in memory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import UsageError

if TYPE_CHECKING:
    from generator.models import Plan
    from generator.plan.compare import Comparison, Side


def side(label: str, plan: Plan | None) -> Side:
    """`plan`'s rendered objects as one side of a comparison (none when `plan` is None)."""
    from generator.plan.compare import side_of
    from generator.render import render_objects

    return side_of(label, plan, (o.obj for o in render_objects(plan)) if plan else ())


def base_of(config: Path, base_ref: str | None, base_file: Path | None,
            target: str | None) -> tuple[str, Plan | None]:
    """The base side's label and plan: `base_file`, else `config` at `base_ref` (HEAD); None
    when the config does not exist at that revision (everything is then added)."""
    from generator.pipeline import plan_from_file, plan_from_files

    if base_ref is not None and base_file is not None:
        raise UsageError("give --base REF or --base-file FILE, not both")
    if base_file is not None:
        return str(base_file), plan_from_file(base_file, target=target)
    from generator.gitrev import Revision

    files = Revision(base_ref or "HEAD", config.parent if str(config.parent) else Path("."))
    return files.name(config), plan_from_files(config, files, target)


def compared(config: Path, head: Plan, base_ref: str | None, base_file: Path | None,
             target: str | None, arch: str = "amd64") -> Comparison:
    """`head` compared with its base (see `base_of`), both rendered in memory."""
    from generator.plan.compare import compare

    label, base = base_of(config, base_ref, base_file, target)
    return compare(side(label, base), side(str(config), head), arch=arch)
