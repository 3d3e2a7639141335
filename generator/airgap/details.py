"""What the extended model details tell a mirror: image sizes and digests, without a registry.

The details describe each model's latest tag only (NGC's `latestImageSize` and
`latestArchitectureVariants`), per architecture: an image at another tag is of unknown size
and still needs the registry for its digest. A digest taken from here is the architecture's
image manifest, not the multi-architecture index, so it pins that one architecture, and it
must have a digest's shape (`lock.DIGEST`) before it goes into the lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from generator.airgap.images import Image
from generator.airgap.lock import is_digest
from generator.errors import InvalidInputError
from generator.metadata.extended import Details, Variant

DEFAULT_ARCH = "amd64"
SOURCE = "the extended details (--extended or platform.catalog.extended)"


def _variant(image: Image, details: Mapping[str, Details], arch: str) -> Variant | None:
    found = details.get(image.repository.rsplit("/", 1)[-1])
    if found is None or found.latest_tag != image.tag:
        return None
    return found.variants.get(arch)


@dataclass(frozen=True)
class Sizes:
    """The bytes to mirror: the total of the images whose size is known, and the others."""

    total: int
    unknown: tuple[Image, ...]

    def line(self, count: int, arch: str) -> str:
        gib = self.total / 2**30
        text = f"{count} images, {self.total} bytes ({gib:.1f} GiB compressed, {arch}) to mirror"
        if self.unknown:
            text += f"; {len(self.unknown)} of unknown size (not the latest tag): " + \
                ", ".join(i.ref for i in self.unknown)
        return text


def image_sizes(images: Sequence[Image], details: Mapping[str, Details],
                arch: str = DEFAULT_ARCH) -> Sizes:
    """The compressed size of each image for `arch`, summed."""
    total, unknown = 0, []
    for image in images:
        variant = _variant(image, details, arch)
        if variant is None or variant.size is None:
            unknown.append(image)
        else:
            total += variant.size
    return Sizes(total, tuple(unknown))


def _checked(image: Image, variant: Variant, arch: str, source: str) -> str:
    """The variant's digest, or an `InvalidInputError` (exit 1) naming its field."""
    if not is_digest(variant.digest):
        model = image.repository.rsplit("/", 1)[-1]
        raise InvalidInputError("not a sha256 digest (sha256:<64 hex digits>)", source=source,
                                path=f"models.{model}.architectures.{arch}.digest")
    return variant.digest


def details_digests(images: Sequence[Image], details: Mapping[str, Details],
                    arch: str = DEFAULT_ARCH, source: str = SOURCE,
                    ) -> tuple[dict[str, str], list[Image]]:
    """Digests of `arch` for the images the details cover, and the images they do not; a
    digest without a digest's shape is an error naming `source` (the details' file) and its
    field."""
    found: dict[str, str] = {}
    missing: list[Image] = []
    for image in images:
        variant = _variant(image, details, arch)
        if variant is None:
            missing.append(image)
        else:
            found[image.ref] = _checked(image, variant, arch, source)
    return found, missing
