"""A fast emitter for the project's canonical YAML (block style, insertion order).

Generated trees hold tens of thousands of objects; PyYAML's dumper spends most of its time in
Python-level representers. This emitter covers exactly the data nim-gitops writes (dicts, lists,
strings, ints, floats, bools) and quotes every string that a YAML 1.1 or 1.2 parser could read
as anything else. Its output is checked against PyYAML's loader by property tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_AMBIGUOUS = re.compile(
    r"""(?ix)
    (y|n|yes|no|on|off|true|false|null|~|\.inf|[-+]\.inf|\.nan|=|<<)
    | [-+]?(0[xob])?[0-9][0-9a-f_.:]*([e][-+]?[0-9]+)?
    | [-+]?\.[0-9][0-9_]*([e][-+]?[0-9]+)?
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}
      (([t]|[\x20\x09]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
       ([\x20\x09]*(z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?
    """
)
MAX_SIMPLE_KEY = 1000


def _outside(ranges: str) -> str:
    """A character class body of every code point that `ranges` (characters and `a-z` spans,
    as in a class) leaves out. `re` compiles a class of wide BMP spans one code point at a
    time in Python (about 20 ms for this module's classes, in every process); the classes are
    written as the complements of those spans, which compile in about 1 ms and match the same
    characters."""
    spans, at = [], 0
    while at < len(ranges):
        if at + 2 < len(ranges) and ranges[at + 1] == "-":
            spans.append((ord(ranges[at]), ord(ranges[at + 2])))
            at += 3
        else:
            spans.append((ord(ranges[at]), ord(ranges[at])))
            at += 1
    body, start = [], 0
    for low, high in sorted(spans):
        if low > start:
            body.append(f"\\U{start:08x}-\\U{low - 1:08x}")
        start = max(start, high + 1)
    if start <= 0x10FFFF:
        body.append(f"\\U{start:08x}-\\U0010ffff")
    return "".join(body)


# the characters a plain scalar may hold, and the printable ones
_WORD = "A-Za-z0-9_./\u00c0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_PLAIN = re.compile(f"[^{_outside(_WORD)}][^{_outside(_WORD + ' ()+=@$%^&~,;:-')}]*")
_RANGES = "\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_NON_PRINTABLE = re.compile(f"[{_outside(_RANGES)}]")
_PRINTABLE = re.compile(f"[^{_outside(_RANGES)}]*")
MAX_REMEMBERED = 100_000  # distinct strings whose scalar form is kept (a few MB at most)
_scalars: dict[str, str] = {}
_heads: dict[str, dict[str, str]] = {}  # indent -> key -> `indent key:`
HEAD_LEVELS = 16  # indents whose keys are remembered (the objects' usual depth)


def is_ambiguous(text: str) -> bool:
    """True when a plain scalar `text` could be read as a non-string by some YAML parser."""
    return text == "" or _AMBIGUOUS.fullmatch(text) is not None


def _plain_ok(text: str) -> bool:
    return (
        _PLAIN.fullmatch(text) is not None
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
        and not is_ambiguous(text)
    )


def scalar(value: Any) -> str:
    """One scalar on one line: plain when safe, else single- or double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value) if value == value and abs(value) != float("inf") else \
            {True: ".nan"}.get(value != value, ".inf" if value > 0 else "-.inf")
    if value is None:  # only in objects passed through (`creationTimestamp: null`)
        return "null"
    text = str(value)
    if _plain_ok(text):
        return text
    if not is_ambiguous(text) and "\n" not in text and _PRINTABLE.fullmatch(text) \
            and text == text.strip():
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _double_quoted(text: str) -> str:
    """JSON-style double quotes, with every character YAML forbids raw escaped."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _NON_PRINTABLE.sub(_escape, quoted)


def _literal_ok(text: str) -> bool:
    lines = text.split("\n")
    return (
        _PRINTABLE.fullmatch(text.replace("\n", "")) is not None
        and not text.startswith((" ", "\n"))
        and all(line == line.rstrip() for line in lines)
        and "\r" not in text
    )


def _literal(text: str, indent: str) -> str:
    if text.endswith("\n\n"):
        header, body = "|+", text[:-1]
    elif text.endswith("\n"):
        header, body = "|", text[:-1]
    else:
        header, body = "|-", text
    lines = [f"{indent}{line}" if line else "" for line in body.split("\n")]
    return header + "\n" + "\n".join(lines) + "\n"


def _value(value: Any, indent: str, out: list[str]) -> None:
    """Append ` value\\n` (after a key or dash already written) for any value."""
    if isinstance(value, dict):
        if not value:
            out.append(" {}\n")
            return
        out.append("\n")
        _mapping(value, indent + "  ", out)
    elif isinstance(value, list):
        if not value:
            out.append(" []\n")
            return
        out.append("\n")
        _sequence(value, indent, out)
    elif isinstance(value, str) and "\n" in value and _literal_ok(value):
        out.append(" " + _literal(value, indent + "  "))
    else:
        out.append(" " + scalar(value) + "\n")


def _str_scalar(text: str) -> str:
    """`scalar` of an exact `str`, remembered: the same keys and values recur in every object."""
    found = _scalars.get(text)
    if found is None:
        found = scalar(text)
        if len(_scalars) < MAX_REMEMBERED:
            _scalars[text] = found
    return found


def _head(key: Any, indent: str) -> str | None:
    """`indent` + `key` + `:` for a simple key (remembered per indent), None for a long one."""
    text = _str_scalar(key) if type(key) is str else scalar(key)
    if len(text) > MAX_SIMPLE_KEY:  # YAML's implicit keys stop at 1,024 characters
        return None
    head = f"{indent}{text}:"
    heads = _heads.get(indent)
    if heads is None and len(_heads) < HEAD_LEVELS:
        heads = _heads[indent] = {}
    if heads is not None and type(key) is str and len(heads) < MAX_REMEMBERED // HEAD_LEVELS:
        heads[key] = head
    return head


def _mapping(data: dict[Any, Any], indent: str, out: list[str]) -> None:
    append = out.append
    heads = _heads.get(indent) or {}
    scalars = _scalars
    for key, value in data.items():
        head = heads.get(key) if type(key) is str else None
        if head is None:
            head = _head(key, indent)
            heads = _heads.get(indent, heads)
        if head is None:
            text = _str_scalar(key) if type(key) is str else scalar(key)
            append(f"{indent}? {text}\n{indent}:")
            if isinstance(value, list) and value:
                append("\n")
                _sequence(value, indent + "  ", out)
            else:
                _value(value, indent, out)
            continue
        kind = type(value)
        if kind is str and "\n" not in value:
            append(f"{head} {scalars.get(value) or _str_scalar(value)}\n")
        elif (kind is dict or kind is list) and value:
            append(head + "\n")
            if kind is dict:
                _mapping(value, indent + "  ", out)
            else:
                _sequence(value, indent, out)
        else:
            append(head)
            _value(value, indent, out)


def _sequence(items: list[Any], indent: str, out: list[str]) -> None:
    scalars = _scalars
    for item in items:
        if type(item) is str and "\n" not in item:
            out.append(f"{indent}- {scalars.get(item) or _str_scalar(item)}\n")
        elif isinstance(item, dict) and item:
            inner: list[str] = []
            _mapping(item, indent + "  ", inner)
            first = inner[0]
            out.append(f"{indent}- {first[len(indent) + 2:]}")
            out.extend(inner[1:])
        elif isinstance(item, list) and item:
            out.append(f"{indent}-\n")
            _sequence(item, indent + "  ", out)
        else:
            out.append(f"{indent}-")
            _value(item, indent, out)


def emit(data: Any) -> str:
    """One document in canonical block style."""
    known = _expected.pop(id(data), None)
    if known is not None:
        text = known(data)
        if text is not None:
            return text
    return walk(data)


def walk(data: Any) -> str:
    """`emit` without the known shapes: every node visited (what a known shape reproduces)."""
    out: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, "", out)
    elif isinstance(data, list) and data:
        _sequence(data, "", out)
    else:
        _value(data, "", out)
        return out[0].lstrip(" ")
    return "".join(out)


# Known shapes: objects built again and again from one template shape (generator/render/
# skeleton.py) share their structure and fixed values and differ only in some strings and
# integers. For each shape the emitter keeps its text cut at those values and a check, written
# as straight-line Python, that an object still has exactly that shape: the same key order, list
# lengths and container types everywhere, each fixed value the very object the shape's builder
# put there (`is`), and each varying value an exact str without a line break or an exact int.
# Such a value is emitted as `scalar(value)` alone, in the same place whatever it is, so the
# object's text is the cut text with those scalars put back, byte for byte what `walk` writes.
# An object changed in any other way after it was built (another key, another order, another
# value or type) fails the check and is walked, so no caller has to promise not to change
# what it got. (Keys are compared as strings: the data is the plain data described above.)
#
# Which shape an object has is a hint its builder leaves (`expect`), by the object's id: the
# check makes any hint safe, even one left by an object since freed whose id was reused.
Known = Callable[[dict[str, Any]], "str | None"]
MAX_EXPECTED = 65_536  # hints of objects built and not yet written; forgotten beyond that
_MARK = re.compile("\ue000([0-9]+)\ue001")
_MARK_CHARS = re.compile("[\ue000\ue001]")
_expected: dict[int, Known] = {}


class _Unshaped(Exception):
    """The sample holds something a shape check does not cover."""


class _ShapeSource:
    """Builds the source of one shape's check-and-emit function."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"_sc": _scalars.get, "_ss": _str_scalar}
        self.slots: dict[int, str] = {}  # marker number -> local holding its scalar text

    def const(self, value: Any) -> str:
        name = f"_k{len(self.names)}"
        self.names[name] = value
        return name

    def node(self, value: Any, expr: str, depth: int) -> None:
        if depth > 64:
            raise _Unshaped
        kind = type(value)
        if kind is dict or kind is list:
            var = f"_n{len(self.lines)}"
            self.lines.append(f"{var} = {expr}")
            if kind is dict:
                if any(type(key) is not str for key in value):
                    raise _Unshaped
                self.lines.append(f"if type({var}) is not dict or tuple({var}) != "
                                  f"{self.const(tuple(value))}: return None")
                for key, item in value.items():
                    self.node(item, f"{var}[{key!r}]", depth + 1)
            else:
                self.lines.append(f"if type({var}) is not list or len({var}) != {len(value)}: "
                                  "return None")
                for at, item in enumerate(value):
                    self.node(item, f"{var}[{at}]", depth + 1)
            return
        mark = _MARK.fullmatch(value) if kind is str else None
        if mark is None:
            self.lines.append(f"if {expr} is not {self.const(value)}: return None")
            return
        number = int(mark.group(1))
        if number in self.slots:
            raise _Unshaped  # the same marker twice
        var = self.slots[number] = f"_s{number}"
        self.lines += [
            f"_v = {expr}",
            "if type(_v) is str:",
            "    if '\\n' in _v: return None",
            f"    {var} = _sc(_v) or _ss(_v)",
            f"elif type(_v) is int: {var} = str(_v)",
            "else: return None",
        ]


def _compile_shape(sample: dict[str, Any]) -> Known | None:
    """The check-and-emit function of `sample`'s shape, None when it cannot be made exactly."""
    source = _ShapeSource()
    try:
        source.node(sample, "_o", 0)
    except _Unshaped:
        return None
    cut = _MARK.split(walk(sample))
    texts, numbers = cut[0::2], [int(n) for n in cut[1::2]]
    if sorted(numbers) != sorted(source.slots) or len(set(numbers)) != len(numbers) or \
            any(_MARK_CHARS.search(text) for text in texts):
        return None  # a marker in a key or a fixed value: the cut would be ambiguous
    parts = [f"{{{source.const(texts[0])}}}"]
    for number, text in zip(numbers, texts[1:], strict=True):
        parts.append(f"{{{source.slots[number]}}}{{{source.const(text)}}}")
    body = "\n    ".join([*source.lines, f"return f{''.join(parts)!r}"])
    namespace = dict(source.names)
    exec(f"def _emit(_o):\n    {body}\n", namespace)  # our own generated source
    known: Known = namespace["_emit"]
    return known


def shape_emitters(build: Callable[[list[str]], list[Any]], values: int) -> list[Known | None]:
    """For each document that `build` (a template shape's builder) makes from `values` strings
    and integers: the check-and-emit function of its shape, or None where there is none."""
    markers = [f"\ue000{n}\ue001" for n in range(values)]
    return [_compile_shape(doc) if type(doc) is dict else None for doc in build(markers)]


def expect(doc: dict[str, Any], known: Known) -> None:
    """Note that `doc` was just built in the shape `known` checks, for `emit` to try first."""
    if len(_expected) >= MAX_EXPECTED:
        _expected.clear()
    _expected[id(doc)] = known
