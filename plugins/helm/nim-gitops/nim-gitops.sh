#!/bin/sh
# Entry point of the `helm nim-gitops` plugin: hand every argument to the nim-gitops CLI.
# shellcheck disable=SC2086
exec ${NIM_GITOPS:-nim-gitops} "$@"
