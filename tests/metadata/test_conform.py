"""`metadata generate` holds each model to the metadata schema without running jsonschema per
model (generator/metadata/conform.py): these tests prove that what it keeps is what the schema
accepts, for arbitrary answers, and notice when the schema gains a rule it does not apply."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from generator.catalog import ModelEntry
from generator.metadata import conform

ENTRY = conform.schema()["$defs"]["entry"]
VALIDATOR = Draft202012Validator({**ENTRY, "$schema": conform.schema()["$schema"]})

# what conform.py applies, keyword by keyword: the string rules field by field (`fits`), the
# tags one by one and each once (`clean_tags`), the rest by construction of `to_json_dict`
APPLIED = {"title", "description", "type", "additionalProperties", "required", "properties",
           "pattern", "minLength", "maxLength", "minItems", "uniqueItems", "items"}

NEAR_MISSES = st.sampled_from([
    "", " ", "1.0\n", "\n1.0", "-1.0", "a" * 128, "a" * 129, "1.0;rm -rf", "$(id)", "v1|sh",
    "Llama 3", "nim/meta", "nim//meta", "Nim/meta", "nim/meta/x", "2025-01-01", "yesterday",
    "2025-01-01T00:00:00Z", "2025-01-01T00:00:00.5+02:00", "2025-01-01T00:00:00Z\n",
    "nvapi-" + "A1b2" * 16, "x nvapi-" + "z" * 60, "a.b_c-d", "é", "latest", "1.8.6",
])
TEXT = st.one_of(NEAR_MISSES, st.text(max_size=40),
                 st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,130}", fullmatch=True))


def _or_anything(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A field that fits as often as not: the misfits are then often the only one."""
    return st.one_of(valid, TEXT)


TAG = st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}(\.[0-9]{1,2})?|latest", fullmatch=True)


@st.composite
def answers(draw: st.DrawFn) -> ModelEntry:
    """A model as NGC's answer could give it: each field fitting, a near miss or anything."""
    tags = draw(st.lists(_or_anything(TAG), min_size=1, max_size=6))
    return ModelEntry(
        name=draw(_or_anything(st.from_regex(r"[-._a-zA-Z0-9]{1,40}", fullmatch=True))),
        display_name=draw(_or_anything(st.text(min_size=1, max_size=20))),
        short_description=draw(TEXT),
        namespace=draw(_or_anything(st.sampled_from(["nim/meta", "nim", "nim/mistralai"]))),
        tags=tuple(tags), latest_tag=draw(st.one_of(st.sampled_from(tags), TEXT)),
        updated_date=draw(_or_anything(st.sampled_from(
            ["2025-01-01T00:00:00Z", "2026-02-04T19:47:27.380Z", "2025-06-01T08:00:00+02:00"]))),
        eu_restricted=draw(st.booleans()))


@settings(max_examples=400, deadline=None)
@given(answers())
def test_every_entry_conform_keeps_passes_the_schema(entry: ModelEntry) -> None:
    result = conform.conform_entry(entry)
    if result.entry is None:
        assert result.problem
        return
    errors = [e.message for e in VALIDATOR.iter_errors(result.entry.to_json_dict())]
    assert not errors, (entry, errors)


def test_a_model_that_fits_is_kept_whole() -> None:
    entry = ModelEntry(name="llama-3.1-8b-instruct", display_name="Llama 3.1 8B Instruct",
                       short_description="Chat", namespace="nim/meta",
                       tags=("1.8.6", "latest"), latest_tag="1.8.6",
                       updated_date="2026-02-04T19:47:27.380Z")
    assert conform.conform_entry(entry) == conform.Conformed(entry)


def _keywords(rule: Mapping[str, Any]) -> Iterator[str]:
    for keyword, value in rule.items():
        yield keyword
        if keyword == "properties":
            for field_rule in value.values():
                yield from _keywords(field_rule)
        elif keyword == "items":
            yield from _keywords(value)


def test_conform_applies_every_keyword_of_the_entry_schema() -> None:
    """A new rule in metadata.schema.json (an enum, maxItems, a format) must be applied by
    conform.py as well, or generate could write what `metadata validate` refuses."""
    unapplied = set(_keywords(ENTRY)) - APPLIED
    assert not unapplied, f"conform.py does not apply {sorted(unapplied)}"
    fields = {"name", "displayName", "shortDescription", "namespace", "tags", "latestTag",
              "updatedDate", "euRestricted"}
    assert set(ENTRY["properties"]) == fields == set(ENTRY["required"])
    assert ENTRY["additionalProperties"] is False
