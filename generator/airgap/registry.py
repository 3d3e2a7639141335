"""Resolving image tags to manifest digests through the registry API of nvcr.io.

Per repository: a pull token from `/proxy_auth` (basic auth `$oauthtoken:<key>`), then
`GET /v2/<repo>/manifests/<tag>` asking for an index or manifest list first; the digest is
the sha256 of the manifest received, which the `Docker-Content-Digest` header, when sent, must
match. Requests are retried as `transport.retry` says, the same way as NGC's, and each answer
is read within `ANSWER_CAP` (`transport.bounded.fetch`). The key never leaves this module
except in the Authorization header, and it is registered for redaction by whoever read it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from generator.airgap.images import Image
from generator.airgap.lock import is_digest
from generator.errors import RemoteServiceError
from generator.transport.answer import Statuses
from generator.transport.bounded import Cap, MiB, fetch, map_bounded
from generator.transport.clients import build_clients
from generator.transport.retry import send

DEFAULT_REGISTRY = "https://nvcr.io"
ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
ACCEPTED = frozenset(t.strip() for t in ACCEPT.split(","))
# a manifest or index is a few KB; registries and containerd refuse manifests over 4 MiB
ANSWER_CAP = Cap(compressed=4 * MiB, decoded=4 * MiB)


@dataclass(frozen=True)
class RegistrySettings:
    """How to reach the registry: base URL (checked by `transport.guard.check_url`),
    timeouts, retries and parallel requests."""

    url: str = DEFAULT_REGISTRY
    timeout: float = 30.0
    connect_timeout: float = 10.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    jobs: int = 4


def _not_found(what: str, code: int) -> Exception:
    return RemoteServiceError(f"{what}: not found in the registry (HTTP {code})")


# a token request sends the key; a manifest request sends only the pull token for its image
TOKEN = Statuses("the registry", lambda what, code: (
    f"{what}: the registry rejected the NGC API key (HTTP {code})"), _not_found)
MANIFEST = Statuses("the registry", lambda what, code: (
    f"{what}: the registry refused the pull token it issued for this image (HTTP {code}); "
    "the key may lack access to it"), _not_found)


def _token_of(response: httpx.Response, what: str) -> str:
    data = TOKEN.json(response, what)
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise RemoteServiceError(f"{what}: the answer has no token")
    if not all("!" <= c <= "~" for c in token):  # it goes into a header as is
        raise RemoteServiceError(f"{what}: the registry issued a token that is not printable "
                                 "ASCII")
    return token


async def _token(client: httpx.AsyncClient, settings: RegistrySettings, key: str,
                 repository: str) -> str:
    params = {"account": "$oauthtoken", "offline_token": "true",
              "scope": f"repository:{repository}:pull"}
    what = f"token for {repository}"
    return await send(settings, what, settings.url,
                      lambda: fetch(client, client.build_request(
                          "GET", f"{settings.url}/proxy_auth", params=params),
                          ANSWER_CAP, auth=("$oauthtoken", key)),
                      lambda response: _token_of(response, what))


def manifest_digest(response: httpx.Response, ref: str) -> str:
    """The digest of the manifest in a 200 `response`: the sha256 of the body received, which
    a `Docker-Content-Digest` header, when sent, must name; any other header is refused."""
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media_type not in ACCEPTED:
        raise RemoteServiceError(f"{ref}: unexpected manifest type {media_type!r}")
    received = "sha256:" + hashlib.sha256(response.content).hexdigest()
    claimed = response.headers.get("Docker-Content-Digest")
    if not claimed:
        return received
    if not is_digest(claimed):
        raise RemoteServiceError(f"{ref}: the registry sent a malformed Docker-Content-Digest "
                                 "header (not sha256:<64 hex digits>)")
    if claimed != received:
        raise RemoteServiceError(f"{ref}: the registry's Docker-Content-Digest {claimed} is not "
                                 f"the digest of the manifest it sent ({received})")
    return received


async def _digest(client: httpx.AsyncClient, settings: RegistrySettings, key: str,
                  image: Image) -> str:
    token = await _token(client, settings, key, image.repository)
    url = f"{settings.url}/v2/{image.repository}/manifests/{image.tag}"
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    return await send(settings, image.ref, settings.url,
                      lambda: fetch(client, client.build_request("GET", url, headers=headers),
                                    ANSWER_CAP),
                      lambda answer: manifest_digest(MANIFEST.check(answer, image.ref),
                                                     image.ref))


async def _resolve_all(images: Sequence[Image], key: str,
                       settings: RegistrySettings) -> dict[str, str]:
    jobs = max(1, settings.jobs)
    client, = build_clients(settings.url, settings.timeout, settings.connect_timeout, [jobs],
                            follow_redirects=True)
    async with client:
        async def one(image: Image) -> tuple[str, str]:
            return image.ref, await _digest(client, settings, key, image)

        # one failure cancels the requests still running: the run fails as a whole
        pairs = await map_bounded(images, one, jobs)
    return dict(pairs)


def resolve_digests(images: Sequence[Image], key: str,
                    settings: RegistrySettings | None = None) -> dict[str, str]:
    """Image by tag -> manifest digest, for every image."""
    return asyncio.run(_resolve_all(images, key, settings or RegistrySettings()))
