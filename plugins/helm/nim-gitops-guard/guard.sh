#!/bin/sh
# Post-renderer: manifests on stdin -> `nim-gitops validate` -> the same manifests on stdout.
# The manifests are printed only when validation passes; otherwise the exit code fails the
# render. Helm 4 captures a post-renderer's stderr and drops it, so the findings are written to
# Helm's own stderr (/proc/$PPID/fd/2 on Linux), or appended to $NIM_GITOPS_GUARD_REPORT.
set -eu
work="$(mktemp -d "${TMPDIR:-/tmp}/nim-gitops-guard.XXXXXX")"
trap 'rm -rf "$work"' EXIT HUP INT TERM
cat > "$work/manifests.yaml"

report() {
  if [ -n "${NIM_GITOPS_GUARD_REPORT:-}" ]; then
    cat >> "$NIM_GITOPS_GUARD_REPORT"
  elif [ -w "/proc/$PPID/fd/2" ]; then
    cat >> "/proc/$PPID/fd/2"
  else
    cat >&2
  fi
}

# shellcheck disable=SC2086
if ! ${NIM_GITOPS:-nim-gitops} validate --ignore-missing-schemas "$@" - \
    < "$work/manifests.yaml" > "$work/findings" 2>&1; then
  {
    cat "$work/findings"
    echo "nim-gitops-guard: the rendered manifests violate nim-gitops policy (see above)"
  } | report
  exit 1
fi
cat "$work/manifests.yaml"
