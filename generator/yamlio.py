"""The one YAML setup: safe loading with locations, and canonical dumping.

Loading: timestamps stay strings, duplicate keys are errors, and alias expansion is bounded
(a "billion laughs" document is refused before anything walks it). Dumping: block style,
insertion order, multi-line strings as literal blocks, and any string that a YAML 1.1 or 1.2
parser could read as something else (`yes`, `1e3`, `0755`, `null`) quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import yaml

from generator.errors import InvalidInputError
from generator.reading import MAX_INPUT_BYTES, decode, read_text
from generator.yamlemit import emit, is_ambiguous

__all__ = ["MAX_INPUT_BYTES", "decode", "dump", "dump_all", "is_ambiguous", "load_all",
           "load_one", "read_text"]

MAX_EXPANDED_NODES = 2_000_000
MAX_KEY_CHARS = 1024  # YAML's limit for implicit keys; no Kubernetes key comes near it
MAX_ALIAS_GROWTH = 16 * 1024 * 1024  # bytes of text that aliases may add to a document
CONFIG_MIN_NODES = 50_000  # a config's alias budget never goes below these (config_budget)
CONFIG_MIN_GROWTH = 1024 * 1024
MAX_DEPTH = 200  # libyaml composes recursively in C: ~50,000 levels crash the process
_MERGE = "tag:yaml.org,2002:merge"
MAX_REMEMBERED_TAGS = 100_000
_resolved: dict[tuple[Any, bool, bool], str] = {}  # SafeLoader.resolve's answers

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class SafeLoader(_Loader):  # type: ignore[misc,valid-type]
    """Safe loader: no timestamps, no duplicate keys, no keys over 1,024 characters."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    }

    _cache: ClassVar[dict[tuple[Any, bool, bool], str]] = _resolved

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node (this class's rules), remembered per scalar text: libyaml asks
        for every scalar, and the same keys and values recur in every document."""
        if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        key = (value, implicit[0], implicit[1])
        cache = self._cache
        tag = cache.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(cache) < MAX_REMEMBERED_TAGS:
                cache[key] = tag
        return tag

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            if isinstance(key, str) and len(key) > MAX_KEY_CHARS:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a mapping key of {len(key):,} characters (at most "
                    f"{MAX_KEY_CHARS:,}: kustomize cannot write longer ones)", key_node.start_mark
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Resolve merge keys (`<<`), keeping only the pair that wins for each merged key.

        PyYAML concatenates the merged pairs, so `<<: [*a, *a, ...]` nested a few levels deep
        grows exponentially (a merge-key "billion laughs"); dropping the pairs that a later
        one overrides keeps every mapping as small as its distinct keys, same result.
        """
        own = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
        if own == len(node.value):
            super().flatten_mapping(node)  # no merge keys: nothing to bound
            return
        super().flatten_mapping(node)
        cut = len(node.value) - own
        merged, mine = node.value[:cut], node.value[cut:]
        if not merged:
            return
        taken = {_key_id(key_node) for key_node, _ in mine}
        kept = []
        for pair in reversed(merged):
            ident = _key_id(pair[0])
            if ident not in taken:
                taken.add(ident)
                kept.append(pair)
        node.value = [*reversed(kept), *mine]


def _construct_int(loader: SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer, or a YAML error for one too long to convert (over 4,300 digits)."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"integer of {len(node.value):,} characters is too large",
            node.start_mark) from None


SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

# YAML 1.2's core schema (yaml.org/spec/1.2.2 §10.3.2): only these plain scalars are not
# strings. `on`, `yes`, `12:30`, `0b1` and `1_000` stay strings, `0755` is decimal.
_CORE = {
    "tag:yaml.org,2002:null": (r"^(?:~|null|Null|NULL|)$", "~nN"),
    "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    "tag:yaml.org,2002:int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
                              "-+0123456789"),
    "tag:yaml.org,2002:float": (r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                                r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
                                "-+0123456789."),
}


