"""`metadata generate --extended`: the side file of model details, and `metadata diff` on it."""

from __future__ import annotations

import json
from pathlib import Path

from generator import yamlio
from tests.helpers import EU_LIST, run_cli
from tests.metadata.conftest import Generate
from tests.ngc_server import RECORDED, NgcServer, extended_fields


def test_side_file_has_every_model_and_the_configmap_is_unchanged(
        ngc: NgcServer, generate: Generate, tmp_path: Path) -> None:
    plain, out, side = tmp_path / "plain.yaml", tmp_path / "cm.yaml", tmp_path / "details.json"
    assert generate(ngc, "-o", str(plain), "--eu-restricted", str(EU_LIST)).code == 0
    result = generate(ngc, "-o", str(out), "--eu-restricted", str(EU_LIST),
                      "--extended", str(side))
    assert result.code == 0, result.err
    assert out.read_bytes() == plain.read_bytes()  # the ConfigMap keeps its eight fields
    models = json.loads(side.read_text("utf-8"))["models"]
    names = set(yamlio.load_one(out.read_text("utf-8"), "cm")["data"])
    assert set(models) == names and len(names) > 150
    served = {d["name"]: d for d in ngc.docs.values()}
    for name, got in models.items():
        want = extended_fields(served[name])
        assert got["public"] is want["isPublic"] and got["guestPull"] is want["canGuestPull"]
        assert got["signedTags"] is want["hasSignedTag"]
        assert got["imageSize"] == want["latestImageSize"]
        assert got["multinode"] is want["isMultinodeEnabled"]
        assert got["architectures"] == {
            v["architecture"]: {"digest": v["digest"], "size": v["compressedSize"]}
            for v in want["latestArchitectureVariants"]}
    assert {m["public"] for m in models.values()} == {True, False}


def test_side_file_is_deterministic(small: NgcServer, generate: Generate,
                                    tmp_path: Path) -> None:
    for name, concurrency in (("a", "1"), ("b", "4")):
        assert generate(small, "-o", str(tmp_path / f"{name}.yaml"), "--extended",
                        str(tmp_path / f"{name}.json"), "--concurrency", concurrency).code == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_recorded_answer_fields_reach_the_side_file(generate: Generate, tmp_path: Path) -> None:
    recorded = json.loads((RECORDED / "model_tags.json").read_text())
    server = NgcServer()
    server.add_model(recorded)
    side = tmp_path / "details.json"
    with server:
        assert generate(server, "-o", str(tmp_path / "cm.yaml"), "--extended", str(side)).code == 0
    got = json.loads(side.read_text())["models"]["llama-3.1-8b-instruct"]
    assert got["signedTags"] is True and got["imageSize"] == recorded["latestImageSize"]
    assert got["public"] is None and got["guestPull"] is None  # not in this recording: unknown
    assert got["architectures"]["arm64"]["digest"] == \
        recorded["latestArchitectureVariants"][1]["digest"]
    assert got["multinode"] is False and got["accessType"] == "LISTED"


def test_a_failed_run_writes_no_side_file(small: NgcServer, generate: Generate,
                                          tmp_path: Path) -> None:
    small.fault(r"/repos/beta", status=404)
    side = tmp_path / "details.json"
    result = generate(small, "-o", str(tmp_path / "cm.yaml"), "--extended", str(side))
    assert result.code == 3 and not side.exists() and not (tmp_path / "cm.yaml").exists()


def test_diff_reports_detail_changes(small: NgcServer, generate: Generate,
                                     tmp_path: Path) -> None:
    assert generate(small, "-o", str(tmp_path / "a.yaml"), "--extended",
                    str(tmp_path / "a.json")).code == 0
    data = json.loads((tmp_path / "a.json").read_text())
    data["models"]["alpha"]["public"] = not data["models"]["alpha"]["public"]
    (tmp_path / "b.json").write_text(json.dumps(data))
    args = ["metadata", "diff", str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"),
            "--extended", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    markdown = run_cli(args)
    assert markdown.code == 0, markdown.err
    assert "## Extended details changed (1)" in markdown.out and "### alpha" in markdown.out
    report = json.loads(run_cli([*args, "--format", "json"]).out)
    assert [c["name"] for c in report["detailsChanged"]] == ["alpha"]
    assert set(report["detailsChanged"][0]) == {"name", "public"}


def test_diff_refuses_a_bad_side_file(small: NgcServer, generate: Generate,
                                      tmp_path: Path) -> None:
    assert generate(small, "-o", str(tmp_path / "a.yaml"), "--extended",
                    str(tmp_path / "a.json")).code == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "NimModelDetails", "models": {
        "alpha": {"latestTag": "1.0", "imageSize": "big"}}}))
    result = run_cli(["metadata", "diff", str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"),
                      "--extended", str(tmp_path / "a.json"), str(bad)])
    assert result.code == 1 and str(bad) in result.err and "models.alpha.imageSize" in result.err
    assert result.err.count("\n") == 1
