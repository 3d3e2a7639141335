"""The Helm chart: generated from `templates/chart/`, same objects as `nim-gitops render`."""
