"""The NGC fault matrix: `metadata generate` over all 186 snapshot models under each fault.

Every case ends one of two ways: exit 0 with exactly the ConfigMap a fault-free run gives
for the same catalog (byte for byte), or a non-zero exit with one clear error line, and the
output and report files that existed before the run left byte-identical with no temporary
files beside them. docs/metadata.md ("Fault matrix") lists the same cases and outcomes.
"""

from __future__ import annotations

import email.utils
import functools
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from tests.helpers import EU_LIST, SNAPSHOT, run_cli
from tests.metadata.conftest import KEY_ENV, entry, snapshot_entries
from tests.ngc_server import NgcServer, eu_resource_ids, repo_doc

Arrange = Callable[[NgcServer], None]
REPOS = r"/repos/"
LLAMA31 = r"/repos/llama-3\.1-"  # 21 of the 186 models
GONE = "nim/meta/llama-3.1-8b-instruct"
PREVIOUS = b"previous ConfigMap: must survive a failed run\n"
PREVIOUS_REPORT = b"previous report\n"
COMMON = ("--retries", "3", "--backoff", "0.01", "--timeout", "2", "--quiet")
ARGS = (*COMMON, "--eu-restricted", str(EU_LIST), "--previous", str(SNAPSHOT))


def _server() -> NgcServer:
    """The snapshot catalog in pages of 50 (four pages), as seen from outside the EU."""
    return NgcServer(snapshot_entries(), page_size=50)


def _run(server: NgcServer, out: Path, *args: str) -> Any:
    return run_cli(["metadata", "generate", "--ngc-url", server.base_url, "-o", str(out),
                    "--report", str(out.with_name("report.md")), *ARGS, *args], env=KEY_ENV)


@functools.cache
def _expected(final: Arrange | None) -> bytes:
    """What a fault-free run writes for the catalog as it is at the end of a case."""
    with _server() as server, tempfile.TemporaryDirectory() as tmp:
        if final is not None:
            final(server)
        out = Path(tmp) / "expected.yaml"
        result = _run(server, out)
        assert result.code == 0, result.err
        return out.read_bytes()


# arrangements -----------------------------------------------------------------------------
def fault(pattern: str, **kwargs: Any) -> Arrange:
    def arrange(server: NgcServer) -> None:
        server.fault(pattern, **kwargs)

    return arrange


def both(*steps: Arrange) -> Arrange:
    def arrange(server: NgcServer) -> None:
        for step in steps:
            step(server)

    return arrange


def insert_first(server: NgcServer) -> None:
    """A new model appears at the head of the catalog (every later entry shifts a page)."""
    server.add_model(repo_doc(entry("brand-new-model", "nim/nvidia")), position=0)


def drop_first(server: NgcServer) -> None:
    """The first catalog entry is withdrawn (every later entry shifts back)."""
    server.remove_model(server.resources[0]["resourceId"], from_catalog=True)


def keep_inserting(server: NgcServer) -> None:
    server.add_model(repo_doc(entry(f"new-{len(server.resources)}", "nim/nvidia")),
                     position=0)


def repo_gone(server: NgcServer) -> None:
    """Listed in the catalog, but its repository answers 404."""
    server.remove_model(GONE)


def gone_entirely(server: NgcServer) -> None:
    server.remove_model(GONE, from_catalog=True)


def _http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


@dataclass(frozen=True)
class Case:
    """One row of the matrix: the fault, extra arguments and the outcome."""

    id: str
    arrange: Arrange
    args: tuple[str, ...] = ()
    code: int = 0
    message: str = ""  # for failures: a fragment of the one error line
    final: Arrange | None = None  # for successes: the catalog the output must match


