"""Model discovery: page through NGC's container catalog and keep the models with a tag."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from generator.errors import RemoteServiceError
from generator.ngc.client import NgcClient

GROUP = "CONTAINER"
MAX_PAGES = 10_000
PASSES = 3


@dataclass(frozen=True)
class Resource:
    """One catalog resource: `resourceId` is `org/team/name` (or `org/name`)."""

    resource_id: str
    name: str
    display_name: str

    @property
    def org(self) -> str:
        return self.resource_id.split("/")[0]

    @property
    def team(self) -> str:
        parts = self.resource_id.split("/")
        return parts[1] if len(parts) == 3 else ""

    @property
    def namespace(self) -> str:
        """`org/team` (or `org`): the image namespace under nvcr.io."""
        return self.resource_id.rsplit("/", 1)[0]


def _attribute(resource: dict[str, Any], key: str) -> Any:
    for attr in resource.get("attributes") or []:
        if isinstance(attr, dict) and attr.get("key") == key:
            return attr.get("value")
    return None


def parse_resource(raw: Any) -> Resource | None:
    """A catalog resource that has a `latestTag` attribute, else None."""
    if not isinstance(raw, dict) or not _attribute(raw, "latestTag"):
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        return None
    rid = raw.get("resourceId")
    if not isinstance(rid, str) or not rid:
        parts = [raw.get("orgName"), raw.get("teamName"), name]
        rid = "/".join(p for p in parts if isinstance(p, str) and p)
    if rid.rsplit("/", 1)[-1] != name or not 2 <= len(rid.split("/")) <= 3:
        return None
    display = raw.get("displayName")
    return Resource(rid, name, display if isinstance(display, str) else name)


def page_resources(page: dict[str, Any]) -> list[Resource]:
    """The resources with a latest tag in the `CONTAINER` group of one catalog page."""
    found: list[Resource] = []
    for group in page.get("results") or []:
        if isinstance(group, dict) and group.get("groupValue") == GROUP:
            for raw in group.get("resources") or []:
                resource = parse_resource(raw)
                if resource is not None:
                    found.append(resource)
    return found


class CatalogChanged(RemoteServiceError):
    """The catalog changed while its pages were read (offset paging then skips or repeats)."""


PageHandler = Callable[[list[Resource]], None]


def _page_numbers(page: dict[str, Any], asked: int) -> tuple[int, int]:
    params = page.get("params")
    number = params.get("page") if isinstance(params, dict) else None
    total = page.get("resultPageTotal")
    if not isinstance(number, int) or not isinstance(total, int):
        raise RemoteServiceError(
            f"catalog page {asked}: unexpected answer (no params.page or resultPageTotal)")
    if number != asked:
        raise RemoteServiceError(f"catalog page {asked}: NGC answered with page {number}")
    return number, total


def _counts(page: dict[str, Any], asked: int) -> tuple[int, Any]:
    """A page's (page total, resource total): the same on every page of one catalog."""
    return _page_numbers(page, asked)[1], page.get("resultTotal")


def _changed(first: tuple[int, Any], counts: tuple[int, Any]) -> CatalogChanged:
    return CatalogChanged(f"the catalog changed while it was read ({first[0]} pages and "
                          f"{first[1]} resources, then {counts[0]} and {counts[1]})")


async def _read_catalog(client: NgcClient, on_page: PageHandler) -> list[Resource]:
    """One pass over the pages: the first, then every other one at once (the first gives
    their number); `CatalogChanged` when the totals move or pages overlap.

    Each page's resources go to `on_page` as soon as that page is in and agrees with the
    first. Failures are raised in page order once every page has answered, so that the same
    faults give the same error whichever page answers first.
    """
    first_page = await client.catalog_page(0)
    first = _counts(first_page, 0)
    if first[0] > MAX_PAGES:
        raise RemoteServiceError(f"the catalog has more than {MAX_PAGES} pages")

    out: set[int] = set()
    all_out = asyncio.Event()

    def gone(asked: int) -> None:
        out.add(asked)
        if len(out) == first[0] - 1:
            all_out.set()

    async def later(asked: int) -> list[Resource]:
        try:
            page = await client.catalog_page(asked, on_sent=lambda: gone(asked))
        finally:
            gone(asked)
        counts = _counts(page, asked)
        if counts != first:
            raise _changed(first, counts)
        found = page_resources(page)
        on_page(found)
        return found

    # the first page's models wait until the other pages' requests are out (or have ended):
    # started together, the CPU that sets up fifty requests held those up by 15 to 40 ms, and
    # the last round trip waits for their answers
    pending = [asyncio.ensure_future(later(asked)) for asked in range(1, first[0])]
    try:
        if pending:
            await all_out.wait()
        on_page(page_resources(first_page))
        answers = await asyncio.gather(*pending, return_exceptions=True)
    finally:
        for task in pending:
            task.cancel()
    resources: dict[str, Resource] = {r.resource_id: r for r in page_resources(first_page)}
    for number, answer in enumerate(answers, start=1):
        if isinstance(answer, BaseException):
            raise answer
        found = {r.resource_id: r for r in answer}
        overlap = sorted(set(found) & set(resources))
        if overlap:  # an entry moved to a later page: something was inserted before it
            raise CatalogChanged(f"catalog page {number} repeats {overlap[0]} from an "
                                 "earlier page: the catalog changed while it was read")
        resources.update(found)
    return sorted(resources.values(), key=lambda r: r.resource_id)


def _ignore(resources: list[Resource]) -> None:
    """A page handler that does nothing."""


async def discover(client: NgcClient, passes: int = PASSES,
                   on_page: PageHandler = _ignore) -> list[Resource]:
    """Every catalog resource with a latest tag: the first page, then pages 1 to
    `resultPageTotal - 1` all at once; `on_page` sees each page's resources as they come
    (the first page's once the requests for the others are out).

    Repeats within a page are dropped. When the catalog changes while it is read (page or
    resource totals move, or a later page repeats an earlier one), it is read again from the
    first page, up to `passes` times in all, then refused rather than half-read.
    """
    for attempt in range(1, passes + 1):
        try:
            return await _read_catalog(client, on_page)
        except CatalogChanged as exc:
            if attempt == passes:
                raise CatalogChanged(f"{exc}; it kept changing over {passes} reads, "
                                     "run again later") from None
    raise AssertionError("unreachable")  # pragma: no cover


def name_collisions(resources: Iterable[Resource]) -> dict[str, list[str]]:
    """Repository names published by more than one team: name -> resource ids."""
    by_name: dict[str, list[str]] = {}
    for resource in resources:
        by_name.setdefault(resource.name, []).append(resource.resource_id)
    return {name: sorted(ids) for name, ids in sorted(by_name.items()) if len(ids) > 1}
