"""`nim-gitops explain FIELD`: a config field from the config's JSON schema."""

from __future__ import annotations

import yaml

from generator.config import config_schema
from generator.explain import explain_lines, find, known_paths, missing
from generator.models import ExternalSecretsSpec
from generator.render.objects import DEFAULT_LIMITS, DEFAULT_REQUESTS
from tests.helpers import run_cli


def test_a_field_shows_description_type_default_and_an_example_in_place() -> None:
    result = run_cli(["explain", "spec.secrets.externalSecrets.projectRemoteRef"])
    assert result.code == 0, result.err
    assert result.out.splitlines()[:10] == [
        "spec.secrets.externalSecrets.projectRemoteRef",
        "  scope project: where each project's key lives; {project} is filled in, so each "
        "team can have its",
        "  own key (e.g. nim/team-a, nim/team-b). Left out: key nim/{project}, property "
        "api_key.",
        "",
        "type:     object",
        "example:",
        "  spec:",
        "    secrets:",
        "      externalSecrets:",
        "        projectRemoteRef: {key: 'teams/{project}/ngc', property: api_key}",
    ]
    assert "  key       Path (key) of the entry in the secret store. (required)" in result.out


def test_an_enum_lists_its_allowed_values() -> None:
    out = run_cli(["explain", "spec.secrets.provider"]).out
    assert "type:     string\ndefault:  none\nallowed:  external-secrets, vault, none\n" in out
    items = run_cli(["explain", "spec.platform.templates"]).out
    assert "type:     list of string\ndefault:  [http]\nallowed:  http, grpc (each item)\n" in items


def test_list_items_are_stepped_through_with_or_without_indexes() -> None:
    plain = run_cli(["explain", "spec.projects.deployments.gpus"])
    indexed = run_cli(["explain", "spec.projects[0].deployments[].gpus"])
    short = run_cli(["explain", "projects.deployments.gpus"])  # `spec.` may be left out
    assert plain.out == indexed.out == short.out
    assert plain.out.endswith("example:\n  spec:\n    projects:\n    - deployments:\n"
                              "      - gpus: 1\n")


def test_an_unknown_field_names_the_nearest_in_one_line() -> None:
    result = run_cli(["explain", "spec.secrets.externalSecrets.projectRemoteRf"])
    assert result.code == 2
    assert result.err == ("error: spec.secrets.externalSecrets.projectRemoteRf: no such config "
                          "field; nearest: spec.secrets.externalSecrets.projectRemoteRef, "
                          "spec.secrets.externalSecrets.remoteRef, "
                          "spec.secrets.externalSecrets.accountRemoteRef\n")
    assert result.out == ""
    parent = run_cli(["explain", "spec.secrets.externalSecret.projectRemoteRef"])
    assert parent.err == ("error: spec.secrets.externalSecret.projectRemoteRef: no such config "
                          "field; nearest: spec.secrets.externalSecrets\n")
    anywhere = run_cli(["explain", "storageClass"])
    assert anywhere.err == ("error: storageClass: no such config field; nearest: "
                            "spec.projects.deployments.storage.storageClassName\n")


def test_no_field_lists_the_top_level_and_a_parent_lists_its_fields() -> None:
    top = run_cli(["explain"]).out
    for name in ("apiVersion", "kind", "metadata", "spec"):
        assert f"\n  {name} " in top
    parent = run_cli(["explain", "spec.projects.deployments.cache.source"]).out
    assert "fields:\n  pvc " in parent and "\n  s3 " in parent and "\n  oci " in parent
    assert "(nim-gitops explain spec.projects.deployments.cache.source.FIELD" in parent


def test_every_field_has_a_description_and_an_example_or_default() -> None:
    assert missing(config_schema()) == []


def test_every_example_sits_at_its_field_path() -> None:
    """The YAML explain shows puts the value where the path says (lists as one item)."""
    schema = config_schema()
    for path in known_paths(schema):
        field = find(schema, path)
        lines = explain_lines(schema, field)
        if "example:" not in lines:
            continue
        start = lines.index("example:") + 1
        end = lines.index("fields:") if "fields:" in lines else len(lines)
        node = yaml.safe_load("\n".join(line[2:] for line in lines[start:end]))
        for name in path.split("."):
            node = node[0] if isinstance(node, list) else node
            node = node[name]
        assert node is not None, path


def test_documented_defaults_match_what_render_uses() -> None:
    schema = config_schema()
    eso = ExternalSecretsSpec()
    for name, ref in (("remoteRef", eso.remote_ref), ("projectRemoteRef", eso.project_remote_ref),
                      ("accountRemoteRef", eso.account_remote_ref)):
        field = find(schema, f"spec.secrets.externalSecrets.{name}")
        assert field.schema["description"].endswith(
            f" Left out: key {ref.key}, property {ref.property}.")
    requests = find(schema, "spec.projects.deployments.resources.requests").schema
    limits = find(schema, "spec.projects.deployments.resources.limits").schema
    assert (f"(cpu {DEFAULT_REQUESTS['cpu']}, memory {DEFAULT_REQUESTS['memory']})"
            in requests["description"])
    assert f"(cpu {DEFAULT_LIMITS['cpu']}, memory {DEFAULT_LIMITS['memory']})" \
        in limits["description"]
