"""The EU-restricted list: `[{name, resourceId, org, team}]`, read, matched and written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.catalog import ModelEntry
from generator.errors import InvalidInputError
from generator.reading import read_text


@dataclass(frozen=True)
class EuItem:
    """One listed model; `resource_id` is None for lists that carry only names."""

    name: str
    resource_id: str | None


def _text(item: dict[str, object], field: str, source: str, index: int) -> str | None:
    value = item.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{field} must be a non-empty string", source=source,
                                path=f"[{index}].{field}")
    return value


def load_eu_list(path: Path) -> list[EuItem]:
    """Read an EU list written by `metadata detect-eu` (or by hand)."""
    source = str(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not JSON ({exc.msg})", source=source, line=exc.lineno) from None
    except ValueError:  # an integer of over 4,300 digits
        raise InvalidInputError("not JSON this tool can read (a number is too large)",
                                source=source) from None
    except RecursionError:
        raise InvalidInputError("JSON nests too deeply", source=source) from None
    if not isinstance(data, list):
        raise InvalidInputError("expected a JSON list of {name, resourceId, org, team}",
                                source=source)
    items: list[EuItem] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidInputError("expected an object", source=source, path=f"[{index}]")
        name = _text(item, "name", source, index)
        if name is None:
            raise InvalidInputError("missing field 'name'", source=source,
                                    path=f"[{index}].name")
        rid = _text(item, "resourceId", source, index)
        org, team = _text(item, "org", source, index), _text(item, "team", source, index)
        if rid is None and org is not None:
            rid = "/".join(p for p in (org, team, name) if p)
        if rid is not None and rid.rsplit("/", 1)[-1] != name:
            raise InvalidInputError(f"resourceId {rid!r} does not end with the name {name!r}",
                                    source=source, path=f"[{index}].resourceId")
        items.append(EuItem(name, rid))
    return items


class EuMatcher:
    """Marks entries listed as EU-restricted: by resourceId, by name only when it lacks one."""

    def __init__(self, items: Iterable[EuItem]) -> None:
        self.items = list(items)
        self._ids = {i.resource_id for i in self.items if i.resource_id}
        self._names = {i.name for i in self.items if not i.resource_id}
        self.used: set[EuItem] = set()

    def restricted(self, entry: ModelEntry) -> bool:
        """True when the list names this model (and records the match)."""
        rid = f"{entry.namespace}/{entry.name}"
        hit = [i for i in self.items
               if (i.resource_id == rid) or (not i.resource_id and i.name == entry.name)]
        self.used.update(hit)
        return bool(hit)

    def unused(self) -> list[EuItem]:
        """Listed models that matched nothing (renamed, removed or from another org)."""
        return [i for i in self.items if i not in self.used]


def eu_list_json(items: Iterable[tuple[str, str]]) -> str:
    """The detect-eu output for (name, resourceId) pairs, sorted by resourceId."""
    rows = []
    for name, rid in sorted(set(items), key=lambda p: p[1]):
        parts = rid.split("/")
        rows.append({"name": name, "resourceId": rid, "org": parts[0],
                     "team": parts[1] if len(parts) == 3 else ""})
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
