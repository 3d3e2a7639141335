"""Text, JSON and JUnit presentations of a `Report`, written to a given stream."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, TextIO

from generator.validate.results import Finding, Report, Result, Status


def text(report: Report, out: TextIO, *, verbose: bool = False) -> None:
    """Per resource with problems, `FILE KIND/NS/NAME is invalid`, then one indented line per
    finding (`document N $.path: message [rule]`) and note; the summary line, then the line
    naming accepted proposed fields (when there are any)."""
    for result in report.results:
        if result.findings:
            verdict = "is invalid" if result.status is Status.INVALID else "could not be checked"
            out.write(f"{result.source} {result.signature} {verdict}\n")
            for finding in [*result.findings, *result.notes]:
                out.write(f"  document {result.index} {finding}\n")
        elif result.notes:
            out.write(f"{result.source} {result.signature} is {result.status.value} "
                      "with a proposed field\n")
            for note in result.notes:
                out.write(f"  document {result.index} {note}\n")
        elif verbose:
            reason = f" ({result.reason})" if result.reason else ""
            out.write(f"{result.source} {result.signature} is {result.status.value}{reason}"
                      f" (document {result.index})\n")
    out.write(report.summary_line() + "\n")
    if report.notes_line():
        out.write(report.notes_line() + "\n")


def _finding_json(finding: Finding) -> dict[str, str]:
    return {"path": finding.path, "message": finding.message, "rule": finding.rule}


def _result_json(result: Result) -> dict[str, Any]:
    sig = result.signature
    return {
        "filename": result.source, "document": result.index,
        "apiVersion": sig.api_version, "kind": sig.kind, "namespace": sig.namespace,
        "name": sig.name, "status": result.status.value, "reason": result.reason,
        "findings": [_finding_json(f) for f in result.findings],
        "notes": [_finding_json(n) for n in result.notes],
    }


def as_json(report: Report, out: TextIO, *, verbose: bool = False) -> None:
    """`{"resources": [...], "summary": {...}}`; valid resources only with `verbose` or a
    note."""
    shown = [r for r in report.results
             if verbose or r.status is not Status.VALID or r.notes]
    json.dump({"resources": [_result_json(r) for r in shown], "summary": report.summary},
              out, indent=2)
    out.write("\n")


def junit(report: Report, out: TextIO, *, verbose: bool = False) -> None:
    """JUnit XML: one testsuite per file, one testcase per resource."""
    root = ET.Element("testsuites", name="nim-gitops validate")
    by_file: dict[str, list[Result]] = {}
    for result in report.results:
        by_file.setdefault(result.source, []).append(result)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for source, results in by_file.items():
        counts = {
            "tests": len(results),
            "failures": sum(r.status is Status.INVALID for r in results),
            "errors": sum(r.status is Status.ERROR for r in results),
            "skipped": sum(r.status is Status.SKIPPED for r in results),
        }
        for key, value in counts.items():
            totals[key] += value
        attrs = {"name": source, **{k: str(v) for k, v in counts.items()}}
        suite = ET.SubElement(root, "testsuite", attrs)
        for result in results:
            case = ET.SubElement(suite, "testcase", name=f"[{result.index}] {result.signature}",
                                 classname=source)
            body = "\n".join(str(f) for f in result.findings)
            first = result.findings[0] if result.findings else None
            if result.status is Status.INVALID and first is not None:
                ET.SubElement(case, "failure", message=str(first), type=first.rule).text = body
            elif result.status is Status.ERROR:
                ET.SubElement(case, "error", message=result.reason or "error").text = body
            elif result.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=result.reason or "skipped")
            if result.notes:
                ET.SubElement(case, "system-out").text = "\n".join(str(n) for n in result.notes)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode") + "\n")


REPORTERS: dict[str, Callable[..., None]] = {"text": text, "json": as_json, "junit": junit}