def _core_resolvers() -> dict[Any, Any]:
    resolvers: dict[Any, Any] = {}
    for tag, (pattern, firsts) in _CORE.items():
        for first in [*firsts, None] if tag == "tag:yaml.org,2002:null" else firsts:
            resolvers.setdefault(first, []).append((tag, re.compile(pattern)))
    for first, found in _Loader.yaml_implicit_resolvers.items():  # keep merge keys (`<<`)
        resolvers.setdefault(first, []).extend((t, rx) for t, rx in found if t == _MERGE)
    return resolvers


class CoreLoader(SafeLoader):
    """SafeLoader with YAML 1.2 core scalars, for objects passed through unchanged: a value
    means what Kubernetes' YAML 1.2 readers take it to mean, and `!!binary` stays the base64
    text it was written as (a Secret's `data` is base64 text to the API server too)."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = _core_resolvers()
    _cache: ClassVar[dict[tuple[Any, bool, bool], str]] = {}


def _construct_core_int(loader: SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML 1.2 core integer: decimal (leading zeros too), `0o` octal or `0x` hexadecimal."""
    text = str(node.value)
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    try:
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits, 10)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"integer of {len(text):,} characters is too large",
            node.start_mark) from None


CoreLoader.add_constructor("tag:yaml.org,2002:int", _construct_core_int)
CoreLoader.add_constructor("tag:yaml.org,2002:binary",
                           lambda loader, node: str(loader.construct_scalar(node)))


def _key_id(node: yaml.Node) -> object:
    """What makes two mapping keys the same key (scalars by tag and text)."""
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value)
    return id(node)


class Dumper(_Dumper):  # type: ignore[misc,valid-type]
    """PyYAML dumper for the rare caller that needs PyYAML's own output; never emits anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any) -> str:
    """Dump one document in the project's canonical style (see `yamlemit`)."""
    return emit(data)


def dump_all(documents: Iterable[Any]) -> str:
    """Dump a multi-document stream, each document started by `---`."""
    return "".join(f"---\n{dump(doc)}" for doc in documents)


def _expanded_size(obj: Any, memo: dict[int, tuple[int, int]],
                   budget: tuple[int, int]) -> tuple[int, int]:
    """(nodes, bytes of scalar text) of `obj` with every alias expanded, cut at `budget`."""
    if isinstance(obj, dict):
        items: Iterable[Any] = [*obj.keys(), *obj.values()]
    elif isinstance(obj, list):
        items = obj
    else:
        return 1, len(obj) if isinstance(obj, (str, bytes)) else 8
    known = memo.get(id(obj))
    if known is not None:
        return known
    over = (budget[0] + 1, budget[1] + 1)
    memo[id(obj)] = over  # a reference cycle counts as too large
    nodes, size = 1, 0
    for item in items:
        more_nodes, more_bytes = _expanded_size(item, memo, budget)
        nodes, size = nodes + more_nodes, size + more_bytes
        if nodes > budget[0] or size > budget[1]:
            break
    memo[id(obj)] = (nodes, size)
    return nodes, size


