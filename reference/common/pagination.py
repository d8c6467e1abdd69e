"""The contract's pagination: `{count, next, previous, results}`, `?page`, `?page_size` <= 100."""

import re
from typing import Any

from django.core.paginator import Paginator
from rest_framework import pagination, serializers
from rest_framework.request import Request

WHOLE_NUMBER = re.compile(r"\s*[-+]?[0-9]+\s*")


class FirstPageCountingPaginator(Paginator):
    """Django's paginator, one query lighter on a first page: it reads one row more than a page
    holds, and when that extra row is not there the rows read are the whole list and their
    number is the count, with no COUNT query (most of the app's lists fit on a first page: the
    catalog, addresses, a customer's orders). A longer list still counts its rows, once."""

    def page(self, number: Any) -> Any:
        if not self._is_first(number) or "count" in self.__dict__ or self.orphans:
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            if not rows and not self.allow_empty_first_page:
                return super().page(number)
            self.count = len(rows)
        return self._get_page(rows[: self.per_page], 1, self)

    @staticmethod
    def _is_first(number: Any) -> bool:
        try:
            return int(number) == 1
        except (TypeError, ValueError):
            return False


class PageNumberPagination(pagination.PageNumberPagination):
    """Default 20 a page; a larger page_size is capped at 100, a non-positive one is ignored;
    a page or page_size that is not a whole number is refused (400: the schema says integer);
    a page past the end answers 404."""

    django_paginator_class = FirstPageCountingPaginator
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
