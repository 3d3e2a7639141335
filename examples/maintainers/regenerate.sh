#!/usr/bin/env bash
# Regenerate the redesign's two product files in an odh-model-controller checkout, for the
# release pull request that ships them:
#   config/nim/nim-models-data.yaml       the metadata ConfigMap (the path the redesign proposes)
#   config/runtimes/nim-http-template.yaml the ServingRuntime Template, beside the other runtime
#                                          Templates (add it to config/runtimes/kustomization.yaml)
# Neither file exists upstream yet: today's controller builds its model list and Template at run
# time from the Account (see docs/targets.md).
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
if [[ ! -d "$checkout/config/runtimes" ]]; then
  echo "error: $checkout has no config/runtimes/ directory; is it an odh-model-controller checkout?" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${nim_gitops[@]}" render "$here/odh-model-controller.yaml" --catalog "$metadata" -o "$work/out"

mkdir -p "$checkout/config/nim"
for pair in "configmap-nim-models-data.yaml:config/nim/nim-models-data.yaml" \
            "template-nim-http-template.yaml:config/runtimes/nim-http-template.yaml"; do
  src="$work/out/platform/${pair%%:*}"
  dest="$checkout/${pair##*:}"
  tmp="$(dirname "$dest")/.$(basename "$dest").tmp"
  cp "$src" "$tmp"
  mv "$tmp" "$dest"
done
echo "updated config/nim/nim-models-data.yaml and config/runtimes/nim-http-template.yaml in $checkout" >&2
