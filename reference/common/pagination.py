"""The contract's pagination: `{count, next, previous, results}`, `?page`, `?page_size` <= 100."""

import re
from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request

WHOLE_NUMBER = re.compile(r"\s*[-+]?[0-9]+\s*")


class PageNumberPagination(pagination.PageNumberPagination):
    """Default 20 a page; a larger page_size is capped at 100, a non-positive one is ignored;
    a page or page_size that is not a whole number is refused (400: the schema says integer);
    a page past the end answers 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        whole_numbers(request, self.page_query_param, "Give a page number.")
        whole_numbers(request, self.page_size_query_param,
                      "Give a whole number of results per page.")
        return super().paginate_queryset(queryset, request, view)


def whole_numbers(request: Request, name: str, problem: str) -> None:
    """Refuses the request (400) when a query parameter `name` is not a whole number."""
    if any(not WHOLE_NUMBER.fullmatch(given) for given in request.query_params.getlist(name)):
        raise serializers.ValidationError({name: [problem]})
