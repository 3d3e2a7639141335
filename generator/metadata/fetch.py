"""One probe of NGC: validate the key, discover the models, fetch each one concurrently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.catalog import ModelEntry
from generator.errors import AuthenticationError, CheckFailedError, RemoteServiceError
from generator.metadata.discover import Resource, discover, name_collisions
from generator.metadata.extended import Details, details_from_repo
from generator.metadata.progress import Progress
from generator.ngc import NgcSettings

ProgressFactory = Callable[[int], Progress]


@dataclass(frozen=True)
class Failure:
    """A model that could not be fetched, and why."""

    resource: Resource
    reason: str


@dataclass
class Probe:
    """What one run found: entries, 451s, failures, counts and time."""

    entries: list[ModelEntry] = field(default_factory=list)
    details: list[Details] = field(default_factory=list)
    restricted: list[Resource] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    discovered: int = 0
    elapsed: float = 0.0
    caller: dict[str, Any] = field(default_factory=dict)


def _text(doc: dict[str, Any], name: str, fallback: str | None = None) -> str:
    value = doc.get(name, fallback)
    if value is None and fallback is not None:
        value = fallback
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} is missing or not a string")
    return value


def entry_from_repo(resource: Resource, doc: dict[str, Any]) -> ModelEntry:
    """The contract's eight fields from a repo answer; ValueError when it does not fit."""
    name = _text(doc, "name", resource.name)
    if name != resource.name:
        raise ValueError(f"repository name {name!r} differs from the catalog's")
    namespace = _text(doc, "namespace", resource.namespace)
    if namespace != resource.namespace:
        raise ValueError(f"namespace {namespace!r} differs from the catalog's")
    tags = doc.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        raise ValueError("field 'tags' is missing or not a list of strings")
    latest = _text(doc, "latestTag")
    if latest not in tags:
        raise ValueError(f"latestTag {latest!r} is not among the tags")
    return ModelEntry(
        name=name,
        display_name=_text(doc, "displayName", resource.display_name),
        short_description=_text(doc, "shortDescription", ""),
        namespace=namespace,
        tags=tuple(tags),
        latest_tag=latest,
        updated_date=_text(doc, "updatedDate"),
        eu_restricted=False,
    )


def _reason(exc: Exception, resource: Resource) -> str:
    """The error text without the resource id it starts with (the report names it)."""
    text = str(exc)
    prefix = f"{resource.resource_id}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def check_collisions(resources: Iterable[Resource]) -> None:
    """Refuse two teams publishing the same repository name (ConfigMap keys are bare names)."""
    clashes = name_collisions(resources)
    if clashes:
        text = "; ".join(f"{name}: {' and '.join(ids)}" for name, ids in clashes.items())
        raise CheckFailedError(
            f"the same repository name is published by more than one team ({text}); "
            "ConfigMap keys are bare names: exclude one with --exclude ORG/TEAM/NAME")


async def probe(settings: NgcSettings, key: str, *, progress: ProgressFactory,
                exclude: Iterable[str] = (),
                on_key_accepted: Callable[[], None] | None = None) -> Probe:
    """Validate the key, discover and fetch every model (451s and failures recorded).

    `on_key_accepted` is called once NGC has accepted the key, just before the catalog is
    requested: work worth doing only for a run that goes on, done while the run waits.
    """
    from generator.ngc.client import NgcClient, NotFound, Restricted, make_http_client
    from generator.transport.bounded import map_bounded

    started = time.monotonic()
    result = Probe()
    async with make_http_client(settings) as http:
        client = NgcClient(http, key, settings)
        result.caller = await client.caller_info()
        if on_key_accepted is not None:
            on_key_accepted()
        skip = set(exclude)
        resources = [r for r in await discover(client) if r.resource_id not in skip]
        check_collisions(resources)
        result.discovered = len(resources)
        bar = progress(len(resources))

        async def one(resource: Resource) -> None:
            try:
                doc = await client.repo(resource.resource_id)
                entry = entry_from_repo(resource, doc)
                result.entries.append(entry)
                result.details.append(details_from_repo(entry.name, entry.latest_tag, doc))
            except Restricted:
                result.restricted.append(resource)
            except NotFound as exc:
                result.failed.append(Failure(resource, _reason(exc, resource)))
            except ValueError as exc:
                result.failed.append(Failure(resource, f"unexpected answer: {exc}"))
            except AuthenticationError as exc:
                raise AuthenticationError(
                    f"{exc}, after it was accepted at the start of the run: it has probably "
                    "expired or been revoked") from None
            except RemoteServiceError as exc:
                result.failed.append(Failure(resource, _reason(exc, resource)))
            finally:
                bar.advance()

        try:
            await map_bounded(resources, one, settings.concurrency)
        finally:
            bar.close()
    result.entries.sort(key=lambda e: e.name)
    result.restricted.sort(key=lambda r: r.resource_id)
    result.failed.sort(key=lambda f: f.resource.resource_id)
    result.elapsed = time.monotonic() - started
    return result


def run_probe(settings: NgcSettings, key: str, *, progress: ProgressFactory,
              exclude: Iterable[str] = (),
              on_key_accepted: Callable[[], None] | None = None) -> Probe:
    """`probe` from synchronous code."""
    return asyncio.run(probe(settings, key, progress=progress, exclude=exclude,
                             on_key_accepted=on_key_accepted))


def refuse_failures(result: Probe, allow_partial: bool, what: str) -> None:
    """Refuse to write when models failed for a reason other than 451."""
    if not result.failed or allow_partial:
        return
    groups: dict[str, list[str]] = {}
    for failure in result.failed:
        groups.setdefault(failure.reason, []).append(failure.resource.resource_id)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    parts = []
    for reason, ids in ranked[:3]:
        more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        parts.append(f"{', '.join(ids[:3])}{more}: {reason}")
    if len(ranked) > 3:
        parts.append(f"{len(ranked) - 3} other reasons")
    raise RemoteServiceError(
        f"{len(result.failed)} of {result.discovered} models failed ({'; '.join(parts)}); "
        f"{what} not written (use --allow-partial to write without them)")
