"""A fast emitter for the project's canonical YAML (block style, insertion order).

Generated trees hold tens of thousands of objects; PyYAML's dumper spends most of its time in
Python-level representers. This emitter covers exactly the data nim-gitops writes (dicts, lists,
strings, ints, floats, bools) and quotes every string that a YAML 1.1 or 1.2 parser could read
as anything else. Its output is checked against PyYAML's loader by property tests.
"""

from __future__ import annotations

import json
import re
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
_WORD = "A-Za-z0-9_./\u00c0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_PLAIN = re.compile(f"[{_WORD}][{_WORD} ()+=@$%^&~,;:-]*")
_RANGES = r"\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_NON_PRINTABLE = re.compile(f"[^{_RANGES}]")
_PRINTABLE = re.compile(f"[{_RANGES}]*")
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
    out: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, "", out)
    elif isinstance(data, list) and data:
        _sequence(data, "", out)
    else:
        _value(data, "", out)
        return out[0].lstrip(" ")
    return "".join(out)
