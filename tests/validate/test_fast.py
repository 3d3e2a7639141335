"""The compiled fast path never calls an object valid that jsonschema rejects."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator import yamlio
from generator.errors import InvalidInputError
from generator.validate.fast import compile_check
from generator.validate.registry import SchemaRegistry

CORPUS = Path(__file__).parent / "corpus"
MUTATIONS: tuple[Any, ...] = (None, 1, 1.5, True, "x", "", [], {}, ["x"], {"zz-unknown": 1})


def _objects(rendered: dict[str, Path]) -> list[dict[str, Any]]:
    out = []
    for path in [*CORPUS.glob("*.yaml"), *(p for d in rendered.values() for p in
                                           d.rglob("*.yaml"))]:
        try:
            docs = yamlio.load_all(path.read_text("utf-8"), str(path))
        except InvalidInputError:  # the corpus holds unparsable documents on purpose
            continue
        out += [d for d in docs if isinstance(d, dict) and "kind" in d and "apiVersion" in d]
    return out


def _mutants(obj: dict[str, Any], rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    for _ in range(count):
        mutant = copy.deepcopy(obj)
        node: Any = mutant
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = rng.choice(keys)
            child = node[key]
            if isinstance(child, (dict, list)) and child and rng.random() < 0.7:
                node = child
                continue
            node[key] = rng.choice(MUTATIONS)
            break
        yield mutant


def test_fast_valid_implies_jsonschema_valid(crd_schemas: str,
                                             rendered: dict[str, Path]) -> None:
    registry = SchemaRegistry((crd_schemas,), "1.33", True)
    rng = random.Random(7)
    checked = fast_valid = 0
    for obj in _objects(rendered):
        compiled = registry.lookup(obj["apiVersion"], obj["kind"])
        if compiled is None:
            continue
        assert compiled.fast is not None, obj["kind"]
        for candidate in [obj, *_mutants(obj, rng, 40)]:
            checked += 1
            if compiled.fast(candidate):
                fast_valid += 1
                errors = list(compiled.validator.iter_errors(candidate))
                assert errors == [], (obj["kind"], errors[0].message)
    assert checked > 1000
    assert fast_valid > 100  # the fast path is used, not merely safe


def test_unsupported_keywords_disable_the_fast_path() -> None:
    assert compile_check({"type": "object", "patternProperties": {"^a": {}}}) is None
    assert compile_check({"uniqueItems": True}) is None
    assert compile_check({"$ref": "https://example.com/x.json"}) is None
    check = compile_check({"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}},
                           "$defs": {"a": {"type": "array", "items": {"$ref": "#/$defs/a"}}}})
    assert check is not None
    assert check({"a": [[], [[]]]}) and not check({"a": [1]})
