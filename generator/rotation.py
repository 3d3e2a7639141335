"""Key rotation as a Git change: bump a key revision in the config file, and say what restarts.

The config is edited with ruamel.yaml's round trip, so comments, quoting and layout stay; a
result that would change anything but the `keyRevision` fields is refused rather than written.
What restarts is not decided here: `rotate --plan` renders the config before and after the
bump and reads the restarts from `plan`'s comparison (`generator.plan.compare`), whose
rollout rule (`generator.plan.rollout`) gives the extra pods and GPUs.
"""

from __future__ import annotations

import copy
import difflib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import InvalidInputError, UsageError
from generator.models import ACCOUNT_PULL_SECRET, PROJECT_KEY_SECRET, Config, Plan
from generator.plan.compare import Restart
from generator.plan.rollout import KSERVE_RULE, NIM_OPERATOR_RULE

FIELD = "keyRevision"
MAX_REVISION = 1_000_000
_REVISION = re.compile(rf",?\s*{FIELD}:\s*\d+")
_BREAK = re.compile(r"\r\n|\r|\n")  # YAML's line breaks; each line keeps its own
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Selector:
    """What `rotate` names: the Account, a project, or one deployment of a project."""

    project: str | None = None
    deployment: str | None = None

    @property
    def account(self) -> bool:
        return self.project is None

    def __str__(self) -> str:
        if self.project is None:
            return "the Account"
        return f"{self.project}/{self.deployment}" if self.deployment else f"project {self.project}"


@dataclass(frozen=True)
class Change:
    """One revision that the rotation sets: the field's path, its old and new value."""

    path: str
    old: int | None
    new: int


def parse_selector(text: str | None, account: bool) -> Selector:
    """`PROJECT`, `PROJECT/DEPLOYMENT`, or nothing with `--account`."""
    if account:
        if text:
            raise UsageError("give either PROJECT[/DEPLOYMENT] or --account, not both")
        return Selector()
    if not text:
        raise UsageError("name PROJECT[/DEPLOYMENT] to rotate, or --account")
    project, _, deployment = text.partition("/")
    if not project or (_ and not deployment) or "/" in deployment:
        raise UsageError(f"{text!r} is not PROJECT or PROJECT/DEPLOYMENT")
    return Selector(project, deployment or None)


Holder = tuple[str, tuple[str | int, ...], int | None]


def holders(config: Config, selector: Selector) -> list[Holder]:
    """The key holders `selector` names: (label, path of their keyRevision, current value)."""
    source = config.source
    if selector.account:
        if config.platform.target != "current" or not config.platform.manage_account:
            raise InvalidInputError("only target current with platform.account.manage renders "
                                    "the Account's key", source=source, path="spec.platform")
        return [("the Account", ("spec", "platform", "account", FIELD),
                 config.platform.account_key_revision)]
    index = next((i for i, p in enumerate(config.projects) if p.name == selector.project), None)
    if index is None:
        raise UsageError(f'{source}: no project "{selector.project}" in the config')
    project = config.projects[index]
    base: tuple[str | int, ...] = ("spec", "projects", index)
    if config.secrets.scope == "project":
        if selector.deployment:
            raise UsageError(f'{source}: secrets.scope is project: the deployments of '
                             f'"{project.name}" share its key; rotate {project.name}')
        return [(project.name, (*base, FIELD), project.key_revision)]
    found = [(f"{project.name}/{d.name}", (*base, "deployments", j, FIELD), d.key_revision)
             for j, d in enumerate(project.deployments)
             if selector.deployment in (None, d.name)]
    if not found:
        what = f'deployment "{selector.deployment}"' if selector.deployment else "deployments"
        raise UsageError(f'{source}: project "{project.name}" has no {what}')
    return found


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _split_lines(text: str) -> list[tuple[str, str]]:
    """Each line of `text` with its own ending: CRLF, CR or LF ("" for a last line without)."""
    lines, start = [], 0
    for match in _BREAK.finditer(text):
        lines.append((text[start:match.start()], match.group()))
        start = match.end()
    if start < len(text):
        lines.append((text[start:], ""))
    return lines


def _with_line_ends(before: list[tuple[str, str]], after: str) -> str:
    """`after` (LF line ends) with each line's ending taken from the line it stands for in
    `before`; a changed or added line takes the ending of its neighbour there."""
    ends = [end for _, end in before]
    lines = [content for content, _ in _split_lines(after)]
    matcher = difflib.SequenceMatcher(None, [content for content, _ in before], lines,
                                      autojunk=False)
    out: list[list[str]] = []
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(j2 - j1):
            old = min(i1 + k, i2 - 1) if i2 > i1 else max(i1 - 1, 0)
            out.append([lines[j1 + k], ends[old] if ends else "\n"])
    for k, line in enumerate(out[:-1]):  # a line that was last without an ending no longer is
        if not line[1]:
            line[1] = next((end for _, end in reversed(out[:k]) if end), "\n")
    return "".join(content + end for content, end in out)


