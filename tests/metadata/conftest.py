"""Fixtures for the metadata tests: loopback NGC servers and a fast `metadata generate`."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FAKE_KEY, Result, run_cli
from tests.ngc_server import NgcServer, snapshot_docs

# tiny backoffs and timeouts keep the fault tests fast
FAST = ["--retries", "3", "--backoff", "0.01", "--timeout", "2"]
KEY_ENV = {"NGC_API_KEY": FAKE_KEY}


@functools.cache
def _snapshot() -> tuple[dict[str, Any], ...]:
    return tuple(snapshot_docs())


def snapshot_entries() -> list[dict[str, Any]]:
    """A private copy of the 186 snapshot entries."""
    return copy.deepcopy(list(_snapshot()))


def entry(name: str, namespace: str = "nim/meta", tags: tuple[str, ...] = ("1.0.0", "latest"),
          latest: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    """A contract entry for small hand-made catalogs."""
    doc = {"name": name, "displayName": name.title(), "shortDescription": f"About {name}",
           "namespace": namespace, "tags": list(tags), "latestTag": latest,
           "updatedDate": "2025-01-02T03:04:05.678Z", "euRestricted": False}
    doc.update(extra)
    return doc


@pytest.fixture
def ngc() -> Iterator[NgcServer]:
    """The snapshot-backed server (all 186 models), pages of 50."""
    with NgcServer(snapshot_entries(), page_size=50) as server:
        server.eu_restricted = {f"{e['namespace']}/{e['name']}" for e in snapshot_entries()
                                if e["euRestricted"]}
        yield server


@pytest.fixture
def small() -> Iterator[NgcServer]:
    """A server with four models in three teams, pages of 3."""
    docs = [entry("alpha"), entry("beta", "nim/nvidia"), entry("gamma", "nim/mistralai"),
            entry("delta", "nim/nvidia", tags=("2.1.0", "2.0.0", "latest"), latest="2.1.0")]
    with NgcServer(docs, page_size=3) as server:
        yield server


Generate = Callable[..., Result]


@pytest.fixture
def generate(tmp_path: Path) -> Generate:
    """Run `metadata generate` against a server with fast retries; key from the env."""

    def run(server: NgcServer, *args: str, env: dict[str, str] | None = None,
            input: str | None = None) -> Result:
        argv = ["metadata", "generate", "--ngc-url", server.base_url, *FAST, *args]
        return run_cli(argv, env=KEY_ENV if env is None else env, input=input)

    return run
