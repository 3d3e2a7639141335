"""The one Jinja environment: strict undefined, and values enter YAML only through filters."""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

import generator


def templates_dir() -> Path:
    """The `templates/` directory: inside the installed wheel, or at the source tree's top."""
    package = Path(generator.__file__).parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("nim-gitops templates are missing from the installation")


# Characters a YAML stream may not carry raw (C1 controls, DEL, non-characters, lone
# surrogates) or that a YAML 1.1 reader folds as line breaks inside a quoted scalar (NEL,
# LS, PS); json.dumps already escapes C0 controls. Escaped, they stay the same characters.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def to_yaml(value: Any) -> str:
    """A value as inline YAML that always parses back to the same value (JSON is valid YAML)."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isascii() and "\x7f" not in text:
        return text
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# While a render records (see `render_recording`), `q` hands back a numbered placeholder for each
# string or integer and keeps the value; `render.skeleton` parses the placeholder text once
# per template shape and fills the values in. The placeholder delimiters are private-use
# characters; a template or value that carries them is simply never filled (see skeleton).
SLOT_OPEN, SLOT_CLOSE = "\ue000", "\ue001"
_SLOTS: ContextVar[list[Any] | None] = ContextVar("nim_gitops_slots", default=None)
# Strings whose `to_yaml` form is `"` + the text with `"` and `\` backslash-escaped + `"`:
# no control, line-break, surrogate or non-character code points and no placeholder marks.
_SLOT_SAFE = re.compile(
    "[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ue000\ue001\ufeff\ufffe\uffff]*")


def render_recording(template: jinja2.Template, context: dict[str, Any]) -> tuple[str, list[Any]]:
    """`template` rendered with `q` writing placeholders for strings and integers, and the
    values it recorded, in placeholder order."""
    slots: list[Any] = []
    token = _SLOTS.set(slots)
    try:
        return template.render(context), slots
    finally:
        _SLOTS.reset(token)


_placeholders: list[str] = []  # placeholder n's text, made once (a render records ~20)


def _placeholder(n: int) -> str:
    while len(_placeholders) <= n:
        _placeholders.append(f'"{SLOT_OPEN}{len(_placeholders)}{SLOT_CLOSE}"')
    return _placeholders[n]


@jinja2.pass_context
def _q(context: Any, value: Any) -> str:
    """The `q` filter. pass_context keeps Jinja from folding it into constants at compile time,
    so every render records the same placeholders in the same order."""
    slots = _SLOTS.get()
    if slots is None:
        return to_yaml(value)
    kind = type(value)
    # printable ASCII is exactly the ASCII that _SLOT_SAFE accepts; the pattern decides the rest
    if kind is int or (kind is str and ((value.isascii() and value.isprintable())
                                        or _SLOT_SAFE.fullmatch(value))):
        slots.append(value)
        n = len(slots) - 1
        return _placeholders[n] if n < len(_placeholders) else _placeholder(n)
    return to_yaml(value)


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
            "h": 3600 * 10**9}


@lru_cache(maxsize=256)  # a config names a few intervals, rendered once per key holder
def go_duration(text: str) -> str:
    """Normalise a duration the way the API server prints a metav1.Duration (`1h` -> `1h0m0s`).

    Writing the normalised form keeps Argo CD from showing a permanent diff.
    """
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    total = sum(round(float(n) * _UNIT_NS[u]) for n, u in parts)
    if total == 0:
        return "0s"
    if total < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if total >= size:
                return f"{total / size:g}{unit}"
    hours, rest = divmod(total, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{rest / 10**9:.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


class _FlatGlobalsEnvironment(jinja2.Environment):
    """An environment whose templates keep their globals in one plain dict.

    Jinja copies a template's globals into every render's context (twice: the context's
    variables and the set of their names), and by default they are a `ChainMap` over the
    environment's globals, whose iteration runs in Python: about 7 us of each render, 0.2 s
    of a 1,000 x 5 render's 26,000 contexts. A plain dict holds the same names and values as
    long as no globals change once a template is loaded, which Jinja itself asks of callers
    (`Environment.make_globals`) and which this environment never does.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared, strict environment over `templates/`."""
    env = _FlatGlobalsEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        auto_reload=False,  # templates are package data: no stat() on every get_template
        cache_size=-1,  # a plain dict of the few dozen templates, not an LRU behind a lock
    )
    env.filters["q"] = _q
    env.filters["go_duration"] = go_duration
    return env
