"""One pass over the input set: schema checks, then policy rules, one `Result` per resource."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from generator.errors import InvalidInputError
from generator.validate.documents import Document, Loaded, LoadFailure
from generator.validate.options import ValidateOptions
from generator.validate.proposed import REDESIGN
from generator.validate.registry import Compiled, SchemaRegistry
from generator.validate.results import (
    PROPOSED,
    SCHEMA,
    Finding,
    Report,
    Result,
    Signature,
    Status,
)
from generator.validate.rules import NULL_RULE, Context, resolve_skips, run_rules
from generator.validate.rules.secrets import KEY

SKIPPED_GROUPS = {"kustomize.config.k8s.io": "kustomize build input, not a cluster object"}
MAX_MESSAGE = 240
ALWAYS_AT_ROOT = frozenset({"apiVersion", "kind", "metadata"})


def _clean(message: str) -> str:
    """One line, no key material, bounded length."""
    message = KEY.sub("nvapi-***", " ".join(message.split()))
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."


def _leaves(error: ValidationError) -> list[tuple[str, str, Any]]:
    """(JSON path, message, failing instance) of one schema error.

    An unknown field is reported at its own path; a oneOf/anyOf failure by its best match.
    """
    if error.validator == "additionalProperties" and isinstance(error.instance, dict) \
            and isinstance(error.schema, dict):
        known = error.schema.get("properties") or {}
        patterns = list(error.schema.get("patternProperties") or {})
        extras = [k for k in error.instance if k not in known
                  and not any(re.search(p, str(k)) for p in patterns)]
        if extras:
            return [(_child(error.json_path, str(k)), f"unknown field {str(k)!r}", k)
                    for k in extras]
    if error.context:
        deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if deeper:
            best = best_match(deeper)
            others = len({e.json_path for e in error.context}) - 1
            extra = f" (one of {others + 1} alternatives)" if others else ""
            return [(best.json_path, best.message + extra, best.instance)]
    return [(error.json_path, error.message, error.instance)]


def _child(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


class Engine:
    """Validates documents with one set of options; schemas are compiled once per run."""

    def __init__(self, options: ValidateOptions) -> None:
        self.options = options
        self.skip = resolve_skips(options.skip)
        self.registry = SchemaRegistry(options.schema_locations, options.kubernetes_version,
                                       options.strict, options.target)
        self.report_nulls = NULL_RULE not in self.skip

    def run(self, loaded: Iterable[Loaded]) -> Report:
        """Every document checked, in input order."""
        docs = list(loaded)
        context = Context(mirrors=self.options.mirrors)
        for doc in docs:
            if isinstance(doc, Document):
                context.add(doc.obj)
        return Report([self.check(doc, context) for doc in docs])

    def check(self, doc: Loaded, context: Context) -> Result:
        """The verdict on one document."""
        if isinstance(doc, LoadFailure):
            result = Result(doc.source, doc.index, Signature())
            where = f" (line {doc.line})" if doc.line is not None else ""
            result.fail(f"{doc.message}{where}")
            return result
        obj = doc.obj
        result = Result(doc.source, doc.index, Signature.of(obj))
        if not isinstance(obj, dict):
            result.fail("the document is not an object")
            return result
        sig = result.signature
        if not sig.api_version or not sig.kind:
            missing = "apiVersion" if not sig.api_version else "kind"
            result.fail(f"missing {missing!r}", f"$.{missing}")
            return result
        if sig.group in SKIPPED_GROUPS:
            result.status, result.reason = Status.SKIPPED, SKIPPED_GROUPS[sig.group]
            return result
        self._schema(obj, result)
        for rule, path, message in run_rules(obj, context, self.skip):
            result.add(Finding(path, _clean(message), rule))
        return result

    def _schema(self, obj: dict[str, Any], result: Result) -> None:
        sig = result.signature
        try:
            compiled = self.registry.lookup(sig.api_version, sig.kind)
        except InvalidInputError as exc:
            result.fail(f"cannot use the schema: {exc}")
            return
        if compiled is None:
            if self.options.ignore_missing_schemas:
                result.status, result.reason = Status.SKIPPED, "no schema"
            else:
                searched = self.registry.searched(sig.api_version, sig.kind)
                looked = f"; looked in {', '.join(searched)}" if searched else (
                    "; give --schema-location (see `nim-gitops schemas build`) or "
                    "--ignore-missing-schemas")
                result.fail(f"no schema for {sig.api_version} {sig.kind}{looked}")
            return
        for path, message in self._schema_errors(obj, compiled):
            result.add(Finding(path, message, SCHEMA))
        for field in compiled.proposals:
            if not field.present(obj):
                continue
            path = "$." + field.dotted
            if self.options.target == REDESIGN:
                result.notes.append(Finding(path, field.note, PROPOSED))
            else:  # a schema built with --target redesign, checked against today's platform
                result.add(Finding(path, f"{field.note}; accepted only with --target "
                                         f"{REDESIGN}", SCHEMA))

    def _errors(self, compiled: Compiled, instance: Any, prefix: str
                ) -> Iterator[tuple[str, str]]:
        if compiled.fast is not None and compiled.fast(instance):
            return
        for error in compiled.validator.iter_errors(instance):
            for path, message, failing in _leaves(error):
                if failing is None and self.report_nulls:
                    continue  # reported once, with its rule, by the null check
                yield prefix + path[1:], _clean(message)

    def _schema_errors(self, obj: dict[str, Any], compiled: Compiled
                       ) -> Iterator[tuple[str, str]]:
        yield from self._errors(compiled, obj, "$")
        if compiled.core:
            return
        if self.options.strict and compiled.root_properties is not None:
            for key in obj:
                if key not in compiled.root_properties and key not in ALWAYS_AT_ROOT:
                    yield f"$.{key}", f"unknown field {key!r} (not in the schema)"
        metadata = obj.get("metadata")
        if isinstance(metadata, dict):
            yield from self._errors(self.registry.object_meta(), metadata, "$.metadata")

