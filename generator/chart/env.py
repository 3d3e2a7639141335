"""The Jinja environment for the chart's sources in `templates/chart/`.

Chart files are Go templates, full of `{{ }}`; the sources therefore use `[[ ]]` for Jinja
expressions, `[[% %]]` for statements and `[[# #]]` for comments, which Go templates never use.
"""

from __future__ import annotations

import json
from functools import lru_cache

import jinja2

from generator.render.env import templates_dir

CHART_SOURCES = "chart"


def go_literal(text: str) -> str:
    """A Go action printing `text` as a YAML double-quoted scalar, untouched by Helm.

    Used for the Go templates that External Secrets and Vault Secrets Operator evaluate: Helm
    must print them literally instead of executing them.
    """
    quoted = json.dumps(text, ensure_ascii=False)
    if "`" in quoted:
        raise ValueError(f"cannot embed a backtick in a Go raw string: {text!r}")
    return "{{ `" + quoted + "` }}"


def go_raw(text: str) -> str:
    """`text` as a Go raw string literal (for use inside a Go action)."""
    if "`" in text:
        raise ValueError(f"cannot embed a backtick in a Go raw string: {text!r}")
    return f"`{text}`"


@lru_cache(maxsize=1)
def chart_environment() -> jinja2.Environment:
    """A strict environment over `templates/chart/` with delimiters foreign to Go templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / CHART_SOURCES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[[%",
        block_end_string="%]]",
        comment_start_string="[[#",
        comment_end_string="#]]",
    )
    env.filters["go_literal"] = go_literal
    env.filters["go_raw"] = go_raw
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env
