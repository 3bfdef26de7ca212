"""Cursor pagination: stable pages however many rows arrive meanwhile."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Newest first, 50 a page (``?page_size=`` up to 200); ``next``/``previous`` are opaque links."""

    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
