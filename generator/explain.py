"""`nim-gitops explain`: a config field described from the config's JSON schema. Pure: the
schema comes in as data, the text goes out as lines."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from generator.hints import PATTERNS, near_names

_INDEX = re.compile(r"\[[^\]]*\]")  # `projects[0]`, `deployments[]`: the items of a list


@dataclass(frozen=True)
class Field:
    """One field of the config: its dotted path (`spec.projects.deployments.gpus`, lists
    stepped through) and its schema with `$ref`s followed."""

    path: str
    schema: dict[str, Any]
    in_list: tuple[bool, ...] = ()
    """Per path segment: whether the segment's value is a list whose items go on."""

    @property
    def children(self) -> dict[str, dict[str, Any]]:
        return _properties(self.schema)


class UnknownField(Exception):
    """A path the schema does not have; `nearest` are known paths that look like it."""

    def __init__(self, path: str, nearest: list[str]) -> None:
        super().__init__(path)
        self.path = path
        self.nearest = nearest


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with its local `$ref` followed; the referring node's own keywords (its
    description, default, examples) win over the target's."""
    seen = 0
    while "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def _items(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a list's items (resolved), or None when `node` is not a list of objects."""
    items = node.get("items")
    if node.get("type") == "array" and isinstance(items, dict):
        resolved = _resolve(root, items)
        return resolved if "properties" in resolved else None
    return None


def _properties(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}


def _child(root: dict[str, Any], node: dict[str, Any],
           name: str) -> tuple[dict[str, Any], bool] | None:
    """The schema of field `name` under `node` and whether `node` was a list stepped through."""
    in_list = False
    items = _items(root, node)
    if items is not None:
        node, in_list = items, True
    props = _properties(node)
    if name in props:
        return _resolve(root, props[name]), in_list
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and not props:  # a map such as resources.requests
        return _resolve(root, extra), in_list
    return None


def known_paths(root: dict[str, Any]) -> list[str]:
    """Every named field of the schema as a dotted path."""
    found: list[str] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        if depth > 12:
            return
        items = _items(root, node)
        node = items if items is not None else node
        for name, child in _properties(node).items():
            path = f"{prefix}.{name}" if prefix else name
            found.append(path)
            walk(_resolve(root, child), path, depth + 1)

    walk(root, "", 0)
    return found


def find(root: dict[str, Any], path: str) -> Field:
    """The field at `path` (`spec.secrets.scope`; list indexes such as `projects[0]` are
    allowed and mean the items). A path without its leading `spec.` is found too."""
    cleaned = _INDEX.sub("", path.strip()).strip(".")
    if not cleaned:
        return Field("", root)
    # where the walk that got furthest stopped: the known part, its schema, the unknown name
    deepest: tuple[int, str, dict[str, Any], str] = (0, "", root, cleaned.split(".")[0])
    for candidate in (cleaned, f"spec.{cleaned}"):
        node, lists, done = root, [], list[str]()
        for name in candidate.split("."):
            step = _child(root, node, name) if name else None
            if step is None:
                if len(done) > deepest[0]:
                    deepest = (len(done), ".".join(done), node, name)
                break
            node, in_list = step
            lists.append(in_list)
            done.append(name)
        else:
            return Field(candidate, node, tuple(lists))
    raise UnknownField(path, _nearest(root, *deepest[1:]))


def _nearest(root: dict[str, Any], prefix: str, node: dict[str, Any], name: str) -> list[str]:
    """Fields beside the first unknown name that look like it; else any that do."""
    items = _items(root, node)
    siblings = _properties(items if items is not None else node)
    near = near_names(name, siblings)
    if near:
        return [f"{prefix}.{n}" if prefix else n for n in near]
    known = known_paths(root)
    names = set(near_names(name, {p.rsplit(".", 1)[-1] for p in known}))
    return [p for p in known if p.rsplit(".", 1)[-1] in names][:3]