def config_budget(text_bytes: int) -> tuple[int, int]:
    """(nodes, bytes of growth) a config's aliases may expand to: a config is small and each
    of its nodes becomes objects, so a few KB of aliases must not become megabytes of output
    (a 12 KB config once cost seconds of CPU per render); proportional to the text above a
    floor that any hand-written config stays under."""
    return max(CONFIG_MIN_NODES, text_bytes // 4), max(CONFIG_MIN_GROWTH, 2 * text_bytes)


def _check_expansion(data: Any, source: str, text_bytes: int,
                     limits: tuple[int, int] = (MAX_EXPANDED_NODES, MAX_ALIAS_GROWTH)) -> None:
    """Refuse a document whose aliases multiply it (in nodes or in bytes of text) beyond
    `limits` (nodes, bytes of text beyond the document's own)."""
    budget = (limits[0], text_bytes + limits[1])
    nodes, size = _expanded_size(data, {}, budget)
    if nodes > budget[0]:
        raise InvalidInputError(
            f"YAML aliases expand to more than {limits[0]:,} nodes; refusing to load",
            source=source,
        )
    if size > budget[1]:
        raise InvalidInputError(
            f"YAML aliases expand to more than {limits[1]:,} bytes beyond the document; "
            "refusing to load", source=source)


def check_config_expansion(data: Any, source: str, text_bytes: int) -> None:
    """`_check_expansion` with a config's budget (`config_budget`), for a config that arrived
    inside another document (a KRM functionConfig)."""
    _check_expansion(data, source, text_bytes, config_budget(text_bytes))


# What libyaml says when a line is indented more or less than its neighbours need
_INDENTATION_PROBLEMS = ("mapping values are not allowed", "did not find expected key",
                         "expected <block end>", "could not find expected ':'",
                         "did not find expected '-' indicator")
SHOWN_LINE = 60  # characters of the offending line quoted in the message


def _yaml_error(exc: yaml.YAMLError, source: str, text: str = "") -> InvalidInputError:
    """One line: the file and line, the column, what libyaml found, the offending line with a
    caret under the column, and, for the usual indentation slips, a hint."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = " ".join((f"{context} {problem}" if context else problem).split())
    line = mark.line + 1 if mark is not None else None
    lines = text.splitlines()
    if mark is not None and 0 <= mark.line < len(lines):
        written = lines[mark.line].rstrip()
        start = max(0, min(mark.column, len(written)) - SHOWN_LINE // 2)
        shown = written[start:start + SHOWN_LINE]
        caret = " " * (min(mark.column, len(written)) - start) + "^"
        message = f"at column {mark.column + 1}: {message}"
        if any(problem.startswith(p) for p in _INDENTATION_PROBLEMS):
            message += ("; check this line's indentation against the lines above it: the keys "
                        "of one mapping, and the items of one list, start in the same column")
        error = InvalidInputError(f"invalid YAML {message}", source=source, line=line)
        error.details = (f"  {line} | {shown}", f"  {' ' * len(str(line))} | {caret}")
        return error
    return InvalidInputError(f"invalid YAML: {message}", source=source, line=line)


_INDENT = re.compile(r"^[ \t]*", re.MULTILINE)
_COMPACT = re.compile(r"(?:[-?:][ \t]+)+")


def _nesting_bound(text: str) -> int:
    """A cheap upper bound of how deeply `text` nests collections.

    Flow collections need a bracket per level. A nested block collection starts further right
    than its parent, or in the same column as the key that holds it, so every two levels need
    one more column of indentation or one more `- `/`? `/`: ` indicator on the same line.
    """
    flows = text.count("[") + text.count("{")
    if "\t" not in text and " " * 48 not in text and "- - " not in text and "? " not in text:
        return flows + 2 * 48 + 4  # the common case, without scanning every line
    indent = max(map(len, _INDENT.findall(text)), default=0)
    compact = max(map(len, _COMPACT.findall(text)), default=0)
    return flows + 2 * (indent + compact) + 2


def _check_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the (recursive, C) composer sees it."""
    if _nesting_bound(text) <= MAX_DEPTH:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise InvalidInputError(
                        f"YAML nesting is deeper than {MAX_DEPTH:,} levels",
                        source=source, line=mark.line + 1 if mark is not None else None)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, text) from None


@contextmanager
def _parsing(text: str, source: str,
             loader_class: type[SafeLoader] = SafeLoader) -> Iterator[SafeLoader]:
    """A loader for `text` whose parse errors become one-line InvalidInputErrors."""
    _check_depth(text, source)
    loader = loader_class(text)
    try:
        yield loader
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, text) from None
    except RecursionError:
        raise InvalidInputError("YAML nesting is too deep", source=source) from None
    finally:
        loader.dispose()


