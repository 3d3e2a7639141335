"""NVIDIA's NGC API: settings here (cheap to import), the httpx client in `ngc.client`."""

from __future__ import annotations

from dataclasses import dataclass

from generator.keys import DEFAULT_NGC_URL

# 144 requests in flight: the 186-model catalog in three round trips in all, whether it comes
# in one page (key check and page; 144 models; the other 42) or, as in the benchmark, in four
# of 50 (key check and page 0; pages 1-3 and page 0's 50 models; the other 136, which 96 could
# not take at once). 192 would take a one-page catalog in two, at a third more connections;
# measured against 96, 128 and 192 in docs/performance.md. NGC's 429s, if any, are honoured,
# and `--jobs` lowers it
DEFAULT_CONCURRENCY = 144


@dataclass(frozen=True)
class NgcSettings:
    """How to reach NGC: base URL, timeouts, retries and parallel requests."""

    url: str = DEFAULT_NGC_URL
    timeout: float = 30.0
    connect_timeout: float = 10.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    concurrency: int = DEFAULT_CONCURRENCY
    page_size: int = 1000
    org: str = "nim"

    @property
    def base(self) -> str:
        """The base URL without a trailing slash."""
        return self.url.rstrip("/")
