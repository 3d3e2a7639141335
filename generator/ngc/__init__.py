"""NVIDIA's NGC API: settings here (cheap to import), the httpx client in `ngc.client`."""

from __future__ import annotations

from dataclasses import dataclass

from generator.keys import DEFAULT_NGC_URL

# 96 requests in flight: the 186-model catalog in two rounds after the key check and the
# catalog page (64 took three, 32 six); measured against 64 and 128 in docs/performance.md.
# NGC's 429s, if any, are honoured, and `--jobs` lowers it
DEFAULT_CONCURRENCY = 96


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
