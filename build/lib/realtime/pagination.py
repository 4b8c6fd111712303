"""Keyset pagination for an inbox: unread first, then newest first, stable under inserts."""

import base64
import binascii

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class UnreadFirstCursorPagination(BasePagination):
    """Orders by (is_read, -id) and continues after the last row seen.

    DRF's CursorPagination keys on one field; unread-first needs two, and an offset would skip
    or repeat rows as new notifications arrive. The cursor is opaque: ``<read>:<id>``.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 20
    max_page_size = 100

    def _decode(self, raw: str) -> tuple[bool, int]:
        try:
            read, pk = base64.urlsafe_b64decode(raw.encode()).decode().split(":")
            if read not in ("0", "1"):
                raise ValueError(read)
            return read == "1", int(pk)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValidationError({"cursor": "Invalid cursor."}) from None

    @staticmethod
    def _encode(read: bool, pk: int) -> str:
        return base64.urlsafe_b64encode(f"{int(read)}:{pk}".encode()).decode()

    def _size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            return max(1, min(int(raw), self.max_page_size))
        except ValueError:
            raise ValidationError({"page_size": "A whole number is required."}) from None

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._size(request)
        queryset = queryset.order_by("is_read", "-id")
        raw = request.query_params.get(self.cursor_query_param)
        if raw:
            read, pk = self._decode(raw)
            after = Q(is_read=read, id__lt=pk)
            if not read:
                after |= Q(is_read=True)
            queryset = queryset.filter(after)
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        self.rows = rows[:size]
        return self.rows

    def get_next_link(self):
        if not self.has_next:
            return None
        last = self.rows[-1]
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param,
                                   self._encode(last.is_read, last.pk))

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
