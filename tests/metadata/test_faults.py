"""Transient faults are retried; permanent ones exit 3 and leave every file untouched."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator.catalog import load_catalog
from tests.metadata.conftest import Generate, entry
from tests.ngc_server import Fault, NgcServer

REPO = r"/repos/beta"


@pytest.mark.parametrize("fault", [
    Fault(status=503, times=2),
    Fault(status=500, times=3),
    Fault(status=429, times=2, retry_after="0"),
    Fault(status=429, times=1),
    Fault(kind="reset", times=2),
    Fault(kind="malformed", times=2),
    Fault(kind="truncated", times=1),
    Fault(kind="slow", delay=2.5, times=1),
], ids=["503x2", "500x3", "429-retry-after", "429-bare", "reset", "malformed", "truncated",
        "timeout"])
def test_transient_faults_are_retried(small: NgcServer, generate: Generate, tmp_path: Path,
                                      fault: Fault) -> None:
    small.fault(REPO, fault)
    out = tmp_path / "out.yaml"
    extra = ["--timeout", "0.5"] if fault.kind == "slow" else []
    result = generate(small, "-o", str(out), *extra)
    assert result.code == 0, result.err
    assert fault.fired == fault.times
    assert small.count(REPO) == fault.times + 1  # type: ignore[operator]
    assert load_catalog(out).models["beta"].namespace == "nim/nvidia"


def test_faults_on_catalog_and_key_check_are_retried(small: NgcServer, generate: Generate,
                                                     tmp_path: Path) -> None:
    small.fault(r"get-caller-info", status=502, times=1)
    small.fault(r'"page":1', status=503, times=2)
    assert generate(small, "-o", str(tmp_path / "out.yaml")).code == 0
    assert small.count(r'"page":1') == 3


def test_retry_after_is_honoured(small: NgcServer, generate: Generate, tmp_path: Path) -> None:
    small.fault(REPO, status=429, times=1, retry_after="1")
    started = time.monotonic()
    assert generate(small, "-o", str(tmp_path / "out.yaml")).code == 0
    assert time.monotonic() - started >= 1.0


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    path = tmp_path / "out.yaml"
    path.write_text("previous content, must survive\n")
    return path


@pytest.mark.parametrize(("pattern", "fault", "message"), [
    (REPO, Fault(status=503), "HTTP 503"),
    (REPO, Fault(kind="reset"), "connection failed"),
    (REPO, Fault(kind="malformed"), "not valid JSON"),
    (REPO, Fault(kind="slow", delay=1.0), "timed out"),
    (REPO, Fault(status=404), "not found"),
    (r'"page":1', Fault(status=404), "catalog page 1"),
    (r'"page":1', Fault(kind="body", body={"resultPageTotal": 5, "params": {"page": 1},
                                           "results": []}), "catalog changed"),
    (r"get-caller-info", Fault(status=503), "key validation"),
], ids=["503", "reset", "malformed", "timeout", "model-gone", "page-gone", "page-changed",
        "key-check-down"])
def test_permanent_faults_exit_3_and_leave_the_previous_file(
        small: NgcServer, generate: Generate, previous: Path, pattern: str, fault: Fault,
        message: str) -> None:
    small.fault(pattern, fault)
    result = generate(small, "-o", str(previous), "--timeout", "0.3", "--retries", "1")
    assert result.code == 3, result.err
    assert message in result.err
    assert "Traceback" not in result.err and result.err.count("\n") <= 1
    assert previous.read_text() == "previous content, must survive\n"
    assert [p.name for p in previous.parent.iterdir()] == [previous.name]  # no temp files


def test_allow_partial_writes_without_the_failed_model(small: NgcServer, generate: Generate,
                                                       tmp_path: Path) -> None:
    small.remove_model("nim/nvidia/beta")
    out = tmp_path / "out.yaml"
    result = generate(small, "-o", str(out), "--allow-partial")
    assert result.code == 0, result.err
    assert sorted(load_catalog(out).models) == ["alpha", "delta", "gamma"]
    assert "1 failed" in result.err and "nim/nvidia/beta" in result.err


def test_401_after_some_successes_aborts_the_run(generate: Generate, previous: Path) -> None:
    docs = [entry(f"m{i}") for i in range(12)]
    with NgcServer(docs) as server:
        server.fault(r"/repos/", status=401, after=5)
        result = generate(server, "-o", str(previous), "--allow-partial", "--concurrency", "2")
        assert result.code == 3
        assert "rejected the API key" in result.err
        assert server.count(r"/repos/") < 12  # the rest were cancelled, not fetched
    assert previous.read_text() == "previous content, must survive\n"


def test_unknown_key_is_refused_before_any_request_that_carries_it(
        small: NgcServer, generate: Generate, previous: Path) -> None:
    wrong = "nvapi-not-the-right-key"
    result = generate(small, "-o", str(previous), env={"NGC_API_KEY": wrong})
    assert result.code == 3
    assert "rejected the API key (HTTP 401" in result.err
    assert small.count(r"/repos/") == 0
    assert [r.path for r in small.requests if r.carries(wrong)] == ["/v3/keys/get-caller-info"]
    assert previous.read_text() == "previous content, must survive\n"


def test_unreachable_service_exits_3(generate: Generate, tmp_path: Path) -> None:
    nowhere = SimpleNamespace(base_url="http://127.0.0.1:9")  # discard port: refused
    result = generate(nowhere, "-o", str(tmp_path / "x.yaml"), "--retries", "1")
    assert result.code == 3 and "cannot connect" in result.err
    assert not (tmp_path / "x.yaml").exists()

