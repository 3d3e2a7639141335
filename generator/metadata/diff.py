"""What changed between two metadata ConfigMaps: added, removed and changed models, for QE."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from generator.catalog import Catalog, ModelEntry
from generator.errors import CheckFailedError, UsageError

_SCALARS = (
    ("displayName", "display_name"),
    ("namespace", "namespace"),
    ("latestTag", "latest_tag"),
    ("euRestricted", "eu_restricted"),
    ("shortDescription", "short_description"),
    ("updatedDate", "updated_date"),
)


@dataclass(frozen=True)
class Change:
    """How one model changed: tags added/removed and old -> new for the other fields."""

    name: str
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "tagsAdded": list(self.tags_added),
                               "tagsRemoved": list(self.tags_removed)}
        for key, (old, new) in self.fields.items():
            out[key] = {"old": old, "new": new}
        return out


@dataclass(frozen=True)
class Report:
    """The difference between an old and a new catalog."""

    old_count: int
    new_count: int
    added: tuple[ModelEntry, ...]
    removed: tuple[ModelEntry, ...]
    changed: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        def brief(e: ModelEntry) -> dict[str, Any]:
            return {"name": e.name, "namespace": e.namespace, "displayName": e.display_name,
                    "latestTag": e.latest_tag, "euRestricted": e.eu_restricted}

        return {
            "summary": {"old": self.old_count, "new": self.new_count, "added": len(self.added),
                        "removed": len(self.removed), "changed": len(self.changed)},
            "added": [brief(e) for e in self.added],
            "removed": [brief(e) for e in self.removed],
            "changed": [c.to_dict() for c in self.changed],
        }


def _change(old: ModelEntry, new: ModelEntry) -> Change | None:
    fields = {key: (getattr(old, attr), getattr(new, attr)) for key, attr in _SCALARS
              if getattr(old, attr) != getattr(new, attr)}
    added = tuple(t for t in new.tags if t not in old.tags)
    removed = tuple(t for t in old.tags if t not in new.tags)
    if not fields and not added and not removed and old.tags == new.tags:
        return None
    return Change(old.name, added, removed, fields)


def compare(old: Catalog, new: Catalog) -> Report:
    """Compare two catalogs model by model (sorted by name)."""
    added = tuple(new.models[n] for n in sorted(set(new.models) - set(old.models)))
    removed = tuple(old.models[n] for n in sorted(set(old.models) - set(new.models)))
    changed = []
    for name in sorted(set(old.models) & set(new.models)):
        change = _change(old.models[name], new.models[name])
        if change is not None:
            changed.append(change)
    return Report(len(old), len(new), added, removed, tuple(changed))


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report, old_source: str = "old", new_source: str = "new") -> str:
    """The report as markdown for a pull request or a QE ticket."""
    lines = [
        "# NIM model metadata changes", "",
        f"`{_cell(old_source)}` ({report.old_count} models) → `{_cell(new_source)}` "
        f"({report.new_count} models): {len(report.added)} added, {len(report.removed)} "
        f"removed, {len(report.changed)} changed.", "",
    ]
    for title, entries in (("Added", report.added), ("Removed", report.removed)):
        lines += [f"## {title} ({len(entries)})", ""]
        if entries:
            lines += ["| model | namespace | display name | latest tag | EU-restricted |",
                      "|---|---|---|---|---|"]
            lines += [f"| {_cell(e.name)} | {_cell(e.namespace)} | {_cell(e.display_name)} | "
                      f"{_cell(e.latest_tag)} | {'yes' if e.eu_restricted else 'no'} |"
                      for e in entries]
        else:
            lines.append("None.")
        lines.append("")
    lines += [f"## Changed ({len(report.changed)})", ""]
    if not report.changed:
        lines += ["None.", ""]
    for change in report.changed:
        lines.append(f"### {_cell(change.name)}")
        if change.tags_added:
            lines.append(f"- tags added: {', '.join(change.tags_added)}")
        if change.tags_removed:
            lines.append(f"- tags removed: {', '.join(change.tags_removed)}")
        if not change.tags_added and not change.tags_removed and not change.fields:
            lines.append("- tag order changed")
        for key, (old, new) in change.fields.items():
            lines.append(f"- {key}: {_cell(json.dumps(old, ensure_ascii=False))} → "
                         f"{_cell(json.dumps(new, ensure_ascii=False))}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def to_json(report: Report) -> str:
    """The report as JSON (stable key order)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render(report: Report, fmt: str, old_source: str = "old", new_source: str = "new") -> str:
    """`markdown` or `json`."""
    return to_json(report) if fmt == "json" else to_markdown(report, old_source, new_source)


def with_details(text: str, fmt: str, changes: list[dict[str, Any]]) -> str:
    """A rendered report with the extended details' changes added (a section, or a key)."""
    if fmt == "json":
        data = json.loads(text)
        data["detailsChanged"] = changes
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    lines = ["## Extended details changed " f"({len(changes)})", ""]
    if not changes:
        lines += ["None.", ""]
    for change in changes:
        lines.append(f"### {_cell(change['name'])}")
        lines += [f"- {key}: {_cell(json.dumps(v['old']))} → {_cell(json.dumps(v['new']))}"
                  for key, v in change.items() if key != "name"]
        lines.append("")
    return text.rstrip("\n") + "\n\n" + "\n".join(lines)


def report_format(path: str) -> str:
    """The report format from a file name: `.md` -> markdown, `.json` -> json."""
    if path.endswith(".json"):
        return "json"
    if path.endswith((".md", ".markdown")):
        return "markdown"
    raise UsageError(f"--report {path}: the file name must end in .md or .json")


_LIMIT = re.compile(r"([0-9]+(?:\.[0-9]+)?)(%?)")


def parse_max_removed(text: str) -> tuple[float, bool]:
    """`--max-removed`: a count (`5`) or a share of the previous models (`10%`)."""
    match = _LIMIT.fullmatch(text.strip())
    if not match:
        raise UsageError(f"--max-removed {text!r}: expected a number or a percentage like 10%")
    return float(match.group(1)), bool(match.group(2))


def check_removed(report: Report, limit: tuple[float, bool], previous: str) -> None:
    """Refuse a suspicious shrink: more models removed than the limit allows."""
    value, percent = limit
    allowed = math.floor(report.old_count * value / 100) if percent else math.floor(value)
    if len(report.removed) > allowed:
        names = ", ".join(e.name for e in report.removed[:10])
        more = ", ..." if len(report.removed) > 10 else ""
        shown = f"{value:g}%" if percent else f"{value:g}"
        raise CheckFailedError(
            f"{len(report.removed)} of {report.old_count} models in {previous} would be removed "
            f"({names}{more}), more than --max-removed {shown} allows ({allowed}); "
            "nothing written")
