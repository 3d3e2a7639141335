"""Rendering: a resolved Plan in, Kubernetes objects (and their file layout) out."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from generator.models import Plan
from generator.render.objects import RenderedObject
from generator.render.platform import platform_objects
from generator.render.projects import project_objects

__all__ = ["RenderedObject", "iter_objects", "render_objects"]


def iter_objects(plan: Plan) -> Iterator[RenderedObject]:
    """Every object of a plan, in a stable order: the platform's, then each project's; one
    project is rendered at a time, so a caller that writes and forgets holds one project."""
    return chain(platform_objects(plan), project_objects(plan))


def render_objects(plan: Plan) -> list[RenderedObject]:
    """Every object of a plan, in `iter_objects`'s order."""
    return list(iter_objects(plan))
