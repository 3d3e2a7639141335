"""`metadata generate` against the loopback NGC: round trip, EU flags, collisions, output."""

from __future__ import annotations

import json
from pathlib import Path

from generator import yamlio
from generator.catalog import load_catalog
from tests.helpers import EU_LIST, SNAPSHOT
from tests.metadata.conftest import Generate, entry, snapshot_entries
from tests.ngc_server import NgcServer


def _data(path: Path) -> dict[str, str]:
    doc = yamlio.load_one(path.read_text("utf-8"), str(path))
    assert doc["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    return dict(doc["data"])


def test_round_trip_reproduces_every_snapshot_entry(ngc: NgcServer, generate: Generate,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "nim-models-data.yaml"
    result = generate(ngc, "-o", str(out), "--eu-restricted", str(EU_LIST))
    assert result.code == 0, result.err
    produced = _data(out)
    expected = _data(SNAPSHOT)
    assert len(expected) == 186
    assert sorted(produced) == sorted(expected)
    for name, value in expected.items():
        assert json.loads(produced[name]) == json.loads(value), name
        assert produced[name] == value, f"{name}: not byte-identical"  # order, indent, unicode
    assert list(produced) == sorted(produced)
    assert "186 models processed: 186 written" in result.err
    # catalog pages of 50, then one repo request per model, plus the key check
    assert ngc.count(r"/v2/search/catalog") == 4
    assert ngc.count(r"/repos/") == 186
    assert ngc.count(r"get-caller-info") == 1


def test_same_input_gives_byte_identical_files(ngc: NgcServer, generate: Generate,
                                               tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert generate(ngc, "-o", str(first), "--eu-restricted", str(EU_LIST)).code == 0
    assert generate(ngc, "-o", str(second), "--eu-restricted", str(EU_LIST),
                    "--concurrency", "3").code == 0
    assert first.read_bytes() == second.read_bytes()


def test_output_to_stdout_with_name_and_namespace(small: NgcServer, generate: Generate) -> None:
    result = generate(small, "-o", "-", "--name", "custom-nim", "--namespace", "odh", "--quiet")
    assert result.code == 0, result.err
    doc = yamlio.load_one(result.out, "<stdout>")
    assert doc["metadata"] == {"name": "custom-nim", "namespace": "odh",
                               "labels": {"opendatahub.io/managed": "true"}}
    assert list(doc["data"]) == ["alpha", "beta", "delta", "gamma"]
    assert result.err == ""


def test_eu_flags_match_on_resource_id_not_bare_name(generate: Generate,
                                                     tmp_path: Path) -> None:
    docs = [entry("vision"), entry("other", "nim/nvidia"), entry("plain", "nim/acme")]
    eu = tmp_path / "eu.json"
    eu.write_text(json.dumps([
        {"name": "vision", "resourceId": "nim/meta/vision", "org": "nim", "team": "meta"},
        # same name in another team: must not flag nim/nvidia/other
        {"name": "other", "resourceId": "nim/acme/other", "org": "nim", "team": "acme"},
        # no resourceId: the name is all there is
        {"name": "plain"},
    ]))
    out = tmp_path / "out.yaml"
    with NgcServer(docs) as server:
        result = generate(server, "-o", str(out), "--eu-restricted", str(eu))
    assert result.code == 0, result.err
    flags = {k: v.eu_restricted for k, v in load_catalog(out).models.items()}
    assert flags == {"vision": True, "other": False, "plain": True}
    assert "nim/acme/other" in result.err  # listed but matched nothing: reported


def test_duplicate_repository_names_in_two_teams_are_refused(generate: Generate,
                                                             tmp_path: Path) -> None:
    docs = [entry("shared"), entry("shared", "nim/nvidia"), entry("unique")]
    out = tmp_path / "out.yaml"
    with NgcServer(docs) as server:
        refused = generate(server, "-o", str(out))
        assert refused.code == 1
        assert "nim/meta/shared" in refused.err and "nim/nvidia/shared" in refused.err
        assert not out.exists()
        resolved = generate(server, "-o", str(out), "--exclude", "nim/nvidia/shared")
    assert resolved.code == 0, resolved.err
    assert load_catalog(out).models["shared"].namespace == "nim/meta"


def test_eu_location_skips_and_counts_451(generate: Generate, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    with NgcServer.from_snapshot(eu=True, page_size=100) as server:
        result = generate(server, "-o", str(out))
    assert result.code == 0, result.err
    names = set(load_catalog(out).models)
    eu_names = {item["name"] for item in json.loads(EU_LIST.read_text())}
    assert len(names) == 186 - len(eu_names) and not names & eu_names
    assert f"{len(eu_names)} EU-restricted (451) skipped, 0 failed" in result.err


def test_catalog_filtering_and_pagination(generate: Generate, tmp_path: Path) -> None:
    docs = [entry(f"model-{i:02d}") for i in range(23)]
    with NgcServer(docs, page_size=5, scored=4) as server:
        server.add_model(entry("untagged"), latest_tag=False)  # no latestTag: left out
        out = tmp_path / "out.yaml"
        result = generate(server, "-o", str(out))
        assert result.code == 0, result.err
        assert server.count(r"/v2/search/catalog") == 5  # 24 resources, pages of 5
        assert server.count(r"/repos/untagged") == 0
    assert sorted(load_catalog(out).models) == [f"model-{i:02d}" for i in range(23)]


def test_concurrency_is_bounded_and_used(generate: Generate, tmp_path: Path) -> None:
    docs = snapshot_entries()[:40]
    with NgcServer(docs, latency=0.05) as server:
        assert generate(server, "-o", str(tmp_path / "a.yaml"), "--concurrency", "4").code == 0
        assert server.max_in_flight == 4
    with NgcServer(docs, latency=0.02) as server:
        assert generate(server, "-o", str(tmp_path / "b.yaml"), "--concurrency", "1").code == 0
        assert server.max_in_flight == 1
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()


def test_recorded_repo_answer_is_reduced_to_the_contract(generate: Generate,
                                                         tmp_path: Path) -> None:
    from tests.ngc_server import RECORDED

    recorded = json.loads((RECORDED / "model_tags.json").read_text())
    server = NgcServer()
    server.add_model(recorded)
    out = tmp_path / "out.yaml"
    with server:
        assert generate(server, "-o", str(out)).code == 0
    value = yamlio.load_one(out.read_text(), "out")["data"]["llama-3.1-8b-instruct"]
    doc = json.loads(value)
    assert list(doc) == ["name", "displayName", "shortDescription", "namespace", "tags",
                         "latestTag", "updatedDate", "euRestricted"]
    assert doc["tags"] == recorded["tags"] and doc["latestTag"] == recorded["latestTag"]
    assert doc["namespace"] == "nim/meta" and doc["euRestricted"] is False
