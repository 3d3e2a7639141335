"""The one Jinja environment: strict undefined, and values enter YAML only through filters."""

from __future__ import annotations

import json
import re
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


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
            "h": 3600 * 10**9}


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


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared, strict environment over `templates/`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["q"] = to_yaml
    env.filters["go_duration"] = go_duration
    return env
