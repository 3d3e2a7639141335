"""`metadata detect-eu`, progress and summaries on stderr, and `key validate`'s exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from generator.metadata.progress import Progress
from tests.helpers import EU_LIST, FAKE_KEY, Result, run_cli
from tests.metadata.conftest import FAST, KEY_ENV, Generate, entry, snapshot_entries
from tests.ngc_server import NgcServer


def _detect(server: NgcServer, *args: str) -> Result:
    return run_cli(["metadata", "detect-eu", "--ngc-url", server.base_url, *FAST, *args],
                   env=KEY_ENV)


# detect-eu ----------------------------------------------------------------------------------
def test_detect_eu_from_the_eu_writes_the_recorded_list(tmp_path: Path) -> None:
    out = tmp_path / "eu.json"
    with NgcServer.from_snapshot(eu=True, page_size=60) as server:
        result = run_cli(["metadata", "detect-eu", "--ngc-url", server.base_url, *FAST,
                          "-o", str(out)], env=KEY_ENV)
        assert server.count("/repos/") == 186
    assert result.code == 0, result.err
    written = json.loads(out.read_text())
    recorded = json.loads(EU_LIST.read_text())
    assert written == sorted(recorded, key=lambda item: item["resourceId"])
    assert all(list(item) == ["name", "resourceId", "org", "team"] for item in written)
    assert result.err.strip().startswith("4 EU-restricted models of 186 (0 failed)")


def test_detect_eu_outside_the_eu_writes_an_empty_list(small: NgcServer) -> None:
    result = run_cli(["metadata", "detect-eu", "--ngc-url", small.base_url, *FAST, "-o", "-",
                      "--quiet"], env=KEY_ENV)
    assert result.code == 0 and result.out == "[]\n" and result.err == ""


def test_detect_eu_output_feeds_generate(generate: Generate, tmp_path: Path) -> None:
    docs = [entry("vision"), entry("vision", "nim/other"), entry("text")]
    eu = tmp_path / "eu.json"
    with NgcServer(docs, eu=True, eu_restricted={"nim/meta/vision"}) as server:
        result = run_cli(["metadata", "detect-eu", "--ngc-url", server.base_url, *FAST,
                          "-o", str(eu), "--exclude", "nim/other/vision"], env=KEY_ENV)
        assert result.code == 0, result.err
        assert json.loads(eu.read_text()) == [
            {"name": "vision", "resourceId": "nim/meta/vision", "org": "nim", "team": "meta"}]
        server.eu = False  # the maintainer now runs generate from outside the EU
        out = tmp_path / "out.yaml"
        made = generate(server, "-o", str(out), "--eu-restricted", str(eu),
                        "--exclude", "nim/other/vision")
    assert made.code == 0, made.err
    assert '"euRestricted": true' in out.read_text()
    assert "1 marked euRestricted" in made.err


def test_detect_eu_refuses_a_partial_probe(tmp_path: Path) -> None:
    out = tmp_path / "eu.json"
    out.write_text("[]\n")
    with NgcServer([entry("a"), entry("b")]) as server:
        server.fault("/repos/b", status=500)
        result = run_cli(["metadata", "detect-eu", "--ngc-url", server.base_url, *FAST,
                          "-o", str(out)], env=KEY_ENV)
    assert result.code == 3 and "1 of 2 models failed (nim/meta/b: HTTP 500" in result.err
    assert out.read_text() == "[]\n"


# progress and the final summary ---------------------------------------------------------
def test_plain_progress_lines_when_stderr_is_not_a_terminal(generate: Generate,
                                                            tmp_path: Path) -> None:
    with NgcServer(snapshot_entries()[:12]) as server:
        result = generate(server, "-o", str(tmp_path / "out.yaml"),
                          "--progress-interval", "0")
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert lines[:12] == [f"fetched {i}/12 models" for i in range(1, 13)]
    assert "\r" not in result.err and "[#" not in result.err
    assert len(lines) == 13
    summary = lines[-1]
    assert summary.startswith("12 models processed: 12 written, 0 EU-restricted (451) "
                              "skipped, 0 failed, 0 marked euRestricted, ")
    assert summary.endswith("s")


def test_default_interval_keeps_a_fast_run_to_its_summary(small: NgcServer,
                                                          generate: Generate) -> None:
    result = generate(small, "-o", "-")
    assert result.code == 0
    assert result.err.splitlines() == [result.err.strip()]
    assert "4 models processed: 4 written" in result.err


def test_summary_counts_eu_skips_and_failures(generate: Generate, tmp_path: Path) -> None:
    docs = [entry("a"), entry("b"), entry("c")]
    with NgcServer(docs, eu=True, eu_restricted={"nim/meta/a"}) as server:
        server.fault("/repos/c", status=503)
        result = generate(server, "-o", str(tmp_path / "o.yaml"), "--allow-partial",
                          "--retries", "0")
    assert result.code == 0, result.err
    assert "warning: skipped nim/meta/c: HTTP 503" in result.err
    assert ("3 models processed: 1 written, 1 EU-restricted (451) skipped, 1 failed"
            in result.err)


def test_quiet_prints_nothing(small: NgcServer, generate: Generate, tmp_path: Path) -> None:
    result = generate(small, "-o", str(tmp_path / "out.yaml"), "--quiet",
                      "--progress-interval", "0")
    assert result.code == 0 and result.err == "" and result.out == ""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_on_one_line() -> None:
    stream = _Tty()
    bar = Progress(4, stream=stream)
    bar._last = float("-inf")  # the bar redraws at most every 0.1 s; force each step
    for _ in range(4):
        bar._last = float("-inf")
        bar.advance()
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "\r[" + "#" * 30 + "] 4/4 models" in text


def test_progress_scrubs_registered_secrets() -> None:
    from generator import redact

    redact.register(FAKE_KEY)
    stream = io.StringIO()
    Progress(1, stream=stream, interval=0, label=f"models {FAKE_KEY}").advance()
    assert FAKE_KEY not in stream.getvalue()


# key validate -----------------------------------------------------------------------------
def _validate(server_url: str, key: str = FAKE_KEY, *args: str) -> Result:
    return run_cli(["key", "validate", "--ngc-url", server_url, *FAST, *args],
                   env={"NGC_API_KEY": key})


def test_key_validate_valid_is_0() -> None:
    with NgcServer() as server:
        result = _validate(server.base_url)
        assert server.count("get-caller-info") == 1 and server.count("/v2/") == 0
    assert result.code == 0, result.err
    assert result.out == "valid: PERSONAL_KEY, org REDACTED\n"


def test_key_validate_rejected_is_1() -> None:
    with NgcServer() as server:
        result = _validate(server.base_url, "nvapi-revoked-" + "y" * 40)
    assert result.code == 1
    assert result.out.startswith("invalid: NGC rejected the API key (HTTP 401")


def test_key_validate_service_down_is_3() -> None:
    with NgcServer() as server:
        server.fault("get-caller-info", status=503)
        result = _validate(server.base_url, FAKE_KEY, "--retries", "1")
        assert server.count("get-caller-info") == 2
    assert result.code == 3
    assert result.err.startswith("error: key validation: HTTP 503")
    unreachable = _validate("http://127.0.0.1:9", FAKE_KEY, "--retries", "0")
    assert unreachable.code == 3 and "cannot connect" in unreachable.err


def test_key_validate_legacy_key_is_1_without_asking() -> None:
    with NgcServer() as server:
        result = _validate(server.base_url, "legacy-key-0123456789")
        assert server.count("") == 0
    assert result.code == 1 and "must start with 'nvapi-'" in result.err


def test_quiet_still_warns_about_skipped_models(generate: Generate, tmp_path: Path) -> None:
    with NgcServer([entry("a"), entry("b")]) as server:
        server.remove_model("nim/meta/b")
        result = generate(server, "-o", str(tmp_path / "o.yaml"), "--allow-partial", "--quiet")
    assert result.code == 0
    assert result.err == "warning: skipped nim/meta/b: not found (HTTP 404)\n"


def test_detect_eu_allow_partial_names_what_it_could_not_probe(tmp_path: Path) -> None:
    out = tmp_path / "eu.json"
    with NgcServer([entry("a"), entry("b")], eu=True, eu_restricted={"nim/meta/a"}) as server:
        server.fault("/repos/b", status=500)
        result = _detect(server, "-o", str(out), "--allow-partial", "--retries", "0")
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "warning: skipped nim/meta/b: HTTP 500 (gave up after 1 attempt)",
        result.err.splitlines()[-1]]
    assert "1 EU-restricted models of 2 (1 failed)" in result.err
    assert [item["name"] for item in json.loads(out.read_text())] == ["a"]
