"""The entries a secret manager must hold before the first sync of a config: read off the
secret-operator objects the render writes (ExternalSecret, VaultStaticSecret), so the list
names exactly what the operators will ask the store for, and who reads each Secret they fill.
Pure: a Plan in, entries out; never a key."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.models import ACCOUNT_PULL_SECRET, PROJECT_KEY_SECRET, Plan

SCHEMA_VERSION = 1
_VAULT_FIELD = re.compile(r'get \.Secrets ("(?:[^"\\]|\\.)*")')
_READERS = {
    "Account": "odh-model-controller checks the key with NGC and writes the pull Secret "
               f"{ACCOUNT_PULL_SECRET} from it",
    "ServingRuntime": "the NIM predictor pod, through KServe",
    "NIMService": "the NIM Operator's NIM pod",
    "NIMCache": "the NIM Operator's caching Job",
    "Job": "the cache fill Job",
}


@dataclass(frozen=True)
class FilledSecret:
    """A Kubernetes Secret the operator writes from an entry, and the objects that name it."""

    namespace: str
    name: str
    type: str  # Opaque (the API key) or kubernetes.io/dockerconfigjson (the nvcr.io pull)
    readers: tuple[str, ...]  # `Kind/name`, e.g. ServingRuntime/llama-8b

    @property
    def role(self) -> str:
        return "nvcr.io pull secret" if self.type.endswith("dockerconfigjson") else \
            "NGC_API_KEY"


@dataclass(frozen=True)
class Entry:
    """One entry of the store: where it is, which field holds the key, what it fills."""

    store: tuple[tuple[str, str], ...]  # (field, value) pairs: kind, name, namespace; or
    # kind Vault, mount, type, vaultAuthRef
    key: str  # the remote key (External Secrets) or the path under the mount (Vault)
    property: str | None  # the field of the entry holding the NGC key
    version: str | None  # a pinned version (pinVersion), else None: the newest
    secrets: tuple[FilledSecret, ...] = field(default=())


def store_text(store: tuple[tuple[str, str], ...]) -> str:
    """`ClusterSecretStore ngc-keys`, `SecretStore team-a/ngc-keys`, `Vault mount secret
    (kv-v2, VaultAuth nim)`."""
    fields = dict(store)
    if fields["kind"] != "Vault":
        where = f"{fields['namespace']}/{fields['name']}" if "namespace" in fields else \
            fields["name"]
        return f"{fields['kind']} {where}"
    auth = f", VaultAuth {fields['vaultAuthRef']}" if "vaultAuthRef" in fields else ""
    return f"Vault mount {fields['mount']} ({fields['type']}{auth})"


@dataclass(frozen=True)
class StoreEntries:
    """What `nim-gitops secrets list` reports: the entries, or why there are none."""

    provider: str
    entries: tuple[Entry, ...]
    reason: str | None = None  # set when there are no entries
    notes: tuple[str, ...] = ()


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _readers(objects: list[dict[str, Any]], namespace: str, secret: str) -> tuple[str, ...]:
    """`Kind/name` of every object in `namespace` whose spec names Secret `secret`."""
    found = []
    for obj in objects:
        meta = obj.get("metadata", {})
        if meta.get("namespace") != namespace or obj["kind"] in _SCAFFOLDS:
            continue
        if secret in _strings(obj.get("spec", {})):
            found.append(f"{obj['kind']}/{meta['name']}")
    return tuple(sorted(set(found)))


_Where = tuple[tuple[tuple[str, str], ...], str, str | None, str | None]


def _eso_entry(obj: dict[str, Any]) -> _Where:
    spec = obj["spec"]
    ref = spec["secretStoreRef"]
    store = [("kind", ref["kind"]), ("name", ref["name"])]
    if ref["kind"] != "ClusterSecretStore":  # a SecretStore of the ExternalSecret's namespace
        store.append(("namespace", obj["metadata"]["namespace"]))
    remote = spec["data"][0]["remoteRef"]
    return tuple(store), remote["key"], remote.get("property"), remote.get("version")


def _vault_field(spec: dict[str, Any]) -> str | None:
    """The Vault field the transformation templates read (`get .Secrets "api_key"`)."""
    for text in _strings(spec.get("destination", {}).get("transformation", {})):
        found = _VAULT_FIELD.search(text)
        if found:
            return str(json.loads(found.group(1)))  # a Go string literal reads as JSON
    return None


def _vault_entry(obj: dict[str, Any]) -> _Where:
    spec = obj["spec"]
    store = [("kind", "Vault"), ("mount", spec["mount"]), ("type", spec["type"])]
    if spec.get("vaultAuthRef"):
        store.append(("vaultAuthRef", spec["vaultAuthRef"]))
    version = spec.get("version")
    return (tuple(store), spec["path"], _vault_field(spec),
            None if version is None else str(version))


def _secret_of(obj: dict[str, Any]) -> tuple[str, str]:
    """The name and type of the Secret a scaffold writes."""
    spec = obj["spec"]
    if obj["kind"] == "ExternalSecret":
        return spec["target"]["name"], spec["target"]["template"]["type"]
    return spec["destination"]["name"], spec["destination"]["type"]


_SCAFFOLDS = {"ExternalSecret", "VaultStaticSecret"}


def _no_entries(plan: Plan) -> str:
    config = plan.config
    if config.air_gap is not None:
        extra = f" (spec.secrets.provider {config.secrets.provider} is ignored)" \
            if config.secrets.provider != "none" else ""
        return ("spec.airGap is set: images come from the mirror and the cluster's global pull "
                f"secret, and no NGC key is fetched{extra}")
    if plan.secrets_provider == "none":
        return ("spec.secrets.provider is none: nim-gitops writes no secret scaffolds and no "
                "deployment names a key Secret; choose external-secrets or vault to have keys "
                "fetched from a store")
    return "no deployment needs a key or a pull secret (keyless models, docs/secrets.md)"


def store_entries(plan: Plan, objects: list[dict[str, Any]]) -> StoreEntries:
    """The store entries behind the secret scaffolds among `objects` (the plan's render)."""
    grouped: dict[_Where, list[FilledSecret]] = {}
    for obj in objects:
        if obj["kind"] not in _SCAFFOLDS:
            continue
        namespace = obj["metadata"]["namespace"]
        name, secret_type = _secret_of(obj)
        where = _eso_entry(obj) if obj["kind"] == "ExternalSecret" else _vault_entry(obj)
        grouped.setdefault(where, []).append(
            FilledSecret(namespace, name, secret_type, _readers(objects, namespace, name)))
    entries = tuple(Entry(store, key, prop, version, tuple(secrets))
                    for (store, key, prop, version), secrets in grouped.items())
    notes = []
    if any(s.name == PROJECT_KEY_SECRET for e in entries for s in e.secrets):
        notes.append(f"{PROJECT_KEY_SECRET} is also read by the runtimes the dashboard's wizard "
                     "creates in that project")
    if not entries:
        return StoreEntries(plan.secrets_provider, (), _no_entries(plan))
    return StoreEntries(plan.secrets_provider, entries, None, tuple(notes))


def reader_text(reader: str) -> str:
    """`Kind/name (who reads it)`."""
    who = _READERS.get(reader.split("/", 1)[0])
    return f"{reader} ({who})" if who else reader


def as_json(found: StoreEntries, source: str) -> dict[str, Any]:
    """The JSON form (docs/secrets.md, "Entries to create"), schemaVersion 1."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "config": source,
        "provider": found.provider,
        "reason": found.reason,
        "entries": [{
            "store": dict(e.store), "key": e.key, "property": e.property, "version": e.version,
            "secrets": [{"namespace": s.namespace, "name": s.name, "type": s.type,
                         "role": s.role, "readers": list(s.readers)} for s in e.secrets],
        } for e in found.entries],
        "notes": list(found.notes),
    }


def as_text(found: StoreEntries, source: str) -> str:
    """The terminal form: one block per entry."""
    if not found.entries:
        return f"{source}: no secret-store entries: {found.reason}\n"
    count = len(found.entries)
    lines = [f"{source}: {count} secret-store {'entry' if count == 1 else 'entries'} to "
             "create, each holding an NGC API key (nvapi-...) before the first sync:"]
    for entry in found.entries:
        lines.append("")
        field_text = f"  property {entry.property}" if entry.property else ""
        pinned = f"  version {entry.version}" if entry.version else ""
        lines.append(f"{store_text(entry.store)}: {entry.key}{field_text}{pinned}")
        store = dict(entry.store)
        if store["kind"] == "Vault" and entry.property:
            lines.append(f"  create: vault kv put -mount={store['mount']} {entry.key} "
                         f"{entry.property}=- "
                         "(reads the key from stdin; kv patch keeps the entry's other fields)")
        for secret in entry.secrets:
            lines.append(f"  fills {secret.namespace}/{secret.name} ({secret.role})")
            for reader in secret.readers:
                lines.append(f"    read by {reader_text(reader)}")
    lines.extend(f"note: {note}" for note in found.notes)
    return "\n".join(lines) + "\n"
