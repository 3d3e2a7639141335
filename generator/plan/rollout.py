"""How a predictor rolls when its pod template changes: the extra pods it starts and the old
ones it stops at a time.

KServe's raw Deployment defaults to a rolling update with maxSurge 25% and maxUnavailable 25%
(kserve `pkg/controller/v1beta1/inferenceservice/reconcilers/deployment/
deployment_reconciler.go` `setDefaultDeploymentSpec`), unless inferenceservice-config sets a
rollout strategy. Kubernetes rounds a percentage surge up and unavailability down, and makes
one pod unavailable when both come to zero (kubernetes `pkg/controller/deployment/util/
deployment_util.go` `ResolveFenceposts`): a predictor of R replicas starts ceil(R/4) extra pods.
The NIM Operator's InferenceService asks for maxSurge 0 and maxUnavailable 25% instead
(NVIDIA/k8s-nim-operator `manifests/inferenceservice.yaml`): no extra pods, and floor(R/4),
at least one, down at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KSERVE_RULE = ("KServe's default maxSurge 25% (rounded up), unless inferenceservice-config sets "
               "a rollout strategy")
NIM_OPERATOR_RULE = "NIMServices: the NIM Operator's maxSurge 0, maxUnavailable 25%"


@dataclass(frozen=True)
class Rollout:
    """Extra pods started (`surge`) and old pods stopped (`unavailable`) at a time."""

    surge: int
    unavailable: int


def rolling_update(backend: str, replicas: int) -> Rollout:
    """The rollout of a predictor of `replicas` pods on `backend`."""
    if backend == "nim-operator":
        return Rollout(0, max(1, replicas // 4))
    return Rollout(math.ceil(replicas / 4), replicas // 4)
