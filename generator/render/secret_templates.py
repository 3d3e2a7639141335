"""Go templates evaluated by the secret operators, never by nim-gitops.

They reach the manifests as plain string values (through the `q` filter), so neither Jinja
nor Flux's `${var}` substitution touches them: `$oauthtoken` carries no braces.
"""

from __future__ import annotations

ESO_TEMPLATES = {
    "key": "{{ .apiKey }}",
    "dockerconfig": (
        '{"auths":{"nvcr.io":{"username":"$oauthtoken","password":"{{ .apiKey }}",'
        '"auth":"{{ printf "%s:%s" "$oauthtoken" .apiKey | b64enc }}"}}}'
    ),
}


def vso_templates(key: str) -> dict[str, str]:
    """Vault Secrets Operator transformation templates reading field `key` of the Vault secret."""
    get = f"get .Secrets {_go_string(key)}"
    return {
        "key": f"{{{{- {get} -}}}}",
        "dockerconfig": (
            f"{{{{- $k := {get} -}}}}"
            '{{- dict "auths" (dict "nvcr.io" (dict "username" "$oauthtoken" "password" $k '
            '"auth" (printf "$oauthtoken:%s" $k | b64enc))) | mustToJson -}}'
        ),
    }


def _go_string(text: str) -> str:
    """A Go template string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
