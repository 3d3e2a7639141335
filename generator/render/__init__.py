"""Rendering: a resolved Plan in, Kubernetes objects (and their file layout) out."""

from generator.render.objects import RenderedObject, render_objects

__all__ = ["RenderedObject", "render_objects"]
