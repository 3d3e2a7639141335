"""The platforms a config renders for (a leaf module: the CLI imports it at start-up).

`current` is what today's OpenShift AI reads; `redesign` the proposed NIM contract that has not
landed upstream yet. docs/targets.md says which object each one renders and who reads it.
"""

TARGETS = ("current", "redesign")
DEFAULT_TARGET = "current"
