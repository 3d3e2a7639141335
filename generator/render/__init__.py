"""Rendering: a resolved Plan in, Kubernetes objects (and their file layout) out."""

from __future__ import annotations

from generator.models import Plan
from generator.render.objects import RenderedObject
from generator.render.platform import platform_objects
from generator.render.projects import project_objects

__all__ = ["RenderedObject", "render_objects"]


def render_objects(plan: Plan) -> list[RenderedObject]:
    """Every object of a plan, in a stable order: the platform's, then each project's."""
    return [*platform_objects(plan), *project_objects(plan)]
