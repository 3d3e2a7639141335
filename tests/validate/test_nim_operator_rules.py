"""NIM011/NIM012 and the existing rules on NIM Operator objects, from rendered output."""

from __future__ import annotations

import copy
from typing import Any

from generator import yamlio
from generator.validate import ValidateOptions, validate_objects
from tests.helpers import EXAMPLES, FAKE_KEY, run_cli

OPTIONS = ValidateOptions(ignore_missing_schemas=True)


def _rendered() -> list[dict[str, Any]]:
    result = run_cli(["render", str(EXAMPLES / "nim-operator/nim-gitops.yaml"), "-o", "-"])
    assert result.code == 0, result.err
    return list(yamlio.load_all(result.out, "render"))


def _rules(objects: list[dict[str, Any]]) -> set[str]:
    return {f.rule for _, f in validate_objects(objects, OPTIONS).problems()}


def _find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_rendered_nim_operator_objects_pass() -> None:
    assert _rules(_rendered()) == set()


def test_a_key_in_an_env_value_is_refused_even_when_it_does_not_look_like_one() -> None:
    objects = _rendered()
    service = _find(objects, "NIMService", "llama-8b")
    service["spec"]["env"] = [{"name": "NGC_API_KEY", "value": "not-shaped-like-a-key"}]
    assert _rules(objects) == {"NIM011"}
    # with the key's shape, NIM001 reports it too (FAKE_KEY is a made-up test string)
    service["spec"]["env"][0]["value"] = FAKE_KEY
    assert _rules(objects) == {"NIM001", "NIM011"}


def test_a_key_from_a_secret_ref_passes() -> None:
    objects = _rendered()
    cache = _find(objects, "NIMCache", "mistral-7b")
    # the example keeps one key per project (secrets.scope project, the default on current)
    cache["spec"]["env"] = [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
        "name": "nvidia-nim-secrets", "key": "NGC_API_KEY"}}}]
    assert _rules(objects) == set()


def test_a_service_and_its_cache_must_share_secrets() -> None:
    objects = _rendered()
    service = _find(objects, "NIMService", "llama-8b")
    service["spec"]["authSecret"] = "another-key"
    assert _rules(objects) == {"NIM012"}
    service["spec"]["authSecret"] = "nvidia-nim-secrets"
    service["spec"]["image"]["pullSecrets"] = ["somebody-elses-pull"]
    assert _rules(objects) == {"NIM012"}


def test_a_cache_outside_the_inputs_is_not_judged() -> None:
    objects = [o for o in _rendered() if o["kind"] != "NIMCache"]
    service = _find(objects, "NIMService", "llama-8b")
    service["spec"]["authSecret"] = "another"
    assert _rules(objects) == set()


def test_a_floating_tag_on_either_kind_is_refused() -> None:
    objects = _rendered()
    floating = copy.deepcopy(objects)
    _find(floating, "NIMService", "llama-8b")["spec"]["image"]["tag"] = "latest"
    assert _rules(floating) == {"NIM004"}
    floating = copy.deepcopy(objects)
    _find(floating, "NIMCache", "llama-8b")["spec"]["source"]["ngc"]["modelPuller"] = \
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1"
    assert _rules(floating) == {"NIM004"}


def test_validate_command_exits_1_on_a_shared_secret_mismatch(tmp_path: Any) -> None:
    objects = _rendered()
    _find(objects, "NIMService", "mistral-7b")["spec"]["authSecret"] = "nim-api-key-llama-8b"
    path = tmp_path / "out.yaml"
    path.write_text(yamlio.dump_all(objects), "utf-8")
    result = run_cli(["validate", "--ignore-missing-schemas", str(path)])
    assert result.code == 1
    assert "NIM012" in result.out + result.err
