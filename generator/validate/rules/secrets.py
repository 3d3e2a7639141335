"""Key hygiene: no NGC key in Git, secret-free Templates, one deployment's secrets per runtime."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from generator.keyguard import decode_base64, encoded_values, strings
from generator.models import PLACEHOLDER_KEY
from generator.validate.rules.base import Context, Hit, Rule
from generator.validate.rules.paths import dig, items, jp, kind_of, meta, pod_containers

# an NGC personal key, plain or base64-encoded (`bnZhcGkt` is base64 of `nvapi-`)
KEY = re.compile(r"nvapi-[A-Za-z0-9_-]{16,}|bnZhcGkt[A-Za-z0-9+/]{16,}")
KEY_FIELDS = frozenset({"NGC_API_KEY", "api_key", "apiKey", "NGC_CLI_API_KEY"})
KEY_SECRET = "nim-api-key-"
PULL_SECRET = "nim-image-pull-"
PROJECT_KEY, PROJECT_PULL = "nvidia-nim-secrets", "ngc-secret"  # the project-scope pair
ACCOUNT_PULL = "odh-nim-account-pull"  # the pull Secret of a project's Account (target current)
SHARED = frozenset({PROJECT_KEY, PROJECT_PULL, ACCOUNT_PULL, "nvidia-nim-access"})
RUNTIME_GROUP = "serving.kserve.io"


def key_material(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM001: no string anywhere looks like an NGC key, and none hides in the base64 fields
    the API server decodes (ConfigMap `binaryData`; a Secret's `data` is NIM002's)."""
    if kind_of(obj) == ("", "ConfigMap"):
        for path, value in encoded_values(obj):
            if KEY.search(value):
                yield jp(*path), ("NGC API key material (nvapi-...) in base64 binaryData; keep "
                                  "keys in a secret manager and reference them")
    text = context.text(obj)
    if "nvapi-" not in text and "bnZhcGkt" not in text:
        return
    for path, value in strings(obj):
        if KEY.search(value):
            yield jp(*path), ("NGC API key material (nvapi-...) in plain text; keep keys in a "
                              "secret manager and reference them")


def _pull_secret_for_nvcr(text: str) -> bool:
    try:
        auths = json.loads(text).get("auths", {})
    except (ValueError, AttributeError):
        return "nvcr.io" in text
    return isinstance(auths, dict) and any("nvcr.io" in str(host) for host in auths)


