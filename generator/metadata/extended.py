"""The extended model details: a side file next to the metadata ConfigMap.

The shipped ConfigMap keeps exactly its eight contract fields; what else NGC's repo answer
says about a model goes here, per model: whether it is public and anonymous pulls are allowed
(`isPublic`, `canGuestPull`, `canPublicList`, `accessType`), signed tags (`hasSignedTag`), the
latest image's size (`latestImageSize`) and per-architecture digests and sizes
(`latestArchitectureVariants`), and multinode support (`isMultinodeEnabled`). A field NGC did
not send is null: unknown, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InvalidInputError

API_VERSION = "nim-gitops.opendatahub.io/v1alpha1"
KIND = "NimModelDetails"
_DIGEST_PREFIX = "sha256:"


@dataclass(frozen=True)
class Variant:
    """One architecture of the latest image."""

    digest: str
    size: int | None = None


@dataclass(frozen=True)
class Details:
    """What the side file says about one model."""

    name: str
    latest_tag: str
    public: bool | None = None
    guest_pull: bool | None = None
    public_list: bool | None = None
    access_type: str | None = None
    signed_tags: bool | None = None
    image_size: int | None = None
    variants: Mapping[str, Variant] = field(default_factory=dict)
    multinode: bool | None = None

    @property
    def anonymous_pull(self) -> bool:
        """NGC says anyone may pull the image: `canGuestPull`, else `isPublic` when the
        answer had no `canGuestPull`."""
        return self.guest_pull if self.guest_pull is not None else self.public is True

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "latestTag": self.latest_tag,
            "public": self.public,
            "guestPull": self.guest_pull,
            "publicList": self.public_list,
            "accessType": self.access_type,
            "signedTags": self.signed_tags,
            "imageSize": self.image_size,
            "architectures": {arch: {"digest": v.digest, "size": v.size}
                              for arch, v in sorted(self.variants.items())},
            "multinode": self.multinode,
        }


def _flag(doc: Mapping[str, Any], key: str) -> bool | None:
    value = doc.get(key)
    return value if isinstance(value, bool) else None


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def details_from_repo(name: str, latest_tag: str, doc: Mapping[str, Any]) -> Details:
    """The details of one model from its NGC repo answer (tolerant: odd fields are unknown)."""
    variants: dict[str, Variant] = {}
    raw = doc.get("latestArchitectureVariants")
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, dict):
            continue
        arch, digest = item.get("architecture"), item.get("digest")
        if isinstance(arch, str) and isinstance(digest, str) and \
                digest.startswith(_DIGEST_PREFIX):
            variants[arch] = Variant(digest, _size(item.get("compressedSize")))
    access = doc.get("accessType")
    return Details(
        name=name, latest_tag=latest_tag,
        public=_flag(doc, "isPublic"), guest_pull=_flag(doc, "canGuestPull"),
        public_list=_flag(doc, "canPublicList"),
        access_type=access if isinstance(access, str) else None,
        signed_tags=_flag(doc, "hasSignedTag"), image_size=_size(doc.get("latestImageSize")),
        variants=variants, multinode=_flag(doc, "isMultinodeEnabled"),
    )


def details_json(details: Iterable[Details]) -> str:
    """The side file's text: deterministic (models by name, keys in a fixed order)."""
    models = {d.name: d.to_json_dict() for d in sorted(details, key=lambda d: d.name)}
    return json.dumps({"apiVersion": API_VERSION, "kind": KIND, "models": models},
                      indent=2, ensure_ascii=False) + "\n"


def _bad(source: str, path: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, source=source, path=path)


def _opt(value: Any, kind: type, source: str, path: str) -> Any:
    if value is not None and (not isinstance(value, kind) or
                              (kind is int and isinstance(value, bool))):
        raise _bad(source, path, f"must be {kind.__name__} or null")
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise _bad(source, path, "must not be negative")
    return value


def parse_details(data: Any, source: str) -> dict[str, Details]:
    """Check a loaded side file and return its models by name."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InvalidInputError(f"not a {KIND} file (from `metadata generate --extended`)",
                                source=source)
    models = data.get("models")
    if not isinstance(models, dict):
        raise _bad(source, "models", "must be a mapping of model names")
    out: dict[str, Details] = {}
    for name, raw in models.items():
        where = f"models.{name}"
        if not isinstance(raw, dict):
            raise _bad(source, where, "must be a mapping")
        tag = raw.get("latestTag")
        if not isinstance(tag, str) or not tag:
            raise _bad(source, f"{where}.latestTag", "must be a non-empty string")
        arches = raw.get("architectures", {})
        if not isinstance(arches, dict):
            raise _bad(source, f"{where}.architectures", "must be a mapping")
        variants = {}
        for arch, v in arches.items():
            digest = v.get("digest") if isinstance(v, dict) else None
            if not isinstance(digest, str) or not digest.startswith(_DIGEST_PREFIX):
                raise _bad(source, f"{where}.architectures.{arch}.digest",
                           "must be a sha256: digest")
            variants[arch] = Variant(digest, _opt(v.get("size"), int, source,
                                                  f"{where}.architectures.{arch}.size"))
        out[name] = Details(
            name=name, latest_tag=tag,
            public=_opt(raw.get("public"), bool, source, f"{where}.public"),
            guest_pull=_opt(raw.get("guestPull"), bool, source, f"{where}.guestPull"),
            public_list=_opt(raw.get("publicList"), bool, source, f"{where}.publicList"),
            access_type=_opt(raw.get("accessType"), str, source, f"{where}.accessType"),
            signed_tags=_opt(raw.get("signedTags"), bool, source, f"{where}.signedTags"),
            image_size=_opt(raw.get("imageSize"), int, source, f"{where}.imageSize"),
            variants=variants,
            multinode=_opt(raw.get("multinode"), bool, source, f"{where}.multinode"),
        )
    return out


def load_details(path: Path | str) -> dict[str, Details]:
    """Read and check a side file (JSON, which is also YAML)."""
    from generator import yamlio

    source = str(path)
    return parse_details(yamlio.load_one(yamlio.read_text(Path(path)), source), source)


def compare_details(old: Mapping[str, Details],
                    new: Mapping[str, Details]) -> list[dict[str, Any]]:
    """Per model present in both, the fields that differ: {name, field: {old, new}}."""
    changes = []
    for name in sorted(set(old) & set(new)):
        a, b = old[name].to_json_dict(), new[name].to_json_dict()
        fields = {k: {"old": a[k], "new": b[k]} for k in a if a[k] != b[k]}
        if fields:
            changes.append({"name": name, **fields})
    return changes
