"""The model catalog: entries of the `nim-models-data` ConfigMap, read and written.

Each ConfigMap value is a JSON document with exactly the eight fields of the contract, in
contract order, pretty-printed with two spaces and non-ASCII characters kept.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import InvalidInputError

DEFAULT_CONFIGMAP_NAME = "nim-models-data"
MANAGED_LABEL = {"opendatahub.io/managed": "true"}
# The ConfigMap contract, applied by every command that reads or writes the metadata:
# Kubernetes' rules for ConfigMap keys and object names, the API server's size limit and the
# size above which Argo CD's client-side apply cannot keep the object.
KEY_PATTERN = re.compile(r"[-._a-zA-Z0-9]+")
MAX_KEY_LENGTH = 253
KEY_RULE = f"at most {MAX_KEY_LENGTH} of [-._a-zA-Z0-9]"
NAME_PATTERN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_DATA_BYTES = 1024 * 1024  # values of data + binaryData (the API server's limit, see data_size)
# client-side apply's annotation (its value: the object as compact JSON), and the threshold over
# which it may overflow the API server's 262,144 bytes for all annotations of an object
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SSA_THRESHOLD = 250 * 1024
FIELDS = (
    "name",
    "displayName",
    "shortDescription",
    "namespace",
    "tags",
    "latestTag",
    "updatedDate",
    "euRestricted",
)
_PINNED = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:[-+.][0-9A-Za-z.+-]*)?")
_FLOATING = re.compile(r"latest|[0-9]+(?:\.[0-9]+)?")
REGISTRY = "nvcr.io"
# DEL, C1 controls, non-characters and lone surrogates, which YAML tools refuse even escaped,
# and NEL, LS and PS, which a YAML 1.1 reader (kustomize, Helm) folds into a space
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# what Go's encoding/json escapes beyond Python's json.dumps(ensure_ascii=False)
_GO_ESCAPED = re.compile("[<>&\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII kept, except the characters above, written as JSON escapes."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def valid_key(key: object) -> bool:
    """A valid ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters."""
    return isinstance(key, str) and len(key) <= MAX_KEY_LENGTH and \
        KEY_PATTERN.fullmatch(key) is not None and key not in (".", "..")


def valid_name(name: str) -> bool:
    """A valid ConfigMap (object) name: a DNS subdomain of at most 253 characters."""
    return len(name) <= MAX_KEY_LENGTH and NAME_PATTERN.fullmatch(name) is not None


def data_size(configmap: Any) -> int:
    """Bytes of a ConfigMap object that count against the API server's 1 MiB limit.

    As `ValidateConfigMap` in kubernetes' pkg/apis/core/validation/validation.go sums them:
    the values of `data` (UTF-8 bytes) and of `binaryData` (decoded bytes), not the keys.
    """
    if not isinstance(configmap, Mapping):
        return 0
    total = 0
    data = configmap.get("data")
    if isinstance(data, Mapping):
        total += sum(len(str(value).encode()) for value in data.values())
    binary = configmap.get("binaryData")
    if isinstance(binary, Mapping):
        for value in binary.values():
            try:
                total += len(base64.b64decode(str(value), validate=True))
            except ValueError:  # not base64: the API server refuses it; count it as written
                total += len(str(value).encode())
    return total


def size_problem(configmap: Any) -> str | None:
    """Why the API server would refuse `configmap` for its size, or None: the one size rule,
    and its one wording, of render, `metadata generate`, `metadata validate` and rule NIM008.

    The sentence names the ConfigMap when its name is valid; callers add where it is (file,
    field) and what to do about it.
    """
    size = data_size(configmap)
    if size <= MAX_DATA_BYTES:
        return None
    return (f"{_subject(configmap)} holds {size:,} bytes of data, more than the "
            f"{MAX_DATA_BYTES:,} (1 MiB) the API server accepts")


def _subject(configmap: Any) -> str:
    """`the ConfigMap NAME`, or `the ConfigMap` when it has no valid name."""
    metadata = configmap.get("metadata") if isinstance(configmap, Mapping) else None
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return f"the ConfigMap {name}" if isinstance(name, str) and valid_name(name) \
        else "the ConfigMap"


def go_json(value: Any) -> str:
    """`value` as Go's `json.Marshal` writes it: compact, map keys sorted, UTF-8 kept, and
    `<`, `>`, `&`, U+2028 and U+2029 escaped as `\\u003c` etc.

    Go's `appendString` (golang/go src/encoding/json/encode.go, Go 1.22 and later) escapes
    `"` and backslash, writes `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\u00XX` for the other
    control characters, as Python's json.dumps does, but also the HTML characters and the two
    line separators. Keys that are not strings become their JSON text (as sigs.k8s.io/yaml
    makes them), lone surrogates U+FFFD (Go's decoders never keep them). Floats are written as
    Python writes them: a ConfigMap, the one object measured, has only strings.
    """
    text = json.dumps(_string_keys(value), ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True, default=str)  # !!binary, !!set: counted as their text
    text = _GO_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return _SURROGATE.sub("\ufffd", text)


def _string_keys(value: Any) -> Any:
    """`value` with every mapping key a string, as Kubernetes objects have them."""
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else json.dumps(k, default=str): _string_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def last_applied_size(obj: Any) -> int:
    """Bytes of the value client-side apply stores for `obj` in its last-applied annotation.

    The value is the object, without that annotation, as `json.NewEncoder(w).Encode` writes it:
    `GetModifiedConfiguration` in kubernetes' staging/src/k8s.io/kubectl/pkg/util/apply.go
    encodes it with apimachinery's unstructured JSON scheme (pkg/apis/meta/v1/unstructured/
    helpers.go), so `go_json` plus the newline Encode ends with.
    """
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    if isinstance(metadata, Mapping) and isinstance(metadata.get("annotations"), Mapping) \
            and LAST_APPLIED in metadata["annotations"]:  # apply drops it before encoding
        kept = {k: v for k, v in metadata["annotations"].items() if k != LAST_APPLIED}
        obj = {**obj, "metadata": {**metadata, "annotations": kept}}
    return len(go_json(obj).encode()) + 1


def client_side_apply_size(configmap: Any) -> int | None:
    """`last_applied_size(configmap)` when over SSA_THRESHOLD, so too big for Argo CD's
    client-side apply (it needs server-side apply); None when it fits.

    The API server refuses an object whose annotations (keys and values) add up to more than
    262,144 bytes (`ValidateAnnotationsSize` in kubernetes' staging/src/k8s.io/apimachinery/
    pkg/api/validation/objectmeta.go); the 6,144 bytes SSA_THRESHOLD leaves cover the
    annotation's key (48 bytes), the object's other annotations and the labels Argo CD or
    Helm add. Measured on the data as well as the keys: `data_size` bounds neither (1,500
    long keys with empty values are 0 bytes of data, `<` is 6 bytes as JSON).
    """
    size = last_applied_size(configmap)
    return size if size > SSA_THRESHOLD else None


def client_side_apply_problem(configmap: Any) -> str | None:
    """Why `configmap` needs Argo CD's server-side apply, or None: the one wording of the
    warning of `metadata validate` and rule NIM008 (render adds the annotation instead)."""
    size = client_side_apply_size(configmap)
    if size is None:
        return None
    # the fix comes first: a finding is cut at 240 characters, and a name may take 253
    return ("needs argocd.argoproj.io/sync-options: ServerSideApply=true: "
            f"{_subject(configmap)} is {size:,} bytes as JSON (what client-side apply stores), "
            f"over the {SSA_THRESHOLD:,} that fit the 262,144 bytes the API server allows for "
            "annotations")


def is_pinned(tag: str) -> bool:
    """A pinned tag names one release (`1.15.5`), unlike `latest`, `1` or `1.15`."""
    return _PINNED.fullmatch(tag) is not None


def is_floating(tag: str) -> bool:
    """Tags that NGC moves from release to release."""
    return _FLOATING.fullmatch(tag) is not None


def version_key(tag: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for version tags: numeric parts compare as numbers, others after them."""
    parts = re.split(r"[.\-+]", tag)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


