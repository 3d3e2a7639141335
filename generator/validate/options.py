"""The options of one validation run (the CLI's flags, for library callers too)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike

from generator.targets import DEFAULT_TARGET
from generator.validate.proposed import check_target

DEFAULT_KUBERNETES_VERSION = "1.33"


def _strings(values: Iterable[str | PathLike[str]] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(str(v) for v in values)


@dataclass(frozen=True)
class ValidateOptions:
    """What to validate against and how strictly.

    `schema_locations` are kubeconform locations (directories or URL templates) for non-core
    kinds; `skip` holds rule ids or names; `mirrors` are registries accepted besides nvcr.io;
    `jobs` is how many processes parse a large input (0: one per CPU; 1: no processes);
    `target` is the platform checked against: `current` (the schemas as given) or `redesign`
    (its proposed fields accepted and noted, see `proposed`).
    """

    schema_locations: tuple[str, ...] = ()
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    strict: bool = False
    ignore_missing_schemas: bool = False
    skip: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()
    kubeconform: bool = False
    jobs: int = 1  # processes parsing large inputs; 0 = one per CPU
    target: str = DEFAULT_TARGET

    def __post_init__(self) -> None:
        # library callers may pass Paths or lists
        for name in ("schema_locations", "skip", "mirrors"):
            object.__setattr__(self, name, _strings(getattr(self, name)))
        check_target(self.target)
