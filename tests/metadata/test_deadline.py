"""The NGC client's deadline on a whole request, against the double's `trickle` fault (one
byte at a time: httpx's per-read timeout never fires, `transport.guard.within` does)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import FAKE_KEY, run_cli
from tests.ngc_server import Fault, NgcServer

KEY_ENV = {"NGC_API_KEY": FAKE_KEY}  # an obviously fake key (tests.helpers)
CALLER = r"/v3/keys/get-caller-info"


def test_a_trickle_once_is_cut_off_and_retried() -> None:
    with NgcServer() as ngc:
        fault = ngc.fault(CALLER, Fault(kind="trickle", delay=0.1, times=1))
        result = run_cli(["key", "validate", "--ngc-url", ngc.base_url, "--timeout", "1",
                          "--retries", "1", "--backoff", "0.01"], env=KEY_ENV)
        assert result.code == 0, result
        assert fault.fired == 1 and ngc.count(CALLER) == 2


def test_a_trickling_repo_endpoint_fails_the_run_at_the_deadline(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    with NgcServer.from_snapshot() as ngc:
        ngc.fault("/repos/", Fault(kind="trickle", delay=0.1))
        started = time.monotonic()
        result = run_cli(["metadata", "generate", "--ngc-url", ngc.base_url, "-o", str(out),
                          "--timeout", "1", "--retries", "0"], env=KEY_ENV)
    assert time.monotonic() - started < 10
    assert result.code == 3, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "timed out after 1s" in lines[0], result.err
    assert FAKE_KEY not in result.out + result.err
    assert not out.exists()


def test_an_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="trickel"):
        Fault(kind="trickel")
