#!/usr/bin/env bash
# Regenerate config/nim/nim-models-data.yaml and config/nim/nim-http-template.yaml in an
# odh-model-controller checkout, for the release pull request.
#
#   regenerate.sh OMC_CHECKOUT METADATA
#
# METADATA is the nim-models-data ConfigMap built for this release (with a Red Hat NGC key, by
# `nim-gitops metadata`, see docs/gitops.md). Both files are replaced atomically; review with
# `git -C OMC_CHECKOUT diff` and commit. Set NIM_GITOPS to use another command.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 OMC_CHECKOUT METADATA" >&2
  exit 2
fi
checkout="$1"
metadata="$2"
here="$(cd "$(dirname "$0")" && pwd)"
nim_gitops=(${NIM_GITOPS:-nim-gitops})
dest="$checkout/config/nim"
if [[ ! -d "$checkout/config" ]]; then
  echo "error: $checkout has no config/ directory; is it an odh-model-controller checkout?" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${nim_gitops[@]}" render "$here/odh-model-controller.yaml" --catalog "$metadata" -o "$work/out"

mkdir -p "$dest"
for pair in "configmap-nim-models-data.yaml:nim-models-data.yaml" \
            "template-nim-http-template.yaml:nim-http-template.yaml"; do
  src="$work/out/platform/${pair%%:*}"
  tmp="$dest/.${pair##*:}.tmp"
  cp "$src" "$tmp"
  mv "$tmp" "$dest/${pair##*:}"
done
echo "updated $dest/nim-models-data.yaml and $dest/nim-http-template.yaml" >&2
