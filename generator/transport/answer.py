"""Reading one answer of a service that takes the NGC key (NGC's API, the registry).

One classifier for the status code: 200 is the answer, 401/403 an `AuthenticationError`,
429/5xx a `Retryable` (see `retry.retryable`), 404 not found, anything else unexpected. A
service words its refusals and its 404 itself and may claim other codes first (NGC's 451,
its key check's 400). A 200 whose body is not JSON is worth another attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from generator.errors import AuthenticationError, RemoteServiceError
from generator.transport.retry import Retryable, retryable

Claim = Callable[[str, int], Exception]
"""An error for a request named `what` that got HTTP `code`."""


def _not_found(what: str, code: int) -> Exception:
    return RemoteServiceError(f"{what}: not found (HTTP {code})")


@dataclass(frozen=True, slots=True)
class Statuses:
    """How one kind of request to `service` reads its non-200 answers.

    `refused(what, code)` is the message of a 401/403 (raised as `AuthenticationError`),
    `not_found` the error of a 404, and `claims` maps further codes to their errors; they are
    consulted before the shared rules.
    """

    service: str
    refused: Callable[[str, int], str]
    not_found: Claim = _not_found
    claims: Mapping[int, Claim] = field(default_factory=dict)

    def error(self, response: httpx.Response, what: str) -> Exception:
        """The error for a non-200 `response` to the request named `what`."""
        code = response.status_code
        claim = self.claims.get(code)
        if claim is not None:
            return claim(what, code)
        if code in (401, 403):
            return AuthenticationError(self.refused(what, code))
        if code == 429 or code >= 500:
            return retryable(response, what, self.service)
        if code == 404:
            return self.not_found(what, code)
        return RemoteServiceError(f"{what}: unexpected HTTP {code}")

    def check(self, response: httpx.Response, what: str) -> httpx.Response:
        """`response` if it is a 200, else its error raised."""
        if response.status_code != 200:
            raise self.error(response, what)
        return response

    def json(self, response: httpx.Response, what: str) -> Any:
        """The JSON body of a 200 `response`; a body that is not JSON is `Retryable` (a
        proxy's error page, a body cut short)."""
        if response.status_code != 200:
            raise self.error(response, what)
        try:
            return response.json()
        except ValueError:  # not JSON, not UTF-8, or an integer of over 4,300 digits
            raise Retryable(f"{what}: the response is not valid JSON") from None
