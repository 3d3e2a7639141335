"""Large catalogs: the server-side-apply annotation appears exactly where `render` adds it,
one entry either side of SSA_THRESHOLD bytes of last-applied JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import catalog as catalog_mod
from generator.catalog import SSA_THRESHOLD, ModelEntry
from tests.chart.support import assert_same_objects, helm_template, render_build, write_values
from tests.helpers import run_cli

ENTRIES = [
    ModelEntry(f"model-{i:04d}", f"Model {i} — é", "Déscription " * (40 + i % 7), "nim/test",
               ("1.0.0", "1.0", "latest"), "latest", "2025-01-01T00:00:00.000Z", i % 5 == 0)
    for i in range(420)
]


def _size(count: int, name: str) -> int:
    doc = catalog_mod.configmap(ENTRIES[:count], name=name, namespace="redhat-ods-applications")
    return catalog_mod.last_applied_size(doc)


@pytest.fixture(scope="module")
def big_chart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("big")
    catalog = root / "catalog.yaml"
    catalog.write_text(catalog_mod.configmap_yaml(ENTRIES), "utf-8")
    chart = root / "chart"
    assert run_cli(["chart", "--catalog", str(catalog), "-o", str(chart)]).code == 0
    return chart, catalog


def _config(tmp_path: Path, spec_text: str) -> Path:
    path = tmp_path / "nim-gitops.yaml"
    path.write_text("apiVersion: nim-gitops.opendatahub.io/v1alpha1\nkind: NimGitOps\n"
                    f"metadata: {{name: big}}\nspec:\n{spec_text}", "utf-8")
    return path


# The catalog ConfigMap of each target: redesign's metadata ConfigMap, and on current the
# disconnected odh-nim-account-cm.
CATALOG_CONFIGMAPS = {
    "redesign": ("nim-models-data", ""),
    "current": ("odh-nim-account-cm", ", dashboard: {disconnected: true}"),
}


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(CATALOG_CONFIGMAPS))
@pytest.mark.parametrize("side", ["below", "above"])
def test_annotation_threshold_matches_render(big_chart: tuple[Path, Path], tmp_path: Path,
                                             side: str, target: str) -> None:
    chart, catalog = big_chart
    name, extra = CATALOG_CONFIGMAPS[target]
    count = next(n for n in range(1, len(ENTRIES)) if _size(n + 1, name) > SSA_THRESHOLD)
    count += 1 if side == "above" else 0
    assert (_size(count, name) > SSA_THRESHOLD) == (side == "above")
    models = ", ".join(e.name for e in ENTRIES[:count])
    config = _config(tmp_path, f"  platform: {{target: {target}, "
                               f"catalog: {{models: [{models}]}}{extra}}}\n")
    values = write_values(config, tmp_path / "values.yaml", catalog)
    rendered = render_build(config, tmp_path / "render", catalog)
    assert f"name: {name}\n" in rendered
    assert ("ServerSideApply=true\n" in rendered) == (side == "above")
    assert_same_objects(rendered, helm_template(chart, values))


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(CATALOG_CONFIGMAPS))
def test_airgap_subset_of_a_large_catalog(big_chart: tuple[Path, Path], tmp_path: Path,
                                          target: str) -> None:
    chart, catalog = big_chart
    config = _config(tmp_path, f"  platform: {{target: {target}}}\n"
                               "  airGap: {mirror: r.example}\n  projects:\n  - name: p\n"
                               "    deployments:\n    - {name: a, model: model-0003}\n"
                               "    - {name: b, model: model-0003, tag: latest, "
                               "allowFloatingTags: true}\n")
    values = write_values(config, tmp_path / "values.yaml", catalog)
    assert_same_objects(render_build(config, tmp_path / "render", catalog),
                        helm_template(chart, values))
