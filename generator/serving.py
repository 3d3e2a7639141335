"""Serving options of a deployment (route, token auth, env and args, replica bounds, an
existing cache claim): what the config may say, checked before anything renders.

Each check returns the problem as (path below the deployment, one-line message), or None; the
config loader adds the file, line and full path. Facts and citations: docs/backend-kserve.md
"Serving options".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from generator.models import DEFAULT_TOKEN_NAME, DeploymentSpec

Problem = tuple[tuple[str | int, ...], str]

# Set by the runtime for a working NIM: NGC_API_KEY reads the deployment's key Secret and
# NIM_CACHE_PATH points at the cache mount (templates/_runtime.yaml.j2; the NIM Operator's
# NIMService GetStandardEnv, NVIDIA/k8s-nim-operator v3.1.2 api/apps/v1alpha1/
# nimservice_types.go). The config sets them elsewhere (secrets, storage), never through env.
NEVER_OVERRIDDEN = frozenset({"NGC_API_KEY", "NIM_CACHE_PATH"})
# Also set by a runtime (nim-gitops' NIM_MODEL_PROFILE with one cache profile; the NIM
# Operator's ports, logging and outlines cache): env may replace them when overrideEnv names
# them, so a copy-pasted block never changes them by accident.
RUNTIME_SET = frozenset({"NIM_MODEL_PROFILE", "NIM_SERVER_PORT", "NIM_HTTP_API_PORT",
                         "NIM_GRPC_API_PORT", "NIM_JSONL_LOGGING", "NIM_LOG_LEVEL",
                         "OUTLINES_CACHE_DIR"})
# A literal value for a variable named like this would put a credential in Git. Both
# patterns are also valid RE2, so the Helm chart checks with the same text (chart/build.py).
SECRET_NAME_PATTERN = r"(?i)(^|_)(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(_|$)"
# Token shapes besides NGC's (which the config loader refuses everywhere): Hugging Face,
# GitHub, OpenAI-style and JWTs.
TOKEN_VALUE_PATTERN = (r"\bhf_[A-Za-z0-9]{20,}|\bgh[pousr]_[A-Za-z0-9]{20,}"
                       r"|\bsk-[A-Za-z0-9_-]{20,}|\beyJ[A-Za-z0-9_-]{10,}\.eyJ")
_SECRET_NAME = re.compile(SECRET_NAME_PATTERN)
_TOKEN_VALUE = re.compile(TOKEN_VALUE_PATTERN)


def token_names(raw: Any) -> tuple[str, ...]:
    """`tokenAuth` as token names: true is the one token the dashboard's form starts with."""
    if raw is True:
        return (DEFAULT_TOKEN_NAME,)
    if isinstance(raw, Mapping):
        return tuple(raw["serviceAccounts"])
    return ()


def _env_problem(env: Sequence[Mapping[str, Any]], overrides: Iterable[str]) -> Problem | None:
    allowed = set(overrides)
    seen: set[str] = set()
    for i, var in enumerate(env):
        name = str(var["name"])
        if name in seen:
            return ("env", i, "name"), f'"{name}" is set twice'
        seen.add(name)
        if name in NEVER_OVERRIDDEN:
            what = "the deployment's key Secret (secrets, apiKey)" if name == "NGC_API_KEY" \
                else "the cache mount (storage)"
            return ("env", i, "name"), f"{name} is set by the runtime from {what} and cannot " \
                                       "be overridden"
        if name in RUNTIME_SET and name not in allowed:
            return ("env", i, "name"), (f"{name} is set by the runtime; to replace its value "
                                        f"on purpose, list it in overrideEnv")
        value = var.get("value")
        if isinstance(value, str) and value and (_SECRET_NAME.search(name)
                                                 or _TOKEN_VALUE.search(value)):
            return ("env", i, "value"), ("looks like a credential; keep it in a Secret and "
                                         "name it with valueFrom.secretKeyRef")
    for i, name in enumerate(overrides):
        if name in NEVER_OVERRIDDEN or name not in RUNTIME_SET:
            known = ", ".join(sorted(RUNTIME_SET))
            return ("overrideEnv", i), f'"{name}" cannot be overridden (only: {known})'
    return None


def _args_problem(args: Sequence[str]) -> Problem | None:
    for i, arg in enumerate(args):
        if _TOKEN_VALUE.search(arg):
            return ("args", i), ("looks like a credential; pass it through env with "
                                 "valueFrom.secretKeyRef")
    return None


def _scaling_problem(raw: Mapping[str, Any], spec: DeploymentSpec) -> Problem | None:
    low, high = spec.scaling
    if low > high:
        where = "minReplicas" if "minReplicas" in raw else "maxReplicas"
        return (where,), (f"minReplicas ({low}) is greater than maxReplicas ({high}); KServe "
                          "refuses it (MinReplicas cannot be greater than MaxReplicas)")
    if low != high and low == 0 and spec.backend == "nim-operator":
        return ("minReplicas",), ("the NIM Operator autoscales with a HorizontalPodAutoscaler, "
                                  "which keeps at least 1 replica; use minReplicas 1 or more")
    return None


def _claim_problem(raw: Mapping[str, Any], spec: DeploymentSpec,
                   siblings: Sequence[DeploymentSpec]) -> Problem | None:
    storage = raw.get("storage", {})
    if spec.existing_claim is None:
        if "subPath" in storage:
            return ("storage", "subPath"), "only read with storage.existingClaim"
        return None
    for field in ("size", "storageClassName"):
        if field in storage:
            return ("storage", field), ("the existing claim's own; nim-gitops renders no PVC "
                                        "with storage.existingClaim")
    if spec.sub_path and ".." in spec.sub_path.split("/"):
        return ("storage", "subPath"), "must stay inside the claim (no '..')"
    if spec.cache.preload or spec.cache.source is not None:
        return ("cache",), ("an existing claim is filled by whoever owns it; drop cache.preload "
                            "and cache.source, or let nim-gitops render the cache PVC")
    for other in siblings:
        if other.existing_claim is None and f"{other.name}-cache" == spec.existing_claim:
            return ("storage", "existingClaim"), (
                f'"{spec.existing_claim}" is the cache PVC nim-gitops renders (and prunes) for '
                f'deployment "{other.name}"; name a claim nim-gitops does not own')
    for other in siblings[:siblings.index(spec)]:
        if other.existing_claim == spec.existing_claim and \
                (other.sub_path or "") == (spec.sub_path or ""):
            return ("storage", "subPath"), (
                f'deployment "{other.name}" already mounts claim "{spec.existing_claim}" at '
                f'sub-path "{spec.sub_path or ""}"; give each deployment its own subPath')
    return None


def check_serving(raw: Mapping[str, Any], spec: DeploymentSpec,
                  siblings: Sequence[DeploymentSpec]) -> Problem | None:
    """The first problem of one deployment's serving options; `siblings` are all the
    deployments of its project, `spec` among them (for shared claims)."""
    return (_env_problem(spec.env, raw.get("overrideEnv", ()))
            or _args_problem(spec.args)
            or _scaling_problem(raw, spec)
            or _claim_problem(raw, spec, siblings))
