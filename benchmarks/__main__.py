"""Run every benchmark module (`python -m benchmarks [NAME...]`) and print its figures."""

from __future__ import annotations

import compileall
import importlib
import pkgutil
import sys
from pathlib import Path

import generator
from benchmarks.hostspeed import LOOP, loop_ms


def main(names: list[str]) -> int:
    """Run the named benchmarks, or all of them."""
    # An installed wheel has its bytecode compiled by pip; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would compile every module in every process measured. This
    # writes __pycache__ into the checkout (ignored by git); a module that does not compile
    # fails the benchmark anyway, so the result is not checked here
    package = Path(generator.__file__).parent
    compileall.compile_dir(package, quiet=1)
    here = Path(__file__).parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n for n in found if not names or n.removeprefix("bench_") in names or n in names]
    for name in chosen:
        print(f"\n## {name.removeprefix('bench_')}\n", flush=True)
        print(f"host speed: a {LOOP:,}-step Python loop in {loop_ms():.0f} ms (lower is "
              "faster; compare runs by it)\n", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