def type_text(node: dict[str, Any]) -> str:
    """The field's type in words."""
    if "const" in node:
        return f"the constant {node['const']}"
    if "enum" in node:  # the values themselves are listed under "allowed"
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        return " or ".join(sorted({names.get(type(v), "value") for v in node["enum"]}))
    if "anyOf" in node:
        return " or ".join(type_text(n) for n in node["anyOf"])
    kind = node.get("type", "any")
    if kind == "array":
        items = node.get("items", {})
        return f"list of {type_text(items) if isinstance(items, dict) else 'values'}"
    if kind == "integer" and ("minimum" in node or "maximum" in node):
        return f"integer ({node.get('minimum', '')}..{node.get('maximum', '')})"
    if kind == "string" and "pattern" in node:
        words = PATTERNS.get(node["pattern"])
        return f"string: {words}" if words else f"string matching {node['pattern']}"
    if kind == "object" and not _properties(node) and isinstance(
            node.get("additionalProperties"), dict):
        return "mapping of names to values"
    return str(kind)


def _flow(value: Any) -> str:
    """`value` as one line of YAML."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def example_value(node: dict[str, Any]) -> Any:
    """The schema's example, else its default, else its first allowed value (None: none)."""
    if node.get("examples"):
        return node["examples"][0]
    for key in ("default", "const"):
        if key in node and node[key] not in ([], {}):
            return node[key]
    if node.get("enum"):
        return node["enum"][0]
    return None


def example_lines(field: Field) -> list[str]:
    """The example value of `field` in place, as YAML from the top of the file."""
    value = example_value(field.schema)
    if value is None or not field.path:
        return []
    names = field.path.split(".")
    lines = []
    for i, name in enumerate(names):
        # a field reached through a list's items starts that item with "- "
        dash = "- " if i and field.in_list[i] else ""
        tail = f" {_flow(value)}" if i == len(names) - 1 else ""
        lines.append(f"{'  ' * (i - 1 if dash else i)}{dash}{name}:{tail}")
    return lines


def _summary(text: str) -> str:
    """The first sentence of a description."""
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 90 else sentence[:87] + "..."


def child_lines(root: dict[str, Any], field: Field) -> Iterator[str]:
    """One line per child field: its name, type and the first sentence of its description."""
    items = _items(root, field.schema)
    children = _properties(items if items is not None else field.schema)
    width = max((len(name) for name in children), default=0)
    required = set((items or field.schema).get("required", ()))
    for name, child in children.items():
        node = _resolve(root, child)
        mark = " (required)" if name in required else ""
        about = _summary(node.get("description", type_text(node)))
        yield f"  {name:<{width}}  {about}{mark}"


def explain_lines(root: dict[str, Any], field: Field) -> list[str]:
    """What `nim-gitops explain` prints for `field`."""
    node = field.schema
    lines = [field.path or "(the config file)"]
    if node.get("description"):
        lines.extend(textwrap.wrap(node["description"], 98, initial_indent="  ",
                                   subsequent_indent="  ", break_on_hyphens=False))
    lines.append("")
    lines.append(f"type:     {type_text(node)}")
    children = list(child_lines(root, field))
    if "default" in node:
        lines.append(f"default:  {_flow(node['default'])}")
    elif field.path and not children:
        lines.append("default:  none in the schema (the description says what applies)")
    items = node.get("items")
    allowed = node.get("enum") or (items.get("enum") if isinstance(items, dict) else None)
    if allowed:
        each = "" if "enum" in node else " (each item)"
        lines.append(f"allowed:  {', '.join(_flow(v) for v in allowed)}{each}")
    example = example_lines(field)
    if example:
        lines.append("example:")
        lines.extend(f"  {line}" for line in example)
    if children:
        lines.append("fields:")
        lines.extend(children)
        lines.append(f"(nim-gitops explain {field.path or 'spec'}.FIELD for one of them)")
    return lines


def missing(root: dict[str, Any]) -> list[str]:
    """Fields explain could say little about: no description, or no example, default or
    allowed value."""
    gaps = []
    for path in known_paths(root):
        field = find(root, path)
        if not field.schema.get("description"):
            gaps.append(f"{path}: no description")
        if not field.children and _items(root, field.schema) is None and \
                example_value(field.schema) is None:
            gaps.append(f"{path}: no example")
    return gaps
