"""ASGI middleware for websockets on tenant hosts: tenant from Host, Origin check, session user.

Any failure ends the handshake with a refusal (HTTP 403), before a consumer runs:
an unknown, public, suspended or deleted host; an Origin that is missing or not one of the
tenant's own hosts; no session, an expired one, or one this tenant's schema does not know
(session keys of tenant A mean nothing in tenant B's table).
"""

import logging
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth
from django.http.cookie import parse_cookie
from django.utils.module_loading import import_string
from django_tenants.utils import get_public_schema_name

from core.tenancy import tenant_for_hostname
from realtime.tenancy import in_public, in_tenant

logger = logging.getLogger(__name__)


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _hostname(host: str) -> str:
    """``acme.example.com:8000`` -> ``acme.example.com`` (IPv6 literals keep their brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _tenant_hosts(tenant) -> set[str]:
    return set(tenant.domains.values_list("domain", flat=True))


def origin_allowed(origin: str, host: str, tenant_hosts: set[str]) -> bool:
    """The page that opened the socket must be served by this tenant: its host is one of the
    tenant's domains and, when the Host header names a port, the same port."""
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname.lower() not in tenant_hosts:
        return False
    host_port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else None
    default = "443" if parts.scheme == "https" else "80"
    origin_port = str(parts.port) if parts.port else default
    return host_port is None or host_port == origin_port


def _session_user(session_key: str):
    """The active user of a session in the current schema, or None (Django's own checks:
    the session's auth hash must match the user's password)."""
    engine = import_string(settings.SESSION_ENGINE)
    request = SimpleNamespace(session=engine.SessionStore(session_key))
    user = auth.get_user(request)
    if not user.is_authenticated or not user.is_active:
        return None
    from core.permissions import roles_of

    roles_of(user)  # read once here, inside the tenant, for the consumer's checks
    return user


def _admit(host: str, origin: str, session_key: str | None):
    """(refusal reason or "", user), in the tenant's schema (the Domain table is in public,
    which stays on the search path)."""
    from django.db import connection

    if not origin_allowed(origin, host, _tenant_hosts(connection.tenant)):
        return "origin", None
    user = _session_user(session_key) if session_key else None
    if user is None:
        return "session", None
    return "", user


class TenantWebsocketMiddleware:
    """Puts ``tenant`` and ``user`` in the scope of every accepted websocket."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        host = _header(scope, b"host")
        tenant = await in_public(tenant_for_hostname, _hostname(host)) if host else None
        if (tenant is None or tenant.schema_name == get_public_schema_name()
                or not tenant.is_reachable or tenant.is_suspended):
            return await self._deny(receive, send, "host", host)
        origin = _header(scope, b"origin")
        session_key = parse_cookie(_header(scope, b"cookie")).get(settings.SESSION_COOKIE_NAME)
        # One trip to the database thread for both the Origin's hosts and the session.
        refusal, user = await in_tenant(tenant, _admit, host, origin, session_key)
        if refusal:
            return await self._deny(receive, send, refusal, origin or host)
        scope = dict(scope, tenant=tenant, user=user, session_key=session_key)
        return await self.inner(scope, receive, send)

    @staticmethod
    async def _deny(receive, send, reason: str, value: str) -> None:
        logger.info("websocket refused (%s): %s", reason, value)
        await receive()  # the server's websocket.connect
        # Closing before accepting makes the server answer the handshake with 403.
        await send({"type": "websocket.close", "code": 4403})
