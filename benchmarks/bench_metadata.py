"""`metadata generate` against the snapshot-backed NGC double: the metadata row of issue 26.

186 models, 100 ms added to every request, the catalog in 4 pages (pages of 50). The
reference shell script fetched one model at a time; `--concurrency 1` reproduces that. Both
runs are whole `nim-gitops` processes (start-up included), interleaved, and must write the
same file. Beside them: the latency bound, the round trips a client that wastes no time needs
at the default concurrency (`round_trips`), times the latency: the floor no client can beat.

Environment: BENCH_RUNS (default 5) runs of each, BENCH_SERIAL_RUNS of the slow
`--concurrency 1` one (default BENCH_RUNS; about 20 s each), BENCH_NGC_LATENCY (seconds per
request, default 0.1), BENCH_NGC_PAGE_SIZE (default 50: four pages).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import Run, measure, table
from tests.helpers import EU_LIST, FAKE_KEY
from tests.ngc_server import NgcServer

LATENCY = float(os.environ.get("BENCH_NGC_LATENCY", "0.1"))
RUNS = max(1, int(os.environ.get("BENCH_RUNS", "5")))
SERIAL_RUNS = max(1, int(os.environ.get("BENCH_SERIAL_RUNS", str(RUNS))))
PAGE_SIZE = int(os.environ.get("BENCH_NGC_PAGE_SIZE", "50"))
# the installed command, as users run it (`python -m generator` also imports runpy: 7 ms of
# a 0.7 s run); `-m` where the package is not installed with its script
SCRIPT = Path(sys.executable).with_name("nim-gitops")
CLI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "generator"]
CATALOG = r"/v2/search/catalog"
TARGET_WALL, TARGET_SPEEDUP = 0.8, 30.0  # issue 26; --concurrency 1 is the reference


def round_trips(models: int, page_size: int, concurrency: int) -> int:
    """Rounds of requests a client needs at best: the key check and the first page first,
    the other pages once the first has given their number, each page's models once the page
    and the key's verdict are in, pages before models, never more than `concurrency` at once."""
    pages = max(1, math.ceil(models / page_size))
    sizes = [min(page_size, models - i * page_size) for i in range(pages)]
    queued_pages, models_ready, fetched = [0], 0, 0
    key_pending, key_ok, rounds = True, False, 0
    while key_pending or queued_pages or fetched < models:
        rounds += 1
        slots = concurrency
        send_key = key_pending and slots > 0
        slots -= send_key
        sent, queued_pages = queued_pages[:slots], queued_pages[slots:]
        slots -= len(sent)
        models_sent = min(slots, models_ready) if key_ok else 0
        models_ready -= models_sent
        fetched += models_sent
        if send_key:  # the answers of this round are in before the next one
            key_pending, key_ok = False, True
        for page in sent:
            queued_pages += list(range(1, pages)) if page == 0 else []
            models_ready += sizes[page]
    return rounds


def _generate(url: str, out: Path, *args: str) -> Run:
    cmd = [*CLI, "metadata", "generate", "--ngc-url", url, "-o", str(out), "--quiet",
           "--eu-restricted", str(EU_LIST), *args]
    saved = os.environ.get("NGC_API_KEY")
    os.environ["NGC_API_KEY"] = FAKE_KEY  # a fake key for the local double; the child inherits it
    try:
        run = measure(cmd)
    finally:
        if saved is None:
            del os.environ["NGC_API_KEY"]
        else:
            os.environ["NGC_API_KEY"] = saved
    assert run.returncode == 0, f"metadata generate {' '.join(args)} failed"
    return run


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def run() -> None:
    """Print the default run beside `--concurrency 1`: wall, client CPU and the ratio."""
    from generator.ngc import NgcSettings

    default = NgcSettings().concurrency
    runs: dict[int, list[Run]] = {default: [], 1: []}
    with NgcServer.from_snapshot(latency=LATENCY, page_size=PAGE_SIZE) as server, \
            tempfile.TemporaryDirectory() as tmp:
        outputs = set()
        for index in range(max(RUNS, SERIAL_RUNS)):
            for level in (default, 1):
                if index >= (RUNS if level == default else SERIAL_RUNS):
                    continue
                out = Path(tmp) / f"c{level}.yaml"
                args = () if level == default else ("--concurrency", "1")
                before, pages_before = server.count(""), server.count(CATALOG)
                server.max_in_flight = 0
                runs[level].append(_generate(server.base_url, out, *args))
                if level == default:  # what one default run asked for
                    requests, peak = server.count("") - before, server.max_in_flight
                    pages = server.count(CATALOG) - pages_before
                outputs.add(out.read_bytes())
        assert len(outputs) == 1, "outputs differ"
        models = len(server.resources)
    ours, serial = _median(runs[default]), _median(runs[1])
    speedup = serial.seconds / ours.seconds
    bound = round_trips(models, PAGE_SIZE, default) * LATENCY
    rows = [
        (f"{default} (default)", f"{ours.seconds:.2f}", f"{ours.cpu:.2f}", f"{speedup:.1f}x"),
        ("1 (reference script)", f"{serial.seconds:.2f}", f"{serial.cpu:.2f}", "1.0x"),
        (f"latency bound at {default} ({bound / LATENCY:.0f} round trips)", f"{bound:.2f}",
         "-", f"{serial.seconds / bound:.1f}x"),
    ]
    print(table(["concurrency", "wall s", "client CPU s", "speed-up"], rows))
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() \
        else ["?"]
    print(f"\n{models} models, catalog in {pages} pages, {requests} requests per run, "
          f"{LATENCY * 1000:.0f} ms latency per request, at most {peak} in flight at the "
          f"default; all outputs byte-identical; median of {RUNS} (of {SERIAL_RUNS} at "
          f"--concurrency 1); load average {' '.join(load)}")
    met = ours.seconds <= TARGET_WALL and speedup >= TARGET_SPEEDUP
    print(f"issue 26 row: `metadata generate`, {models} models, {LATENCY * 1000:.0f} ms per "
          f"request, catalog in {pages} pages: {ours.seconds:.2f} s wall, {ours.cpu:.2f} s CPU, "
          f"{speedup:.1f}x `--concurrency 1`; goal <= {TARGET_WALL} s and >= "
          f"{TARGET_SPEEDUP:.0f}x: {'met' if met else 'missed'}")