@lru_cache(maxsize=1024)  # a fleet's deployments name a few models, each asked every time
def _newest_pinned(tags: tuple[str, ...]) -> str | None:
    pinned = [t for t in tags if is_pinned(t)]
    return max(pinned, key=version_key) if pinned else None


@dataclass(frozen=True)
class ModelEntry:
    """One model of the catalog, as the dashboard reads it."""

    name: str
    display_name: str
    short_description: str
    namespace: str
    tags: tuple[str, ...]
    latest_tag: str
    updated_date: str
    eu_restricted: bool = False

    @property
    def repository(self) -> str:
        """Image repository without tag: `nvcr.io/{namespace}/{name}`."""
        return f"{REGISTRY}/{self.namespace}/{self.name}"

    def image(self, tag: str) -> str:
        """The container image of this model at `tag`."""
        return f"{self.repository}:{tag}"

    def newest_pinned_tag(self) -> str | None:
        """The highest pinned version among the tags, or None when every tag floats."""
        return _newest_pinned(tuple(self.tags))

    def to_json_dict(self) -> dict[str, Any]:
        """The contract's JSON document, fields in contract order."""
        return {
            "name": self.name,
            "displayName": self.display_name,
            "shortDescription": self.short_description,
            "namespace": self.namespace,
            "tags": list(self.tags),
            "latestTag": self.latest_tag,
            "updatedDate": self.updated_date,
            "euRestricted": self.eu_restricted,
        }

    def to_json(self) -> str:
        """The ConfigMap value: pretty JSON with a final newline.

        Characters that YAML tools refuse or change (DEL, C1 controls including NEL, LS, PS,
        U+FFFE/U+FFFF) are written as JSON escapes, so kustomize, Helm and Argo CD carry the
        value unchanged.
        """
        return json_text(self.to_json_dict(), indent=2) + "\n"

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> ModelEntry:
        """Build an entry from a contract document (already schema-checked by the caller)."""
        return cls(
            name=data["name"],
            display_name=data["displayName"],
            short_description=data["shortDescription"],
            namespace=data["namespace"],
            tags=tuple(data["tags"]),
            latest_tag=data["latestTag"],
            updated_date=data["updatedDate"],
            eu_restricted=bool(data.get("euRestricted", False)),
        )