CASES = [
    # rate limiting
    Case("429-retry-after-seconds", fault(REPOS, status=429, retry_after="0", times=1,
                                          per_path=True)),
    Case("429-retry-after-date", fault(LLAMA31, status=429, retry_after=_http_date(-5),
                                       times=1, per_path=True)),
    Case("429-no-retry-after", fault(REPOS, status=429, times=2, per_path=True)),
    Case("429-catalog", fault(r'"page":2', status=429, retry_after="0", times=2)),
    Case("429-retry-after-too-long", fault(LLAMA31, status=429, retry_after="3600"),
         code=3, message="retry after 3600s"),
    Case("429-persistent", fault(LLAMA31, status=429, retry_after="0"),
         code=3, message="HTTP 429 (gave up after 4 attempts)"),
    # server errors
    Case("500-burst-every-model", fault(REPOS, status=500, times=2, per_path=True)),
    Case("502-burst-global", fault(REPOS, status=502, times=40)),
    Case("503-burst-catalog-and-key", both(fault(r'"page":1', status=503, times=3),
                                           fault("get-caller-info", status=503, times=2))),
    Case("503-persistent-one-model", fault(r"/repos/llama-3\.1-8b-instruct\?", status=503),
         code=3, message="1 of 186 models failed (nim/meta/llama-3.1-8b-instruct: HTTP 503 "
                         "(gave up after 4 attempts)); "),
    Case("502-persistent-catalog", fault(r'"page":3', status=502),
         code=3, message="catalog page 3: HTTP 502 (gave up after 4 attempts)"),
    Case("500-persistent-key-check", fault("get-caller-info", status=500),
         code=3, message="key validation: HTTP 500"),
    # slow answers
    Case("slow-past-timeout-once", fault(LLAMA31, kind="slow", delay=1.5, times=1,
                                         per_path=True), args=("--timeout", "0.75")),
    Case("slow-catalog-once", fault(r'"page":0', kind="slow", delay=1.5, times=1),
         args=("--timeout", "0.75")),
    Case("slow-persistent", fault(r"/repos/llama-3\.1-8b-instruct\?", kind="slow", delay=1.2),
         args=("--timeout", "0.5", "--retries", "1"), code=3,
         message="timed out after 0.5s"),
    # broken connections and bodies
    Case("reset-mid-body-every-model", fault(REPOS, kind="reset", times=1, per_path=True)),
    Case("reset-mid-body-catalog", fault(r'"page":0', kind="reset", times=2)),
    Case("reset-persistent-key-check", fault("get-caller-info", kind="reset"),
         code=3, message="key validation: connection failed"),
    Case("malformed-json-every-model", fault(REPOS, kind="malformed", times=2, per_path=True)),
    Case("truncated-json-catalog", fault(r'"page":1', kind="truncated", times=1)),
    Case("truncated-json-models", fault(LLAMA31, kind="truncated", times=3, per_path=True)),
    Case("malformed-json-persistent", fault(r'"page":2', kind="malformed"),
         code=3, message="catalog page 2: the response is not valid JSON"),
    Case("wrong-shape-json-model", fault(r"/repos/llama-3\.1-8b-instruct\?", kind="body",
                                         body={"name": "llama-3.1-8b-instruct"}),
         code=3, message="unexpected answer: field 'tags' is missing"),
    # the catalog changes while it is read
    Case("catalog-insert-while-paging", fault(r'"page":2', kind="action",
                                              action=insert_first, times=1),
         final=insert_first),
    Case("catalog-removal-while-paging", fault(r'"page":1', kind="action",
                                               action=drop_first, times=1),
         final=drop_first),
    Case("catalog-keeps-changing", fault(r'"page":1', kind="action", action=keep_inserting),
         code=3, message="kept changing over 3 reads"),
    Case("page-count-changes", fault(r'"page":2', kind="body", times=1,
                                     body={"resultPageTotal": 9, "resultTotal": 186,
                                           "params": {"page": 2}, "results": []})),
    # a model disappears between the catalog and its repository call (it is on page 0,
    # whose models are requested while the later pages are read: the action runs before
    # page 0 is answered, so the page lists the model and its repository answers 404)
    Case("model-gone-before-repo-call", fault(r'"page":0', kind="action", action=repo_gone),
         code=3, message="nim/meta/llama-3.1-8b-instruct: not found (HTTP 404)"),
    Case("model-gone-allow-partial", fault(r'"page":0', kind="action", action=repo_gone),
         args=("--allow-partial",), final=gone_entirely),
    # the key
    Case("key-expires-mid-run", fault(REPOS, status=401, after=40),
         code=3, message="expired or been revoked"),
    Case("key-expires-mid-run-allow-partial", fault(REPOS, status=401, after=40),
         args=("--allow-partial",), code=3, message="rejected the API key (HTTP 401"),
    Case("key-rejected-at-start", fault("get-caller-info", status=401),
         code=3, message="NGC rejected the API key (HTTP 401 from key validation)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_matrix(case: Case, tmp_path: Path) -> None:
    out = tmp_path / "nim-models-data.yaml"
    report = tmp_path / "report.md"
    out.write_bytes(PREVIOUS)
    report.write_bytes(PREVIOUS_REPORT)
    with _server() as server:
        case.arrange(server)
        result = _run(server, out, *case.args)
    assert "Traceback" not in result.err
    if case.code == 0:
        assert result.code == 0, result.err
        assert out.read_bytes() == _expected(case.final)
        assert report.read_bytes() != PREVIOUS_REPORT
    else:
        assert result.code == case.code, result.err
        lines = result.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.err
        assert case.message in lines[0]
        assert out.read_bytes() == PREVIOUS
        assert report.read_bytes() == PREVIOUS_REPORT
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, report.name]


def test_the_expected_configmap_is_the_snapshot() -> None:
    """The reference the matrix compares with holds every snapshot entry unchanged."""
    produced = yamlio.load_one(_expected(None).decode(), "expected")["data"]
    recorded = yamlio.load_one(SNAPSHOT.read_text("utf-8"), str(SNAPSHOT))["data"]
    assert produced == dict(recorded) and len(produced) == 186


def test_changed_catalog_is_read_again_from_the_first_page(tmp_path: Path) -> None:
    """Pages 1 to 3 are requested together once page 0 has given their number, so a change
    seen on page 2 costs one more read of every page, and no more."""
    with _server() as server:
        insert_first_once = server.fault(r'"page":2', kind="action", action=insert_first,
                                         times=1)
        result = _run(server, tmp_path / "out.yaml")
        assert result.code == 0, result.err
        assert insert_first_once.fired == 1
        assert [server.count(f'"page":{n},') for n in range(4)] == [2, 2, 2, 2]
        assert server.count(r'"page":4,') == 0  # 187 resources still fit in 4 pages
        assert server.count(r"/repos/brand-new-model\?") == 1


DETECT_EU = ["429-retry-after-seconds", "500-burst-every-model", "slow-past-timeout-once",
             "reset-mid-body-every-model", "truncated-json-models", "catalog-insert-while-paging",
             "503-persistent-one-model", "catalog-keeps-changing", "key-expires-mid-run",
             "model-gone-before-repo-call"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in DETECT_EU], ids=DETECT_EU)
def test_detect_eu_under_faults(case: Case, tmp_path: Path) -> None:
    """`detect-eu` shares the probe: the recorded EU list exactly, or an untouched file."""
    out = tmp_path / "eu.json"
    out.write_bytes(PREVIOUS)
    with NgcServer(snapshot_entries(), page_size=50, eu=True,
                   eu_restricted=eu_resource_ids()) as server:
        case.arrange(server)
        result = run_cli(["metadata", "detect-eu", "--ngc-url", server.base_url, "-o", str(out),
                          *COMMON, *case.args], env=KEY_ENV)
    assert "Traceback" not in result.err
    if case.code == 0:
        assert result.code == 0, result.err
        recorded = json.loads(EU_LIST.read_text("utf-8"))
        assert json.loads(out.read_text()) == sorted(recorded, key=lambda i: i["resourceId"])
    else:
        assert result.code == case.code, result.err
        assert len(result.err.splitlines()) == 1 and case.message in result.err
        assert out.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
