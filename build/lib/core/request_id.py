"""Request ids: taken from a sane incoming X-Request-ID or generated, kept in a contextvar and
returned in the response, so one request's log lines and the proxy's logs can be joined."""

import re
import uuid
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

REQUEST_ID_HEADER = "X-Request-ID"
# Proxies send uuids or similar tokens; anything else (spaces, newlines, huge values) could
# forge or break log lines, so it is replaced by an id of our own.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")

request_id_var: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request being served in this context, or "" outside a request."""
    return request_id_var.get()


def sane_request_id(value: str | None) -> str:
    """``value`` when it is an acceptable id, else a new uuid4 hex."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for the request's duration and echoes it in the response header."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _begin(self, request):
        request.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER))
        return request_id_var.set(request.request_id)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        token = self._begin(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response

    async def __acall__(self, request):
        token = self._begin(request)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response