def secret_with_key(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM002: a core Secret must not carry an NGC key in data or stringData."""
    if kind_of(obj) != ("", "Secret"):
        return
    name = meta(obj, "name")
    named = name.startswith((KEY_SECRET, PULL_SECRET)) or name in SHARED
    for field, encoded in (("stringData", False), ("data", True)):
        values = obj.get(field)
        if not isinstance(values, dict) or not values:
            continue
        for key, value in values.items():
            text = decode_base64(value) if encoded else (value if isinstance(value, str) else "")
            if text == PLACEHOLDER_KEY:  # an air-gapped Account's Secret: plainly no key
                continue
            if (key in KEY_FIELDS or named or KEY.search(text)
                    or (key == ".dockerconfigjson" and _pull_secret_for_nvcr(text))):
                yield jp(field, key), (f"Secret {name or '<no name>'} carries an NGC key in "
                                       f"{field}; commit an ExternalSecret or VaultStaticSecret "
                                       "instead of the key")
                break


def _runtimes_in_template(obj: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    if kind_of(obj) != ("template.openshift.io", "Template"):
        return
    for index, item in items(obj.get("objects")):
        if item.get("kind") == "ServingRuntime":
            yield index, item


def template_secrets(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM003: the shipped Template holds no NGC_API_KEY env and no imagePullSecrets."""
    for index, runtime in _runtimes_in_template(obj):
        spec = runtime.get("spec")
        base = ("objects", index, "spec")
        if dig(spec, "imagePullSecrets"):
            yield jp(*base, "imagePullSecrets"), (
                "the Template's ServingRuntime has imagePullSecrets; each deployment adds its "
                "own nim-image-pull-<deployment>")
        for path, container in pod_containers(spec, *base):
            for e, env in items(container.get("env")):
                if env.get("name") == "NGC_API_KEY":
                    yield jp(*path, "env", e), (
                        "the Template's ServingRuntime sets NGC_API_KEY; each deployment adds "
                        "its own nim-api-key-<deployment>")


def _secret_refs(spec: Any) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(path, secret name, env name or "") of every Secret a runtime spec references."""
    for path, container in pod_containers(spec, "spec"):
        for e, env in items(container.get("env")):
            ref = dig(env, "valueFrom", "secretKeyRef", "name")
            if isinstance(ref, str):
                yield (*path, "env", e, "valueFrom", "secretKeyRef", "name"), ref, str(
                    env.get("name", ""))
        for e, source in items(container.get("envFrom")):
            ref = dig(source, "secretRef", "name")
            if isinstance(ref, str):
                yield (*path, "envFrom", e, "secretRef", "name"), ref, ""
    for v, volume in items(dig(spec, "volumes")):
        ref = dig(volume, "secret", "secretName")
        if isinstance(ref, str):
            yield ("spec", "volumes", v, "secret", "secretName"), ref, ""


def _project_pair(namespace: str, context: Context) -> tuple[set[str], set[str]]:
    """The project-scope names a runtime in `namespace` may use: (API key, pull secret).

    Each only when the input also holds the ExternalSecret or VaultStaticSecret that creates it
    in that namespace (a project-scope deployment), or for the Account's pull Secret the
    Account whose controller writes it; otherwise it is the shared legacy secret.
    """
    key = {PROJECT_KEY} if (namespace, PROJECT_KEY) in context.scaffolded else set()
    pull = {name for name in (PROJECT_PULL, ACCOUNT_PULL)
            if (namespace, name) in context.scaffolded}
    return key, pull


def _scaffold_hint(ref: str, namespace: str) -> str:
    if ref == ACCOUNT_PULL:
        return (f" (or, project-scope, commit the project Account whose controller writes "
                f"{ref!r} in {namespace or 'its namespace'})")
    if ref not in (PROJECT_KEY, PROJECT_PULL):
        return ""
    return (f" (or, project-scope, commit the ExternalSecret or VaultStaticSecret that creates "
            f"{ref!r} in {namespace or 'its namespace'})")


def _shared(ref: str, own: str, namespace: str) -> str:
    return f"{ref!r} is shared by every deployment; use {own!r}{_scaffold_hint(ref, namespace)}"


def own_secrets(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM006: a ServingRuntime reads its own nim-api-key-{d} and pulls with nim-image-pull-{d},
    or uses the project-scope pair its input scaffolds; other pull secrets are its own business.
    """
    if kind_of(obj) != (RUNTIME_GROUP, "ServingRuntime"):
        return
    name, namespace = meta(obj, "name"), meta(obj, "namespace")
    own_key, own_pull = KEY_SECRET + name, PULL_SECRET + name
    project_key, project_pull = _project_pair(namespace, context)
    spec = obj.get("spec")
    for path, ref, env_name in _secret_refs(spec):
        if env_name == "NGC_API_KEY":
            if ref != own_key and ref not in project_key:
                hint = _scaffold_hint(ref, namespace)
                yield jp(*path), f"NGC_API_KEY comes from {ref!r}; expected {own_key!r}{hint}"
        elif ref in (own_key, own_pull) or ref in project_key:
            continue
        elif ref in SHARED:
            yield jp(*path), _shared(ref, own_key, namespace)
        elif ref.startswith((KEY_SECRET, PULL_SECRET)):
            yield jp(*path), f"{ref!r} belongs to another deployment (this one is {name!r})"
    for i, entry in items(dig(spec, "imagePullSecrets")):
        pull = str(entry.get("name") or "")
        if pull == own_pull or pull in project_pull:
            continue
        if pull in SHARED:
            yield jp("spec", "imagePullSecrets", i, "name"), _shared(pull, own_pull, namespace)
        elif pull.startswith((KEY_SECRET, PULL_SECRET)):
            yield jp("spec", "imagePullSecrets", i, "name"), (
                f"{pull!r} belongs to another deployment (this one is {name!r})")


# fields naming a Secret: NIMCache source.ngc / NIMService spec (plain names), env and envFrom
# ({name}), volumes (secretName), pod imagePullSecrets ([{name}]), NIMService image.pullSecrets
NAME_FIELDS = frozenset({"authSecret", "pullSecret", "secretName"})
REF_FIELDS = frozenset({"secretKeyRef", "secretRef"})
LIST_FIELDS = frozenset({"imagePullSecrets", "pullSecrets"})
NOT_REFERENCES = frozenset({"ExternalSecret", "VaultStaticSecret", "Secret", "Template"})


def _named_secrets(node: Any, path: tuple[str | int, ...]
                   ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, name) of every Secret named anywhere below `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, str(key))
            if key in NAME_FIELDS and isinstance(value, str):
                yield here, value
            elif key in REF_FIELDS and isinstance(dig(value, "name"), str):
                yield (*here, "name"), value["name"]
            elif key in LIST_FIELDS and isinstance(value, list):
                for i, entry in enumerate(value):
                    name = entry.get("name") if isinstance(entry, dict) else entry
                    if isinstance(name, str):
                        yield (*here, i, *(("name",) if isinstance(entry, dict) else ())), name
            else:
                yield from _named_secrets(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _named_secrets(value, (*path, index))


def secrets_created(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM013: a deployment's `nim-api-key-*` / `nim-image-pull-*` Secret, wherever an object
    names it, is created among the inputs (ExternalSecret, VaultStaticSecret or Secret)."""
    if kind_of(obj)[1] in NOT_REFERENCES or (KEY_SECRET not in context.text(obj) \
            and PULL_SECRET not in context.text(obj)):
        return
    namespace = meta(obj, "namespace")
    for path, ref in _named_secrets(obj.get("spec"), ("spec",)):
        if not ref.startswith((KEY_SECRET, PULL_SECRET)):
            continue
        if (namespace, ref) in context.scaffolded or (namespace, ref) in context.secrets:
            continue
        yield jp(*path), (f"names Secret {ref!r}, which nothing among the inputs creates in "
                          f"{namespace or 'its namespace'}; commit its ExternalSecret or "
                          "VaultStaticSecret, or drop the reference")


TOKEN_TYPE = "kubernetes.io/service-account-token"
SERVICE_ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"


def token_secret(obj: dict[str, Any], context: Context) -> Iterator[Hit]:
    """NIM014: a service-account token Secret (token auth, docs/backend-kserve.md) names its
    ServiceAccount and carries no data: Kubernetes' token controller writes the token on the
    cluster, and one written in Git is a credential in its history."""
    if kind_of(obj) != ("", "Secret") or obj.get("type") != TOKEN_TYPE:
        return
    name = meta(obj, "name") or "<no name>"
    for field in ("data", "stringData"):
        if obj.get(field):
            yield jp(field), (f"token Secret {name} carries {field}; leave it out: Kubernetes "
                              "writes the token into the Secret on the cluster")
            return
    account = dig(obj, "metadata", "annotations", SERVICE_ACCOUNT_ANNOTATION)
    if not isinstance(account, str) or not account:
        yield jp("metadata", "annotations"), (
            f"token Secret {name} names no ServiceAccount ({SERVICE_ACCOUNT_ANNOTATION}); "
            "Kubernetes deletes it")


RULES = (
    Rule("NIM001", "no-ngc-key", "An NGC key in a manifest is in Git history forever; keys "
         "live in a secret manager.", key_material),
    Rule("NIM002", "no-ngc-secret", "A Secret with data/stringData holding an NGC key is the "
         "key in plain text (base64 is not encryption); commit an ExternalSecret or "
         "VaultStaticSecret.", secret_with_key),
    Rule("NIM003", "template-without-secrets", "The shipped Template is shared by every "
         "project, so it must not name a secret; deployments add their own.", template_secrets),
    Rule("NIM006", "own-secrets", "Each deployment has its own key, so a runtime that reads "
         "another deployment's (or the shared legacy) secret defeats per-deployment rotation "
         "and revocation; a project-scope pair is fine when its scaffold is in the input.",
         own_secrets),
    Rule("NIM013", "secrets-created", "A pod waits forever on a key Secret nobody creates (a "
         "missing pull Secret only warns, then the pull fails); every nim-api-key-* and "
         "nim-image-pull-* an object names needs its scaffold among the inputs.",
         secrets_created),
    Rule("NIM014", "empty-token-secret", "A service-account token Secret gets its token from "
         "Kubernetes on the cluster: one with data in Git is a credential in its history, one "
         "without its ServiceAccount annotation is deleted.", token_secret),
)
