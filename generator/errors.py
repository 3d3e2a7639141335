"""The project's exception tree. Exit codes are chosen here and applied only by the CLI edge."""

from __future__ import annotations


class NimGitopsError(Exception):
    """Root of every error meant for a user: one line, no traceback."""

    exit_code = 1


class InvalidInputError(NimGitopsError):
    """A config, catalog, manifest or other input is invalid (exit 1).

    `source` is the file (or `<stdin>`), `line` its 1-based line, `path` the field path
    inside it (`spec.projects[0].name`).
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.path = path
        # lines shown after the error (a YAML error's offending line and caret)
        self.details: tuple[str, ...] = ()
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
        if self.path:
            where = f"{where} {self.path}" if where else self.path
        return f"{where}: {self.message}" if where else self.message


class CheckFailedError(NimGitopsError):
    """A check ran and found problems (drift, validation findings): exit 1.

    `details` are shown after the error line, one per line (a file or finding each).
    """

    exit_code = 1

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


class UsageError(NimGitopsError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class RemoteServiceError(NimGitopsError):
    """NVIDIA's service failed, could not be reached or kept failing after retries (exit 3)."""

    exit_code = 3


class AuthenticationError(RemoteServiceError):
    """NGC rejected the API key (401/403). Exit 3: the service said no, not the input file."""
