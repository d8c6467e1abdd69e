"""The contract's pagination: `{count, next, previous, results}`, `?page`, `?page_size` <= 100."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Default 20 a page; a larger page_size is capped at 100, a non-positive one is ignored;
    a page past the end answers 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
