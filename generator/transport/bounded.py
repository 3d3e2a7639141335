"""Running a worker over many items with a bound on how many run at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def map_bounded(items: Sequence[T], worker: Callable[[T], Awaitable[R]],
                      concurrency: int) -> list[R]:
    """`worker` over `items` with at most `concurrency` running; results in input order.

    Concurrency 1 runs one at a time without tasks. An exception from a worker cancels the
    others and propagates.
    """
    if concurrency <= 1:
        return [await worker(item) for item in items]
    gate = asyncio.Semaphore(concurrency)

    async def bounded(item: T) -> R:
        async with gate:
            return await worker(item)

    tasks = [asyncio.ensure_future(bounded(item)) for item in items]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