def _comment_tokens(node: Any, seen: set[int]) -> Iterator[Any]:
    """Every comment of the round-trip document below `node`, each once."""
    if id(node) in seen or not hasattr(node, "ca"):
        return
    seen.add(id(node))
    pending: list[Any] = [node.ca.comment, list(node.ca.items.values()), node.ca.end]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif item is not None and id(item) not in seen:
            seen.add(id(item))
            yield item
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield from _comment_tokens(child, seen)


def _shift_comments(doc: Any, line: int, column: int, delta: int) -> None:
    """Move the comments that follow `column` on `line` by `delta` columns, so that the gap
    before them stays as written when an edit there makes the line longer or shorter."""
    for token in _comment_tokens(doc, set()):
        mark = getattr(token, "start_mark", None)
        if delta and mark is not None and mark.line == line and mark.column > column:
            mark = copy.copy(mark)
            mark.column += delta
            token.start_mark = mark


def _set(doc: Any, path: tuple[str | int, ...], value: int) -> set[str]:
    """Set `path` in the round-trip document, creating mappings on the way (returned); a new
    key goes right after the mapping's `name` or `manage` key, where a reader looks for it,
    or last in a flow mapping (`{name: a, gpus: 1, keyRevision: 1}`)."""
    from ruamel.yaml.comments import CommentedMap

    node, created = doc, set()
    for part in path[:-1]:
        child = node[part] if isinstance(part, int) else node.get(part)
        if child is None:
            child = CommentedMap()
            node[part] = child
            created.add(str(part))
        node = child
    key = path[-1]
    if key in node:
        line, column = node.lc.value(key)
        _shift_comments(doc, line, column, len(str(value)) - len(str(node[key])))
        node[key] = value
        return created
    keys = list(node.keys())
    if node.fa.flow_style():
        added = f"{', ' if keys else ''}{key}: {value}"
        _shift_comments(doc, node.lc.line, node.lc.col, len(added))
        node.insert(len(keys), key, value)
        return created
    anchor = next((k for k in ("name", "manage") if k in keys), None)
    node.insert(keys.index(anchor) + 1 if anchor else len(keys), key, value)
    return created


def _references(root: Any) -> dict[int, int]:
    """How often each node of the composed document is reached: more than once is an alias."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    counts: dict[int, int] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        counts[id(node)] = counts.get(id(node), 0) + 1
        if counts[id(node)] > 1:
            continue
        if isinstance(node, MappingNode):
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return counts


def _merged(node: Any) -> list[Any]:
    """The mappings that `node`'s merge keys (`<<: *a`, `<<: [*a, *b]`) bring in."""
    from ruamel.yaml.nodes import SequenceNode

    sources: list[Any] = []
    for key, value in node.value:
        if key.tag == _MERGE:
            sources += value.value if isinstance(value, SequenceNode) else [value]
    return sources


def _holds(node: Any, key: str) -> bool:
    """True when the mapping `node` or a mapping it merges in has `key`."""
    from ruamel.yaml.nodes import MappingNode

    if not isinstance(node, MappingNode):
        return False
    return (any(k.tag != _MERGE and k.value == key for k, _ in node.value)
            or any(_holds(source, key) for source in _merged(node)))


def _step(node: Any, part: str | int) -> tuple[Any, Any]:
    """The child of `node` at `part` and None, or None and the merged-in mapping that holds
    it, or None twice when neither has it (the key is created in `node`)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], None
    if not isinstance(node, MappingNode):
        return None, None
    own = next((v for k, v in node.value if k.tag != _MERGE and k.value == part), None)
    if own is not None:
        return own, None
    return None, next((s for s in _merged(node) if _holds(s, str(part))), None)


def _sharing(root: Any, path: tuple[str | int, ...], counts: dict[int, int]) -> str | None:
    """How the YAML shares the node that setting `path` writes into (`anchor &x`), or None
    when only this holder reads it."""
    node = root
    for part in path:
        if counts.get(id(node), 1) > 1:
            return f"anchor &{node.anchor}" if node.anchor else "an alias"
        node, merged = _step(node, part)
        if merged is not None:
            return f"anchor &{merged.anchor}" if merged.anchor else "merge key <<"
        if node is None:
            return None
    return f"anchor &{node.anchor}" if counts.get(id(node), 1) > 1 else None


def _refuse_shared(text: str, found: list[Holder], source: str) -> None:
    """Refuse a holder whose keyRevision sits in a node that anchors, aliases or merge keys
    share with other holders: bumping it there would rotate them too, unplanned."""
    root = _yaml().compose(text)
    counts = _references(root)
    for label, path, _ in found:
        how = _sharing(root, path, counts)
        if how:
            raise UsageError(f"{source}: {label}'s {FIELD} lives in a node the YAML shares "
                             f"with other holders ({how}); set it by hand or un-share the node")


def _only_revisions_changed(before: str, after: str, created: set[str]) -> bool:
    """True when `after` is `before` plus `keyRevision` values (and the mappings `created`
    to hold them): every comment, quote and indent kept."""
    def normal(text: str) -> list[str]:
        lines = (_REVISION.sub("", line) for line in text.split("\n"))
        return [line for line in lines
                if line.strip() and line.strip().rstrip(":") not in created]

    return normal(before) == normal(after)


def _round_trip(text: str) -> tuple[Any, Any]:
    """A ruamel.yaml set to write `text`'s indentation back, and `text` loaded with it."""
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, offset = load_yaml_guess_indent(text)
    yaml = _yaml()
    offset = offset or 0
    yaml.indent(mapping=indent, sequence=indent + offset, offset=offset)
    return yaml, yaml.load(text)


