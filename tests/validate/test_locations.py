"""Schema locations: kubeconform's variables, URL templates over HTTP, and the download cache."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.validate import ValidateOptions, validate_objects
from generator.validate.locations import candidates, expand, template_vars

BROKEN = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
          "metadata": {"name": "llama", "namespace": "team-a"},
          "spec": {"predictor": {"modell": {}}}}


def test_template_variables_match_kubeconform() -> None:
    values = template_vars("serving.kserve.io/v1beta1", "InferenceService", "1.33.0", True)
    assert values == {
        "NormalizedKubernetesVersion": "v1.33.0", "StrictSuffix": "-strict",
        "ResourceKind": "inferenceservice", "ResourceAPIVersion": "v1beta1",
        "Group": "serving.kserve.io", "KindSuffix": "-serving-v1beta1"}
    core = template_vars("v1", "ConfigMap", "master", False)
    assert (core["Group"], core["KindSuffix"], core["NormalizedKubernetesVersion"],
            core["StrictSuffix"]) == ("v1", "-v1", "master", "")


def test_a_location_without_json_gets_the_standalone_suffix() -> None:
    values = template_vars("apps/v1", "Deployment", "1.33.0", False)
    (url,) = candidates("https://example.com/schemas")
    assert expand(url, values) == ("https://example.com/schemas/v1.33.0-standalone/"
                                   "deployment-apps-v1.json")


@pytest.fixture
def served(crd_schemas: str) -> Iterator[tuple[str, list[str]]]:
    """The schema directory over loopback HTTP, and the paths requested."""
    requested: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            requested.append(self.path)

    handler = functools.partial(Handler, directory=crd_schemas)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def test_url_template_is_fetched_once_and_cached(served: tuple[str, list[str]],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    base, requested = served
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    template = base + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    options = ValidateOptions(schema_locations=(template,))
    first = list(validate_objects([BROKEN, BROKEN], options))
    assert len(first) == 2 and all("$.spec.predictor.modell" in line for line in first)
    assert len(requested) == 1  # compiled once per run
    assert list(validate_objects([BROKEN], options)) == first[:1]
    assert len(requested) == 1  # the second run reads the cache
    assert list((tmp_path / "cache/nim-gitops/schemas").iterdir())


def test_missing_url_schema_is_a_missing_schema(served: tuple[str, list[str]],
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = served
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    other = {**BROKEN, "apiVersion": "example.com/v1", "kind": "Widget"}
    template = base + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    (line,) = validate_objects([other], ValidateOptions(schema_locations=(template,)))
    assert f"looked in {base}/example.com/widget_v1.json" in line
