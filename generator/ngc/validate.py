"""Key validation: `POST /v3/keys/get-caller-info`, reduced to what is safe to print."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from generator.errors import AuthenticationError, RemoteServiceError
from generator.ngc import NgcSettings
from generator.redact import one_line


@dataclass(frozen=True)
class Verdict:
    """Valid or not, with the key type and org name NGC reported (nothing secret)."""

    valid: bool
    key_type: str = ""
    org: str = ""
    reason: str = ""

    def line(self) -> str:
        if not self.valid:
            return f"invalid: {self.reason}"
        org = f", org {self.org}" if self.org else ""
        return one_line(f"valid: {self.key_type}{org}")


def verdict_from_caller(info: dict[str, Any]) -> Verdict:
    """The printable parts of a caller-info answer.

    An answer without a key type is not NGC's caller info (a wrong `--ngc-url`, a proxy's
    page): that says nothing about the key, so it is a service error (exit 3), not "valid".
    """
    key_type = info.get("type")
    if not isinstance(key_type, str) or not key_type:
        raise RemoteServiceError("key validation: the answer is not NGC's caller info (no key "
                                 "type); check --ngc-url")
    org = info.get("orgName")
    if not isinstance(org, str) or not org:
        user = info.get("user")
        roles = user.get("roles") if isinstance(user, dict) else None
        first = roles[0] if isinstance(roles, list) and roles else {}
        org_obj = first.get("org") if isinstance(first, dict) else None
        org = org_obj.get("name") if isinstance(org_obj, dict) else ""
    return Verdict(True, key_type, org if isinstance(org, str) else "")


async def _caller_info(settings: NgcSettings, key: str) -> dict[str, Any]:
    from generator.ngc.client import NgcClient, make_http_client

    async with make_http_client(settings) as http:
        return await NgcClient(http, key, settings).caller_info()


def check_key(settings: NgcSettings, key: str) -> Verdict:
    """Ask NGC; an unreachable or failing service raises `RemoteServiceError` (exit 3)."""
    try:
        info = asyncio.run(_caller_info(settings, key))
    except AuthenticationError as exc:
        return Verdict(False, reason=str(exc))
    return verdict_from_caller(info)
