"""`plan`'s three reports, all drawn from one document (`document`): JSON for bots (schema
`generator/schemas/plan.schema.json`, versioned by `schemaVersion`), Markdown for a pull
request comment, and text for a terminal (coloured when asked)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from generator.hints import plural
from generator.plan.compare import Comparison
from generator.plan.findings import DANGER, Finding
from generator.plan.model import describe
from generator.plan.rollout import KSERVE_RULE, NIM_OPERATOR_RULE

KIND = "NimGitOpsPlan"
SCHEMA_VERSION = 1
FORMATS = ("text", "markdown", "json")


def _gpus(base: int, head: int, surge: int) -> dict[str, int]:
    return {"base": base, "head": head, "delta": head - base, "surge": surge}


def document(c: Comparison, found: Sequence[Finding], violations: Sequence[str]
             ) -> dict[str, Any]:
    """The plan as one JSON-able document (the `--format json` output)."""
    surge = c.surge_gpus
    rules = sorted({KSERVE_RULE if r.surge else NIM_OPERATOR_RULE for r in c.restarts})
    return {
        "kind": KIND,
        "schemaVersion": SCHEMA_VERSION,
        "base": c.base.label,
        "head": c.head.label,
        "summary": {
            "added": sum(d.status == "added" for d in c.deployments),
            "removed": sum(d.status == "removed" for d in c.deployments),
            "changed": sum(d.status == "changed" for d in c.deployments),
            "restarts": len(c.restarts),
            "prunes": len(c.prunes),
            "gpus": _gpus(*c.gpus_total, sum(surge.values())),
        },
        "projects": [{"name": p, "gpus": _gpus(b, h, surge.get(p, 0))}
                     for p, (b, h) in c.gpus.items()],
        "deployments": [{"project": d.project, "name": d.name, "status": d.status,
                         "fields": [{"field": f.field, "old": f.old, "new": f.new}
                                    for f in d.fields],
                         "gpus": {"base": d.gpus_before, "head": d.gpus_after}}
                        for d in c.deployments],
        "restarts": [{"project": r.project, "name": r.name, "workload": r.workload,
                      "reasons": list(r.reasons), "replicas": r.replicas,
                      "gpusPerPod": r.gpus_per_pod, "surge": r.surge,
                      "unavailable": r.unavailable, "surgeGpus": r.surge_gpus}
                     for r in c.restarts],
        "rolloutRules": rules,
        "pulls": {"arch": c.arch,
                  "bytes": sum(p.size or 0 for p in c.pulls),
                  "images": [{"image": p.image, "deployments": list(p.deployments),
                              "bytes": p.size} for p in c.pulls]},
        "downloads": [{"project": d.project, "name": d.name, "source": d.source,
                       "cacheSize": d.bound, "why": d.why} for d in c.downloads],
        "prunes": [{"kind": k, "namespace": ns or None, "name": n} for k, ns, n in c.prunes],
        "objects": {"added": [describe(k) for k in c.objects.added],
                    "changed": [{"object": describe(x.key), "fields": list(x.fields)}
                                for x in c.objects.changed],
                    "removed": [describe(k) for k in c.objects.removed]},
        "findings": [{"kind": f.kind, "severity": f.severity, "project": f.project,
                      "message": f.message} for f in found],
        "policy": {"passed": not violations, "violations": list(violations)},
    }


def as_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _value(value: Any) -> str:
    return "unset" if value is None else value if isinstance(value, str) else \
        json.dumps(value, separators=(", ", ": "), sort_keys=True)


def _field(f: dict[str, Any]) -> str:
    return f"{f['field']} {_value(f['old'])} -> {_value(f['new'])}"


def _size(size: int | None) -> str:
    return "unknown size" if size is None else f"{size / 2**30:.1f} GiB"


def _total(pulls: dict[str, Any]) -> str:
    """`4.3 GiB compressed (amd64)`, with the images of unknown size counted."""
    unknown = sum(p["bytes"] is None for p in pulls["images"])
    if unknown == len(pulls["images"]):
        return "size unknown (the extended details give only each model's latest tag)"
    return (f"{_size(pulls['bytes'])} compressed ({pulls['arch']})"
            + (f", {unknown} of unknown size" if unknown else ""))


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _by_project(doc: dict[str, Any]) -> list[tuple[dict[str, Any], list[Any], list[Any]]]:
    return [(p, [d for d in doc["deployments"] if d["project"] == p["name"]],
             [r for r in doc["restarts"] if r["project"] == p["name"]])
            for p in doc["projects"]]


def _restart_line(r: dict[str, Any]) -> str:
    room = (f"{plural(r['surge'], 'extra pod')}, {plural(r['surgeGpus'], 'extra GPU')}"
            if r["surge"] else "no extra pods")
    return (f"restarts {r['workload']} ({', '.join(r['reasons'])}): {r['replicas']} x "
            f"{plural(r['gpusPerPod'], 'GPU')}, {room}, {r['unavailable']} down at a time")


def text(doc: dict[str, Any], color: bool = False) -> str:
    """The terminal report."""
    def paint(s: str, fg: str, bold: bool = False) -> str:
        return click.style(s, fg=fg, bold=bold) if color else s

    marks = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
    lines = [f"plan: {doc['base']} -> {doc['head']}"]
    for project, deployments, restarts in _by_project(doc):
        if not (deployments or restarts or project["gpus"]["delta"]):
            continue
        g = project["gpus"]
        lines.append(f"project {project['name']}: GPUs {g['base']} -> {g['head']} "
                     f"({_signed(g['delta'])})" + (f", {g['surge']} more while restarts roll"
                                                   if g["surge"] else ""))
        names = list(dict.fromkeys([*(d["name"] for d in deployments),
                                    *(r["name"] for r in restarts)]))
        for name in names:
            d = next((x for x in deployments if x["name"] == name), None)
            mark, fg = marks[d["status"]] if d else ("~", "yellow")
            if d is None:
                detail = "no config field changed"
            elif d["status"] == "changed":
                detail = "; ".join(_field(f) for f in d["fields"])
            else:
                gpus = d["gpus"]["head" if d["status"] == "added" else "base"]
                detail = f"{d['status']}, {plural(gpus, 'GPU')}"
            lines.append(f"  {paint(mark, fg, True)} {name}: {detail}")
            lines += [f"      {_restart_line(r)}" for r in restarts if r["name"] == name]
    s = doc["summary"]
    g = s["gpus"]
    lines.append(f"deployments: {s['added']} added, {s['changed']} changed, {s['removed']} "
                 f"removed; {plural(s['restarts'], 'predictor')} restart")
    lines.append(f"GPUs: {g['base']} -> {g['head']} ({_signed(g['delta'])})"
                 + (f"; rolling restarts need {g['surge']} more" if g["surge"] else ""))
    lines += [f"  rollout rule: {rule}" for rule in doc["rolloutRules"]]
    pulls = doc["pulls"]
    if pulls["images"]:
        lines.append(f"images to pull: {len(pulls['images'])}, {_total(pulls)}")
        lines += [f"  {p['image']} ({_size(p['bytes'])}) for {', '.join(p['deployments'])}"
                  for p in pulls["images"]]
    if doc["downloads"]:
        lines.append("weights to download:")
        lines += [f"  {w['project']}/{w['name']}: from {w['source']} into its {w['cacheSize']} "
                  f"cache ({w['why']})" for w in doc["downloads"]]
    if doc["prunes"]:
        lines.append(paint(f"prune: Argo CD and Flux delete {plural(len(doc['prunes']), 'object')}",
                           "red", True))
        for p in doc["prunes"]:
            key = (p["kind"], p["namespace"] or "", p["name"])
            loud = p["kind"] == "Namespace"
            line = f"  {'!!! ' if loud else ''}{describe(key)}"
            lines.append(paint(line, "red", True) if loud else line)
    for f in doc["findings"]:
        label = "DANGER" if f["severity"] == DANGER else "warning"
        lines.append(f"{paint(label + ':', 'red' if label == 'DANGER' else 'yellow', True)} "
                     f"{f['message']}")
    if doc["policy"]["violations"]:
        lines += [paint(f"policy failed: {v}", "red", True) for v in doc["policy"]["violations"]]
    return "".join(f"{line}\n" for line in lines)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(doc: dict[str, Any]) -> str:
    """The pull request comment."""
    s, g = doc["summary"], doc["summary"]["gpus"]
    out = ["### nim-gitops plan", "",
           f"`{_cell(doc['base'])}` → `{_cell(doc['head'])}`: {s['added']} added, "
           f"{s['changed']} changed, {s['removed']} removed, "
           f"{plural(s['restarts'], 'restart')}, {plural(s['prunes'], 'prune')}; "
           f"GPUs {g['base']} → {g['head']} ({_signed(g['delta'])})"
           + (f", {g['surge']} more while restarts roll" if g["surge"] else ""), ""]
    for p in doc["prunes"]:
        if p["kind"] == "Namespace":
            out += [f"> [!CAUTION]\n> **Namespace {p['name']} will be pruned**: Argo CD or "
                    "Flux deletes it and everything in it.", ""]
    for v in doc["policy"]["violations"]:
        out += [f"> [!WARNING]\n> Policy failed: {_cell(v)}", ""]
    out += ["| project | GPUs before | GPUs after | change | rolling-restart surge |",
            "|---|---:|---:|---:|---:|"]
    out += [f"| {p['name']} | {p['gpus']['base']} | {p['gpus']['head']} | "
            f"{_signed(p['gpus']['delta'])} | {p['gpus']['surge']} |" for p in doc["projects"]]
    if doc["deployments"]:
        out += ["", "#### Deployments", "", "| project | deployment | change | fields |",
                "|---|---|---|---|"]
        out += [f"| {d['project']} | {d['name']} | {d['status']} | "
                f"{_cell('; '.join(_field(f) for f in d['fields']))} |"
                for d in doc["deployments"]]
    if doc["restarts"]:
        out += ["", "#### Restarts", "", "| deployment | what rolls | why | replicas | "
                "extra pods | extra GPUs |", "|---|---|---|---:|---:|---:|"]
        out += [f"| {r['project']}/{r['name']} | {r['workload']} | "
                f"{_cell(', '.join(r['reasons']))} | {r['replicas']} | {r['surge']} | "
                f"{r['surgeGpus']} |" for r in doc["restarts"]]
        out += ["", *(f"Rollout rule: {rule}." for rule in doc["rolloutRules"])]
    if doc["pulls"]["images"] or doc["downloads"]:
        out += ["", "#### Images and weights", ""]
        out += [f"- pull `{p['image']}` ({_size(p['bytes'])}, {doc['pulls']['arch']})"
                for p in doc["pulls"]["images"]]
        out += [f"- weights for {w['project']}/{w['name']} from {w['source']} into its "
                f"{w['cacheSize']} cache ({w['why']})" for w in doc["downloads"]]
    if doc["prunes"]:
        out += ["", "#### Pruned by Argo CD / Flux", ""]
        out += [f"- {'**' if p['kind'] == 'Namespace' else ''}"
                f"{describe((p['kind'], p['namespace'] or '', p['name']))}"
                f"{'**' if p['kind'] == 'Namespace' else ''}" for p in doc["prunes"]]
    if doc["findings"]:
        out += ["", "#### Findings", ""]
        out += [f"- {'🛑' if f['severity'] == DANGER else '⚠️'} {_cell(f['message'])}"
                for f in doc["findings"]]
    return "\n".join(out) + "\n"
