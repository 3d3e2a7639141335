"""Resolving image tags to manifest digests through the registry API of nvcr.io.

Per repository: a pull token from `/proxy_auth` (basic auth `$oauthtoken:<key>`), then
`GET /v2/<repo>/manifests/<tag>` asking for an index or manifest list first; the digest is
the `Docker-Content-Digest` header. The key never leaves this module except in the
Authorization header, and it is registered for redaction by whoever read it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from generator.airgap.images import Image
from generator.airgap.lock import DIGEST
from generator.errors import AuthenticationError, RemoteServiceError

DEFAULT_REGISTRY = "https://nvcr.io"
ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
ACCEPTED = frozenset(t.strip() for t in ACCEPT.split(","))


@dataclass(frozen=True)
class RegistrySettings:
    """How to reach the registry: base URL, timeout, retries, parallel requests."""

    url: str = DEFAULT_REGISTRY
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 0.5
    jobs: int = 4


class _Retryable(Exception):
    """A 429, a 5xx or a transport failure: worth another attempt."""


def _check(response: httpx.Response, what: str) -> None:
    code = response.status_code
    if code in (401, 403):
        raise AuthenticationError(f"{what}: the registry rejected the NGC API key (HTTP {code})")
    if code == 429 or code >= 500:
        raise _Retryable(f"{what}: HTTP {code}")
    if code == 404:
        raise RemoteServiceError(f"{what}: not found in the registry (HTTP 404)")
    if code != 200:
        raise RemoteServiceError(f"{what}: unexpected HTTP {code}")


async def _request(client: httpx.AsyncClient, settings: RegistrySettings, what: str,
                   url: str, **kwargs: object) -> httpx.Response:
    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.attempts),
        wait=wait_exponential(multiplier=settings.backoff, max=8),
        retry=retry_if_exception(lambda e: isinstance(e, (_Retryable, httpx.TransportError))),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                response = await client.get(url, **kwargs)  # type: ignore[arg-type]
                _check(response, what)
                return response
    except _Retryable as exc:
        raise RemoteServiceError(f"{exc} after {settings.attempts} attempts") from None
    except httpx.TransportError as exc:
        raise RemoteServiceError(f"{what}: {type(exc).__name__} after {settings.attempts} "
                                 "attempts") from None
    raise AssertionError("unreachable")  # pragma: no cover


async def _token(client: httpx.AsyncClient, settings: RegistrySettings, key: str,
                 repository: str) -> str:
    params = {"account": "$oauthtoken", "offline_token": "true",
              "scope": f"repository:{repository}:pull"}
    response = await _request(client, settings, f"token for {repository}",
                              f"{settings.url}/proxy_auth", params=params,
                              auth=("$oauthtoken", key))
    try:
        token = response.json()["token"]
    except (ValueError, KeyError, TypeError):
        raise RemoteServiceError(f"token for {repository}: the answer has no token") from None
    if not isinstance(token, str) or not token:
        raise RemoteServiceError(f"token for {repository}: the answer has no token")
    return token


async def _digest(client: httpx.AsyncClient, settings: RegistrySettings, key: str,
                  image: Image) -> str:
    token = await _token(client, settings, key, image.repository)
    response = await _request(
        client, settings, image.ref,
        f"{settings.url}/v2/{image.repository}/manifests/{image.tag}",
        headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT},
    )
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media_type not in ACCEPTED:
        raise RemoteServiceError(f"{image.ref}: unexpected manifest type {media_type!r}")
    digest = response.headers.get("Docker-Content-Digest") or \
        "sha256:" + hashlib.sha256(response.content).hexdigest()
    if not DIGEST.fullmatch(digest):
        raise RemoteServiceError(f"{image.ref}: the registry sent a malformed digest")
    return digest


async def _resolve_all(images: Sequence[Image], key: str,
                       settings: RegistrySettings) -> dict[str, str]:
    limit = asyncio.Semaphore(max(1, settings.jobs))
    timeout = httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout))

    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        async def one(image: Image) -> tuple[str, str]:
            async with limit:
                return image.ref, await _digest(client, settings, key, image)

        pairs = await asyncio.gather(*(one(image) for image in images))
    return dict(pairs)


def resolve_digests(images: Sequence[Image], key: str,
                    settings: RegistrySettings | None = None) -> dict[str, str]:
    """Image by tag -> manifest digest, for every image."""
    return asyncio.run(_resolve_all(images, key, settings or RegistrySettings()))
