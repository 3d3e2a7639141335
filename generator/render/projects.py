"""The objects of each project: its Namespace, its shared key (scope project) and, on target
current, the Account the dashboard's wizard looks up there; then every deployment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.models import PROJECT_KEY_SECRET, Deployment, Plan, ProjectSpec
from generator.render.account import account_objects, disconnected_model_list
from generator.render.nim_operator import nim_operator_objects
from generator.render.objects import (
    RenderedObject,
    _render,
    deployment_objects,
    project_scaffolds,
)


def _project_key(plan: Plan, project: ProjectSpec,
                 deployments: list[Deployment]) -> list[dict[str, Any]]:
    if plan.config.secrets.scope != "project":
        return []
    objects = project_scaffolds(plan, project.name, project.key_revision, deployments)
    if plan.target == "current":
        objects += account_objects(plan, project.name, PROJECT_KEY_SECRET)
        objects += disconnected_model_list(plan, project.name)
    return objects


def project_objects(plan: Plan) -> Iterator[RenderedObject]:
    """Namespaces, project keys and deployments, project by project."""
    by_project: dict[str, list[Deployment]] = {}
    for d in plan.deployments:
        by_project.setdefault(d.project, []).append(d)
    for project in plan.config.projects:
        group = f"projects/{project.name}"
        deployments = by_project.get(project.name, [])
        objects: list[dict[str, Any]] = []
        if project.manage_namespace:
            objects += _render("project/namespace.yaml.j2", project=project.name)
        objects += _project_key(plan, project, deployments)
        for d in deployments:
            if d.spec.backend == "nim-operator":
                objects += nim_operator_objects(plan, d)
            else:
                objects += deployment_objects(plan, d)
        for obj in objects:
            yield RenderedObject(group, obj)
