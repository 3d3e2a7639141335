"""The runtime lock (what the Containerfile installs) cannot drift from the full lock.

`requirements.lock` pins everything `make venv` installs (runtime, test, lint and build tools);
`requirements-runtime.lock` pins only what nim-gitops needs to run. Both come from `make lock`;
these tests fail when one is refreshed without the other, or when a runtime dependency is missing.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import REPO

FULL_LOCK = REPO / "requirements.lock"
RUNTIME_LOCK = REPO / "requirements-runtime.lock"
_PIN = re.compile(r"(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?:\s*;\s*(?P<marker>[^\\]+?))?"
                  r"\s*\\?")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    """One locked requirement: its version, environment marker and allowed file hashes."""

    version: str
    marker: str
    hashes: frozenset[str]


def parse_lock(path: Path) -> dict[tuple[str, str], Pin]:
    """(normalised name, marker) -> pin, for every requirement of a `uv pip compile` lock."""
    pins: dict[tuple[str, str], Pin] = {}
    current: tuple[str, str] | None = None
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            match = _PIN.fullmatch(line)
            assert match, f"{path.name}:{number}: not a 'name==version' line"
            current = (canonicalize_name(match["name"]), (match["marker"] or "").strip())
            assert current not in pins, f"{path.name}:{number}: {current[0]} pinned twice"
            pins[current] = Pin(match["version"], current[1], frozenset())
        else:
            assert current is not None, f"{path.name}:{number}: hash before any requirement"
            pin = pins[current]
            pins[current] = Pin(pin.version, pin.marker, pin.hashes | set(_HASH.findall(line)))
    return pins


def _applies(pin: Pin) -> bool:
    return not pin.marker or Marker(pin.marker).evaluate()


def _runtime_closure() -> dict[str, str]:
    """Name -> installed version of nim-gitops' runtime dependencies, transitively, here."""
    found: dict[str, str] = {}
    todo = _requires("nim-gitops", frozenset())
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name not in found:
            found[name] = importlib.metadata.version(name)
            todo += _requires(name, frozenset(req.extras))
    return found


def _requires(dist: str, extras: frozenset[str]) -> list[Requirement]:
    """The requirements of installed `dist` that apply here with `extras` (none: the base)."""
    reqs = [Requirement(text) for text in importlib.metadata.requires(dist) or []]
    return [req for req in reqs
            if req.marker is None
            or any(req.marker.evaluate({"extra": extra}) for extra in extras or {""})]


def test_locks_parse_and_every_pin_is_hashed() -> None:
    for path in (FULL_LOCK, RUNTIME_LOCK):
        pins = parse_lock(path)
        assert pins, f"{path.name} pins nothing"
        unhashed = [name for (name, _), pin in pins.items() if not pin.hashes]
        assert not unhashed, f"{path.name}: no hashes for {unhashed}"


def test_runtime_lock_pins_the_full_locks_versions_and_files() -> None:
    full, runtime = parse_lock(FULL_LOCK), parse_lock(RUNTIME_LOCK)
    for key, pin in runtime.items():
        assert key in full, f"{key[0]} ({key[1] or 'no marker'}) is not in {FULL_LOCK.name}"
        assert (pin.version, pin.hashes) == (full[key].version, full[key].hashes), \
            f"{key[0]}: {RUNTIME_LOCK.name} and {FULL_LOCK.name} differ; run `make lock`"


def test_runtime_lock_is_exactly_the_runtime_dependencies_here() -> None:
    """What applies on this Python is the installed runtime closure: nothing missing, no tools.

    Names only: `make test-latest` runs this suite on newer versions than the locks pin (the
    versions are held to the full lock by the test above)."""
    applying = {name for (name, _), pin in parse_lock(RUNTIME_LOCK).items() if _applies(pin)}
    assert applying == set(_runtime_closure())
    for tool in ("pytest", "mypy", "ruff", "hatchling", "hypothesis"):
        assert tool not in applying


def test_runtime_lock_covers_every_dependency_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib comes with Python 3.11")
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    locked = {name for name, _ in parse_lock(RUNTIME_LOCK)}
    for text in project["dependencies"]:
        req = Requirement(text)
        assert canonicalize_name(req.name) in locked, f"{req.name} is not in {RUNTIME_LOCK.name}"
    assert not locked & {canonicalize_name(Requirement(t).name)
                         for extra in project["optional-dependencies"].values() for t in extra}


def test_parse_lock_reads_markers_and_hashes(tmp_path: Path) -> None:
    """The parser the checks rely on: a marker stays with its pin, hashes with theirs."""
    lock = tmp_path / "example.lock"
    lock.write_text(
        "# header\n"
        "Rpds.Py==0.30.0 ; python_full_version < '3.11' \\\n"
        f"    --hash=sha256:{'a' * 64} \\\n"
        f"    --hash=sha256:{'b' * 64}\n"
        "    # via referencing\n"
        "rpds-py==2026.9.1 ; python_full_version >= '3.11' \\\n"
        f"    --hash=sha256:{'c' * 64}\n")
    pins = parse_lock(lock)
    assert pins[("rpds-py", "python_full_version < '3.11'")] == Pin(
        "0.30.0", "python_full_version < '3.11'",
        frozenset({f"sha256:{'a' * 64}", f"sha256:{'b' * 64}"}))
    assert pins[("rpds-py", "python_full_version >= '3.11'")].version == "2026.9.1"
