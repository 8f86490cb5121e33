"""Keyset cursor pagination: ``{"next", "previous", "results"}``, stable under inserts.

DRF's own CursorPagination positions on the first ordering field only and counts
offsets among ties, so a page of claims that share an article would drift when a
claim is added before it. Here the cursor holds the whole position (every ordering
field down to the id), so a page boundary never moves.
"""

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from annotations.selectors import (
    BadPosition,
    KeyField,
    Keyset,
    keyset_after,
    keyset_order,
    keyset_values,
)

# A cursor we made is well under this: the ordering name and a few short values.
MAX_CURSOR_CHARS = 1024
# Text values (titles, verdicts) longer than this never came from one of our pages.
MAX_CURSOR_TEXT = 512
# Values the databases can store: a signed 64-bit integer and years 1-9999 in UTC.
BIGINT_RANGE = range(-(2**63), 2**63)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SURROGATE_OR_NUL = re.compile("[\x00\ud800-\udfff]")
_CURSOR_KEYS = {"o", "p", "r"}

MSG_BAD_CURSOR = "This cursor is not valid for this list (it may belong to another ordering)."
MSG_BAD_PAGE_SIZE = "page_size must be a whole number from 1 to {max}."
MSG_BAD_ORDERING = "Unknown ordering «{value}»: use one of {choices}."


class BadCursor(ValueError):
    """The cursor was not made by this list: the client gets 400, never a database error."""


def _position_value(field: KeyField, value: Any) -> Any:
    """Check one decoded value against its column: the type and what the database can hold."""
    if field.kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in BIGINT_RANGE:
            raise BadCursor(field.name)
        return value
    if not isinstance(value, str) or len(value) > MAX_CURSOR_TEXT:
        raise BadCursor(field.name)
    if _SURROGATE_OR_NUL.search(value):
        raise BadCursor(field.name)
    if field.kind is datetime:
        try:
            parsed = field.decode(value)
            # Naive times and offsets that push the instant out of years 1-9999 are refused.
            if parsed.tzinfo is None:
                raise BadCursor(field.name)
            parsed.astimezone(UTC)
        except (BadPosition, ValueError, OverflowError):
            raise BadCursor(field.name) from None
        return parsed
    return value


def decode_cursor(raw: str, name: str, keyset: Keyset) -> tuple[bool, list[Any]]:
    """``(reverse, position)`` from a cursor, each field checked; anything else is BadCursor.

    The cursor is the client's input: its size, alphabet, JSON shape (one flat object, no
    nesting), each value's type and range are checked before any of it reaches a query.
    """
    if len(raw) > MAX_CURSOR_CHARS or not _BASE64URL.fullmatch(raw):
        raise BadCursor("alphabet or size")
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
        data = json.loads(text)
    except (ValueError, binascii.Error, RecursionError):
        raise BadCursor("encoding") from None
    if not isinstance(data, dict) or not set(data) <= _CURSOR_KEYS or data.get("o") != name:
        raise BadCursor("ordering")
    reverse = data.get("r", False)
    values = data.get("p")
    if not isinstance(reverse, bool) or not isinstance(values, list):
        raise BadCursor("shape")
    if len(values) != len(keyset):
        raise BadCursor("length")
    return reverse, [_position_value(f, v) for f, v in zip(keyset, values, strict=True)]


class KeysetPagination(BasePagination):
    """Pages in the order the view names (``view.orderings``, chosen with ``?ordering=``)."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"
    page_size = 50
    max_page_size = 1000

    def __init__(self) -> None:
        self.has_next = self.has_previous = False
        self.next_position: list[Any] | None = None
        self.previous_position: list[Any] | None = None

    # --- reading the request

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [MSG_BAD_PAGE_SIZE.format(max=self.max_page_size)]}
            )
        return size

    def get_ordering(self, request: Request, view: Any) -> tuple[str, Keyset]:
        orderings: dict[str, Keyset] = view.orderings
        name = request.query_params.get(self.ordering_query_param) or view.default_ordering
        if name not in orderings:
            raise ValidationError(
                {
                    self.ordering_query_param: [
                        MSG_BAD_ORDERING.format(value=name, choices=", ".join(orderings))
                    ]
                }
            )
        return name, orderings[name]

    def decode_cursor(self, raw: str, name: str, keyset: Keyset) -> tuple[bool, list[Any]]:
        try:
            return decode_cursor(raw, name, keyset)
        except BadCursor:
            raise ValidationError({self.cursor_query_param: [MSG_BAD_CURSOR]}) from None

    def encode_cursor(self, name: str, keyset: Keyset, values: list[Any], reverse: bool) -> str:
        position = [field.encode(v) for field, v in zip(keyset, values, strict=True)]
        payload: dict[str, Any] = {"o": name, "p": position}
        if reverse:
            payload["r"] = True
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    # --- paging

    def paginate_queryset(  # type: ignore[override]  # keyset paging needs a QuerySet, not a list
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.ordering_name, self.keyset = self.get_ordering(request, view)
        size = self.get_page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        reverse, position = (False, None)
        if raw:
            reverse, position = self.decode_cursor(raw, self.ordering_name, self.keyset)
        page_qs = keyset_order(queryset, self.keyset, reverse=reverse)
        if position is not None:
            page_qs = keyset_after(page_qs, self.keyset, position, reverse=reverse)
        rows = list(page_qs[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_next, self.has_previous = more, position is not None
        if rows:
            self.previous_position = keyset_values(rows[0], self.keyset)
            self.next_position = keyset_values(rows[-1], self.keyset)
        elif position is not None:
            # An empty page after a cursor: the way back starts where the cursor pointed.
            self.previous_position = self.next_position = position
        self.has_previous = self.has_previous and self.previous_position is not None
        self.has_next = self.has_next and self.next_position is not None
        return rows

    def _link(self, values: list[Any] | None, reverse: bool) -> str | None:
        if values is None:
            return None
        url = self.request.build_absolute_uri()
        cursor = self.encode_cursor(self.ordering_name, self.keyset, values, reverse)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        return self._link(self.next_position, False) if self.has_next else None

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_position, True) if self.has_previous else None

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The position to continue from: take it from next or previous.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
        orderings = getattr(view, "orderings", None)
        if orderings and len(orderings) > 1:
            params.append(
                {
                    "name": self.ordering_query_param,
                    "required": False,
                    "in": "query",
                    "description": f"Sort order (default {view.default_ordering}).",
                    "schema": {"type": "string", "enum": list(orderings)},
                }
            )
        return params