def bump(text: str, config: Config, selector: Selector,
         to: int | None = None) -> tuple[str, list[Change]]:
    """The config text with the revisions of `selector`'s holders bumped (or set to `to`);
    every line keeps its own line ending."""
    found = holders(config, selector)
    source = config.source
    for label, _, old in found:
        if to is not None and old is not None and to <= old:
            raise UsageError(f"{source}: {label} is at key revision {old}; --to must be higher")
    lines = _split_lines(text)
    text = "".join(content + ("\n" if end else "") for content, end in lines)
    _refuse_shared(text, found, source)
    yaml, doc = _round_trip(text)
    changes, created = [], set()
    for _, path, old in found:
        new = to if to is not None else (old or 0) + 1
        if new > MAX_REVISION:
            raise InvalidInputError(f"key revision {new} is above {MAX_REVISION}",
                                    source=source, path=_dotted(path))
        created |= _set(doc, path, new)
        changes.append(Change(_dotted(path), old, new))
    out = io.StringIO()
    yaml.dump(doc, out)
    result = out.getvalue()
    if not _only_revisions_changed(text, result, created):
        raise InvalidInputError("cannot bump the key revision without changing the file's "
                                f"layout; set {FIELD} by hand", source=source)
    return _with_line_ends(lines, result), changes


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def unseen_readers(plan: Plan, selector: Selector) -> str | None:
    """What a rotation cannot restart, in one line: on current, a project key is also read by
    the runtimes the dashboard's wizard creates in the project (it points them at the project
    Account's Secret, odh-dashboard #9515), which Git does not list."""
    if selector.account or plan.target != "current" or plan.config.secrets.scope != "project":
        return None
    return (f"not restarted: deployments created in the dashboard in project "
            f"{selector.project} also read {PROJECT_KEY_SECRET} and keep the old key until "
            f"their pods restart (oc rollout restart deployment/<name>-predictor -n "
            f"{selector.project}); odh-model-controller rewrites {ACCOUNT_PULL_SECRET} from the "
            "new key itself")


def plan_text(found: Sequence[Restart], selector: Selector, changes: list[Change],
              unseen: str | None) -> str:
    """What `rotate --plan` prints: the fields that change, then what restarts (`found`, from
    `plan`'s comparison of the config before and after) and the room the rollout needs."""
    lines = [f"rotating the key of {selector}:"]
    lines += [f"  {c.path}: {'unset' if c.old is None else c.old} -> {c.new}" for c in changes]
    if not found:
        lines.append("no predictor restarts" if selector.account else
                     "no predictor restarts (no deployment with replicas)")
        lines += [unseen] if unseen else []
        return "\n".join(lines) + "\n"
    strategies = [KSERVE_RULE] if any(r.surge for r in found) else []
    if not all(r.surge for r in found):
        strategies.append(NIM_OPERATOR_RULE)
    lines.append(f"restarts (rolling; {'; '.join(strategies)}):")
    by_project: dict[str, int] = {}
    for r in found:
        count = f"up to {r.replicas}" if r.autoscaled else str(r.replicas)
        size = f"{count} replica(s) x {r.gpus_per_pod} GPU(s)"
        if r.surge:
            lines.append(f"  {r.project}/{r.name}: {r.workload}, {size}; {r.surge} extra "
                         f"pod(s), {r.surge_gpus} extra GPU(s), {r.unavailable} pod(s) down at "
                         "a time during the rollout")
        else:
            lines.append(f"  {r.project}/{r.name}: {r.workload} (its InferenceService's "
                         f"Deployment {r.name}-predictor), {size}; no extra pods, "
                         f"{r.unavailable} pod(s) down at a time during the rollout")
        by_project[r.project] = by_project.get(r.project, 0) + r.surge_gpus
    for project, gpus in sorted(by_project.items()):
        if gpus:
            lines.append(f"project {project}: needs {gpus} free GPU(s) while it rolls")
    if any(r.surge for r in found):
        lines.append("the cache PVC is ReadWriteOnce: each extra pod must fit on the node that "
                     "mounts it")
    lines += [unseen] if unseen else []
    return "\n".join(lines) + "\n"


def unified_diff(before: str, after: str, name: str) -> str:
    """The change to the config file, as `git diff` would show it."""
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        f"a/{name}", f"b/{name}"))
