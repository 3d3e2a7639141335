"""One probe of NGC: validate the key, discover the models, fetch each one concurrently,
with the key check, the catalog pages and the models overlapping as far as the key allows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from generator.catalog import ModelEntry
from generator.errors import AuthenticationError, CheckFailedError, RemoteServiceError
from generator.metadata.discover import Resource, discover, name_collisions
from generator.metadata.extended import Details, details_from_repo
from generator.metadata.progress import Progress
from generator.ngc import NgcSettings

if TYPE_CHECKING:
    from generator.ngc.client import NgcClient

ProgressFactory = Callable[[int], Progress]
T = TypeVar("T")


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


@dataclass(frozen=True)
class _Outcome:
    """What one repository request gave: an entry and its details, a 451 or a failure."""

    entry: ModelEntry | None = None
    details: Details | None = None
    restricted: bool = False
    failure: str | None = None


class _Fetches:
    """One repository request per catalog resource, started as soon as its page is in and
    sent once the key has been accepted (`open`): until then none carries the key.

    The first error that ends the run (a key refused after it was accepted, a defect) is
    kept in `error` and ends `until`. Finished requests count on the progress bar once the
    final catalog, and so the total, is known (`track`).
    """

    def __init__(self, client: NgcClient) -> None:
        self.client = client
        self.accepted = asyncio.Event()
        self.stopped = asyncio.Event()
        self.error: BaseException | None = None
        self.tasks: dict[Resource, asyncio.Task[_Outcome]] = {}
        self.bar: Progress | None = None
        self.counted: set[Resource] = set()

    def start(self, resources: Iterable[Resource]) -> None:
        """Start the request of each resource not yet started (a catalog read again after
        a change lists most resources again)."""
        for resource in resources:
            if resource not in self.tasks:
                task = asyncio.ensure_future(self._one(resource))
                task.add_done_callback(self._watch)
                self.tasks[resource] = task

    def open(self) -> None:
        """The key is accepted: requests that carry it may go."""
        self.accepted.set()

    def track(self, resources: list[Resource], bar: Progress) -> None:
        """Count `resources` (the final catalog) on `bar`, those finished so far at once."""
        self.bar, self.counted = bar, set(resources)
        finished = sum(1 for r in resources if self.tasks[r].done())
        if finished:
            bar.advance(finished)

    async def until(self, awaitable: Awaitable[T]) -> T:
        """`awaitable`'s result, unless a request ends the run first (its error raised)."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self.stopped.wait())
        try:
            await asyncio.wait((work, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not work.done():
                work.cancel()
            elif not work.cancelled():
                work.exception()  # seen here: an error is raised once, below or by result()
        if self.error is not None:
            raise self.error
        return work.result()

    async def close(self) -> None:
        """Cancel what is still running (the run failed, or a resource left the catalog)."""
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    def _watch(self, task: asyncio.Task[_Outcome]) -> None:
        if not task.cancelled() and task.exception() is not None and self.error is None:
            self.error = task.exception()
            self.stopped.set()

    async def _one(self, resource: Resource) -> _Outcome:
        from generator.ngc.client import NotFound, Restricted

        await self.accepted.wait()
        try:
            doc = await self.client.repo(resource.resource_id)
            entry = entry_from_repo(resource, doc)
            return _Outcome(entry, details_from_repo(entry.name, entry.latest_tag, doc))
        except Restricted:
            return _Outcome(restricted=True)
        except NotFound as exc:
            return _Outcome(failure=_reason(exc, resource))
        except ValueError as exc:
            return _Outcome(failure=f"unexpected answer: {exc}")
        except AuthenticationError as exc:
            raise AuthenticationError(
                f"{exc}, after it was accepted at the start of the run: it has probably "
                "expired or been revoked") from None
        except RemoteServiceError as exc:
            return _Outcome(failure=_reason(exc, resource))
        finally:
            if self.bar is not None and resource in self.counted:
                self.bar.advance()


def _collect(result: Probe, resources: list[Resource], outcomes: list[_Outcome]) -> None:
    """Sort the outcomes into `result`, in an order that does not depend on timing."""
    for resource, outcome in zip(resources, outcomes, strict=True):
        if outcome.entry is not None and outcome.details is not None:
            result.entries.append(outcome.entry)
            result.details.append(outcome.details)
        elif outcome.restricted:
            result.restricted.append(resource)
        else:
            result.failed.append(Failure(resource, outcome.failure or "no answer"))
    result.entries.sort(key=lambda e: e.name)
    result.details.sort(key=lambda d: d.name)
    result.restricted.sort(key=lambda r: r.resource_id)
    result.failed.sort(key=lambda f: f.resource.resource_id)


async def probe(settings: NgcSettings, key: str, *, progress: ProgressFactory,
                exclude: Iterable[str] = (),
                while_waiting: Callable[[], None] | None = None) -> Probe:
    """Validate the key, discover and fetch every model (451s and failures recorded).

    The key check and the catalog (whose requests do not carry the key) start together; each
    model's request starts once its catalog page is in and goes out once the key is
    accepted. A refused key is raised before anything else is looked at, and no request that
    carries the key has been sent by then. `while_waiting` is called once the key check has
    gone out, before it is answered: the one stretch of a run with nothing else to do (work
    in a thread any earlier slows the first requests, any later holds up the event loop
    while answers pour in, GIL against I/O: see docs/performance.md), and so is the making of
    the HTTP clients beyond the first. It may be called again if the key check is sent
    again.
    """
    from generator.ngc.client import NgcClient, make_http_client

    started = time.monotonic()
    result = Probe()
    skip = set(exclude)
    async with make_http_client(settings) as http:
        client = NgcClient(http, key, settings)
        fetches = _Fetches(client)

        def sent() -> None:
            if while_waiting is not None:
                while_waiting()
            http.complete()

        # the first page is asked for first: it has normally gone out by the time the key
        # check has, when the clients the later requests need are made (`sent`)
        catalog = asyncio.ensure_future(discover(client, on_page=lambda found: fetches.start(
            r for r in found if r.resource_id not in skip)))
        key_check = asyncio.ensure_future(client.caller_info(on_sent=sent))
        bar: Progress | None = None
        try:
            result.caller = await key_check
            fetches.open()
            resources = [r for r in await fetches.until(catalog) if r.resource_id not in skip]
            check_collisions(resources)
            result.discovered = len(resources)
            fetches.start(resources)
            bar = progress(len(resources))
            fetches.track(resources, bar)
            outcomes = await fetches.until(
                asyncio.gather(*(fetches.tasks[r] for r in resources)))
        finally:
            for task in (key_check, catalog):
                task.cancel()
            await asyncio.gather(key_check, catalog, return_exceptions=True)
            await fetches.close()
            if bar is not None:
                bar.close()
    _collect(result, resources, outcomes)
    result.elapsed = time.monotonic() - started
    return result


def run_probe(settings: NgcSettings, key: str, *, progress: ProgressFactory,
              exclude: Iterable[str] = (),
              while_waiting: Callable[[], None] | None = None) -> Probe:
    """`probe` from synchronous code."""
    return asyncio.run(probe(settings, key, progress=progress, exclude=exclude,
                             while_waiting=while_waiting))


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
