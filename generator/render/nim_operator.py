"""Backend nim-operator: a deployment as NVIDIA NIM Operator objects instead of KServe's.

Connected, a `NIMCache` fills the deployment's cache PVC from NGC and the `NIMService` serves
from it; with mirrored weights (`cache.source`) the PVC is cloned or filled by nim-gitops' own
Job and the `NIMService` mounts it directly, with no key. Secret scaffolds and the PVC are the
same objects the KServe backend renders, so a deployment can move between backends and keep
both its key and its cache.
"""

from __future__ import annotations

from typing import Any

from generator.models import Deployment, Plan
from generator.render.objects import (
    _render,
    _resources,
    cache_objects,
    own_scaffolds,
    token_auth_objects,
)


def nim_operator_objects(plan: Plan, d: Deployment) -> list[dict[str, Any]]:
    """Secret scaffolds (scope deployment), PVC (and its fill Job), NIMCache and NIMService,
    and the token-auth objects (the Role names the InferenceService the operator creates under
    the NIMService's name)."""
    refs = plan.secret_refs(d)
    from_ngc = d.spec.renders_nim_cache
    cache, _ = cache_objects(plan, d, from_ngc=False)
    return [
        *own_scaffolds(plan, d),
        *cache,
        *(_render("nim-operator/nimcache.yaml.j2", d=d, refs=refs) if from_ngc else []),
        *_render("nim-operator/nimservice.yaml.j2", d=d, repository=d.model.repository,
                 refs=refs, from_ngc=from_ngc, resources=_resources(d)),
        *token_auth_objects(d),
    ]
