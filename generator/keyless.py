"""Which deployments need an NGC key, given the extended model details.

NVIDIA's NIM LLM installation guide (docs.nvidia.com/nim/large-language-models/2.0.11/
get-started/installation.html, "Pull the Container Image") says eligible public-catalog NIMs
are pulled without a login, and that a login is needed only for a Production Branch NIM, a
NIM released before NIM LLM 2.0.10, or a private or gated image or model artifact. So:

- no pull secret when NGC says anyone may pull the image (`canGuestPull`, else `isPublic`);
- no API key when, in addition, the tag is a NIM LLM release from 2.0.10 on in the 2.x line
  (not a Production Branch `-pb` tag): the releases NVIDIA documents as downloading public
  model artifacts without a key.

Without details for a model, or with `apiKey.required: true`, a deployment keeps both.

`deployment_needs` adds what the deployment's own objects cannot do without: a `NIMCache`
(backend nim-operator, weights from NGC) must name a key Secret, and so must a `NIMService` on
NIM Operator v3.1.2, so such a deployment keeps its key whatever NVIDIA allows. Every template
and the secret scaffolds follow that one answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from generator.metadata.extended import Details
from generator.models import NIM_OPERATOR_MAIN, DeploymentSpec, nim_service_needs_auth_secret

KEYLESS_SINCE = (2, 0, 10)
KEYLESS_BEFORE = (3, 0, 0)
_RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:[-+.].*)?")


def keyless_release(tag: str) -> bool:
    """A NIM LLM release that downloads public weights without a key."""
    match = _RELEASE.fullmatch(tag)
    if match is None or "pb" in tag.lower():
        return False
    version = tuple(int(part) for part in match.groups())
    return KEYLESS_SINCE <= version < KEYLESS_BEFORE


def key_needs(model: str, tag: str, details: Mapping[str, Details],
              forced: bool) -> tuple[bool, bool]:
    """(needs an API key, needs a pull secret) for `model` at `tag`."""
    found = details.get(model)
    if forced or found is None or not found.anonymous_pull:
        return True, True
    return not keyless_release(tag), False


def nim_cache_needs_key(spec: DeploymentSpec) -> bool:
    """A deployment that renders a NIMCache: the CRD requires `spec.source.ngc.authSecret` (and
    the operator's webhook refuses it empty), and the operator mounts it into its caching Job
    as a non-optional `envFrom` Secret (NVIDIA/k8s-nim-operator@f63f74d api/apps/v1alpha1/
    nimcache_types.go EnvFromSecrets, internal/webhook/apps/v1alpha1/
    nimcache_webhook_validation_helper.go validateNGCSource), so that Secret must exist."""
    return spec.renders_nim_cache


def nim_service_needs_key(spec: DeploymentSpec, operator_version: str) -> bool:
    """A NIMService on an operator that requires `spec.authSecret` and reads NGC_API_KEY from
    it (models.nim_service_needs_auth_secret): its Secret must exist."""
    return spec.backend == "nim-operator" and nim_service_needs_auth_secret(operator_version)


def deployment_needs(spec: DeploymentSpec, model: str, tag: str,
                     details: Mapping[str, Details],
                     operator_version: str = NIM_OPERATOR_MAIN) -> tuple[bool, bool]:
    """(needs an API key Secret, needs a pull Secret) for deployment `spec`: what NVIDIA
    allows (`key_needs`), plus the key a NIMCache, or a NIMService on an operator release,
    cannot do without."""
    key, pull = key_needs(model, tag, details, spec.key_required)
    return key or nim_cache_needs_key(spec) or nim_service_needs_key(spec, operator_version), pull


def anonymous_models(models: Iterable[str], details: Mapping[str, Details]) -> list[str]:
    """Those of `models` that NGC says anyone may pull, sorted (the chart's
    `platform.catalog.anonymousPull`)."""
    return sorted({m for m in models if m in details and details[m].anonymous_pull})