_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "displayName": str,
    "shortDescription": str,
    "namespace": str,
    "tags": list,
    "latestTag": str,
    "updatedDate": str,
    "euRestricted": bool,
}


def parse_entry(key: str, value: str, source: str) -> ModelEntry:
    """Parse one ConfigMap value, naming the file and key in any error."""
    where = f"data.{key}"
    try:
        doc = json.loads(value)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidInputError(f"value is not JSON ({exc})", source=source, path=where) from None
    except ValueError:  # an integer of over 4,300 digits
        raise InvalidInputError("value holds a number too large to read", source=source,
                                path=where) from None
    except RecursionError:
        raise InvalidInputError("value nests too deeply", source=source, path=where) from None
    if not isinstance(doc, dict):
        raise InvalidInputError("value must be a JSON object", source=source, path=where)
    for field, kind in _TYPES.items():
        if field not in doc:
            if field == "euRestricted":
                continue
            raise InvalidInputError(f"missing field {field!r}", source=source, path=where)
        if not isinstance(doc[field], kind):
            raise InvalidInputError(
                f"field {field!r} must be {kind.__name__ if isinstance(kind, type) else kind}",
                source=source,
                path=f"{where}.{field}",
            )
    if not all(isinstance(t, str) for t in doc["tags"]):
        raise InvalidInputError("tags must be strings", source=source, path=f"{where}.tags")
    if doc["name"] != key:
        raise InvalidInputError(
            f"name {doc['name']!r} differs from its key", source=source, path=f"{where}.name"
        )
    return ModelEntry.from_json_dict(doc)


@dataclass(frozen=True)
class Catalog:
    """Models by name, plus where they came from (for messages)."""

    models: Mapping[str, ModelEntry]
    source: str

    def __contains__(self, name: object) -> bool:
        return name in self.models

    def __len__(self) -> int:
        return len(self.models)

    def get(self, name: str) -> ModelEntry | None:
        return self.models.get(name)

    def subset(self, names: Iterable[str]) -> Catalog:
        """A catalog restricted to `names` (unknown names are ignored)."""
        wanted = set(names)
        return Catalog({k: v for k, v in self.models.items() if k in wanted}, self.source)


def catalog_from_configmap(doc: Any, source: str) -> Catalog:
    """Read a catalog from a parsed ConfigMap object."""
    if not isinstance(doc, dict) or doc.get("kind") != "ConfigMap":
        raise InvalidInputError("expected a ConfigMap with the model metadata", source=source)
    data = doc.get("data") or {}
    if not isinstance(data, dict):
        raise InvalidInputError("must be a mapping", source=source, path="data")
    models: dict[str, ModelEntry] = {}
    for key, value in data.items():
        if not valid_key(key):
            raise InvalidInputError(
                f"ConfigMap keys must match [-._a-zA-Z0-9]+ ({KEY_RULE} characters)",
                source=source, path=f"data.{str(key)[:80]}")
        if not isinstance(value, str):
            raise InvalidInputError("value must be a string", source=source, path=f"data.{key}")
        models[key] = parse_entry(key, value, source)
    return Catalog(models, source)


def load_catalog(path: Path | str) -> Catalog:
    """Load a catalog ConfigMap file."""
    from generator import yamlio

    source = str(path)
    return catalog_from_configmap(yamlio.load_one(yamlio.read_text(path), source), source)


SAMPLE_CATALOG = "sample-catalog.yaml"


def sample_catalog_text() -> str:
    """The embedded sample catalog, as shipped in the package."""
    from importlib import resources

    return resources.files("generator.data").joinpath(SAMPLE_CATALOG).read_text("utf-8")


def load_sample_catalog() -> Catalog:
    """The small catalog embedded in the package (used when a config names none)."""
    from generator import yamlio

    source = "<embedded sample catalog>"
    return catalog_from_configmap(yamlio.load_one(sample_catalog_text(), source), source)


def configmap(
    entries: Iterable[ModelEntry],
    *,
    name: str = DEFAULT_CONFIGMAP_NAME,
    namespace: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The metadata ConfigMap object, keys sorted."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(MANAGED_LABEL)
    if annotations:
        metadata["annotations"] = dict(annotations)
    ordered = sorted(entries, key=lambda e: e.name)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {e.name: e.to_json() for e in ordered},
    }


def configmap_yaml(entries: Iterable[ModelEntry], **kwargs: Any) -> str:
    """The metadata ConfigMap as canonical YAML text."""
    from generator import yamlio

    return yamlio.dump(configmap(entries, **kwargs))