class _Unusual(Exception):
    """A node the direct construction leaves to PyYAML's constructor."""


_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map"))
_SCALARS = {f"tag:yaml.org,2002:{name}": f"construct_yaml_{name}"
            for name in ("int", "float", "bool", "null")}
_INT = "tag:yaml.org,2002:int"


def _direct(node: yaml.Node, loader: SafeLoader) -> Any:
    """The data of an alias-free node tree of plain maps, lists and the core scalar tags.

    PyYAML's constructor spends most of a load in generic dispatch; this does the same
    construction directly. Anything else (merge keys, `=` keys, other tags, non-scalar or
    duplicate keys) raises `_Unusual`, and the document goes through PyYAML's constructor
    as before, with its errors.
    """
    kind, tag = type(node), node.tag
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        method = _SCALARS.get(tag)
        if method is None:
            raise _Unusual
        if tag == _INT:  # the loader's own integers (YAML 1.1 or 1.2 core)
            return loader.yaml_constructors[_INT](loader, node)
        return getattr(loader, method)(node)
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_direct(item, loader) for item in node.value]
    if kind is yaml.MappingNode and tag == _MAP:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode:
                raise _Unusual
            key = _direct(key_node, loader)
            if key in mapping or (type(key) is str and len(key) > MAX_KEY_CHARS):
                raise _Unusual  # PyYAML's constructor reports it, with the line
            mapping[key] = _direct(value_node, loader)
        return mapping
    raise _Unusual


def _construct(loader: SafeLoader, node: yaml.Node, has_aliases: bool) -> Any:
    if not has_aliases:
        try:
            return _direct(node, loader)
        except _Unusual:
            pass
    return loader.construct_document(node)


def _iter_documents(text: str, source: str,
                    loader_class: type[SafeLoader] = SafeLoader) -> Iterator[Any]:
    has_aliases = "*" in text
    with _parsing(text, source, loader_class) as loader:
        while loader.check_node():
            data = _construct(loader, loader.get_node(), has_aliases)
            if has_aliases:
                _check_expansion(data, source, len(text))
            yield data


def load_all(text: str, source: str, *, core: bool = False) -> list[Any]:
    """Load every document of a YAML (or JSON) stream; empty documents are dropped. `core`
    reads scalars by YAML 1.2's core schema (`CoreLoader`), for objects passed through."""
    loader_class = CoreLoader if core else SafeLoader
    return [doc for doc in _iter_documents(text, source, loader_class) if doc is not None]


def load_one(text: str, source: str, *, core: bool = False) -> Any:
    """Load a stream that must hold exactly one document."""
    docs = load_all(text, source, core=core)
    if len(docs) != 1:
        raise InvalidInputError(f"expected one YAML document, found {len(docs)}", source=source)
    return docs[0]


def load_with_lines(text: str, source: str) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """Load one document (a config: its aliases get a config's budget, `config_budget`) and
    map each field path (tuple of keys/indexes) to its 1-based line."""
    with _parsing(text, source) as loader:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = _construct(loader, node, "*" in text)
    if "*" in text:
        _check_expansion(data, source, len(text), config_budget(len(text)))
    lines = SourceLines()
    _walk_lines(node, (), lines, set())
    return data, lines


class SourceLines(dict[tuple[str | int, ...], int]):
    """Each field path's 1-based line, and in `written` the text of each plain scalar that
    YAML read as a number or a boolean, as the file has it (`1.10`, which became 1.1)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: dict[tuple[str | int, ...], str] = {}


def _walk_lines(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int],
    seen: set[int],
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode) and node.tag in _SCALARS and not node.style \
            and isinstance(lines, SourceLines):
        lines.written[path] = str(node.value)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _walk_lines(value_node, child, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_lines(item, (*path, index), lines, seen)


def format_path(path: Iterable[str | int]) -> str:
    """Render a field path the way users read it: `spec.projects[0].name`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
