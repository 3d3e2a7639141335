"""NVIDIA NIM Operator: the key reaches NIMCache and NIMService only through a Secret, and a
NIMService serves its NIMCache with the same Secrets the cache was filled with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.validate.rules.base import Context, Hit, Rule
from generator.validate.rules.paths import dig, items, jp, kind_of, meta

GROUP = "apps.nvidia.com"
KEY_ENV = frozenset({"NGC_API_KEY", "NGC_CLI_API_KEY", "NIM_NGC_API_KEY"})


def key_from_secret(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM011: no NGC key as a literal env value of a NIMCache or NIMService."""
    group, kind = kind_of(obj)
    if group != GROUP or kind not in ("NIMCache", "NIMService"):
        return
    for e, env in items(dig(obj, "spec", "env")):
        if env.get("name") in KEY_ENV and "value" in env:
            yield jp("spec", "env", e, "value"), (
                f"{env['name']} is set in plain text; the NIM Operator reads the key from "
                "the Secret named by authSecret")


def _as_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def shared_secrets(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM012: a NIMService and the NIMCache it serves use the same key and pull Secrets."""
    if kind_of(obj) != (GROUP, "NIMService"):
        return
    name = dig(obj, "spec", "storage", "nimCache", "name")
    cache = context.nim_caches.get((meta(obj, "namespace"), str(name)))
    if not isinstance(name, str) or cache is None:
        return  # no NIMCache, or one that is not among the inputs
    ngc = dig(cache, "spec", "source", "ngc")
    if not isinstance(ngc, dict):
        return
    auth, cache_auth = dig(obj, "spec", "authSecret"), ngc.get("authSecret")
    if auth != cache_auth:
        yield jp("spec", "authSecret"), (
            f"reads the key from {auth!r} but NIMCache {name!r} was filled with "
            f"{cache_auth!r}; use one Secret for both, so one rotation covers both")
    pull = ngc.get("pullSecret")
    pulls = _as_list(dig(obj, "spec", "image", "pullSecrets"))
    if isinstance(pull, str) and pull not in pulls:
        yield jp("spec", "image", "pullSecrets"), (
            f"does not pull with {pull!r}, the pull Secret of NIMCache {name!r}")


RULES = (
    Rule("NIM011", "nim-operator-key-from-secret", "The NIM Operator takes the NGC key from "
         "the Secret authSecret names; an NGC_API_KEY env value on a NIMCache or NIMService "
         "is the key in Git.", key_from_secret),
    Rule("NIM012", "nim-operator-shared-secrets", "A NIMService serving a NIMCache with "
         "other Secrets than the cache was filled with breaks when only one of them is rotated "
         "or revoked.", shared_secrets),
)
